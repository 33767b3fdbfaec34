"""Benchmark the two evidence transports on the lab: mcp (AWS MCP servers) and direct (boto3).

Run with `python bench/bench_transports.py [SCENARIO ...]`; writes bench/results/transports.md.
Measures: provisioning the pinned servers (cold uv cache, warm uv cache, already there);
server start to ready (each alone, both in parallel as a run does); per-call latency of
typical reads; and per scenario the whole diagnosis time and call count on each transport
(servers already running, as in one run of several services), plus one cold CLI-like run
that includes starting the servers. Timings are measured, never asserted in tests.
"""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from pathlib import Path

from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.gateway import Gateway
from ecs_medic.aws.mcp_provision import ensure
from ecs_medic.aws.mcp_servers import PINS, ServerRole
from ecs_medic.aws.mcp_transport import McpGateway, open_mcp_gateway, spec_factory
from ecs_medic.config import McpSettings, Settings
from ecs_medic.graph.context import AwsConnector, RunContext
from ecs_medic.graph.graph import build_graph
from ecs_medic.graph.state import InputState, Request
from ecs_medic.lab import Lab
from ecs_medic.lab_settings import export_lab_env, lab_settings

OUT = Path(__file__).parent / "results" / "transports.md"
SCENARIOS = ["oom", "image-not-found", "health-check-path-wrong", "secret-not-found", "healthy"]
CALLS = 20


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def provisioning(lines: list[str]) -> None:
    """Time `ensure` for both pins: cold uv cache, warm uv cache, already provisioned."""
    work = Path(tempfile.mkdtemp(prefix="ecs-medic-bench-"))
    saved = os.environ.get("UV_CACHE_DIR")
    try:
        os.environ["UV_CACHE_DIR"] = str(work / "uv-cache")
        cold = timed(lambda: [ensure(p, work / "cold") for p in PINS])
        warm = timed(lambda: [ensure(p, work / "warm") for p in PINS])
        again = timed(lambda: [ensure(p, work / "warm") for p in PINS])
    finally:
        if saved is None:
            os.environ.pop("UV_CACHE_DIR", None)
        else:
            os.environ["UV_CACHE_DIR"] = saved
        shutil.rmtree(work, ignore_errors=True)
    lines += [
        "## Provisioning the pinned servers (both, sequentially)",
        "",
        "| case | seconds |",
        "| --- | ---: |",
        f"| first use, empty uv cache (downloads from PyPI) | {cold:.1f} |",
        f"| first use, warm uv cache | {warm:.1f} |",
        f"| later runs (already provisioned) | {again:.3f} |",
        "",
    ]


def settings_for(lab: Lab, state: Path) -> Settings:
    return lab_settings(lab, transport="mcp", state_dir=state, mcp=McpSettings())


def server_start(lab: Lab, direct: DirectGateway, settings: Settings, lines: list[str]) -> None:
    """Time to ready of each server alone (3 runs, median) and of both in parallel."""
    alone: dict[ServerRole, list[float]] = {role: [] for role in ServerRole}
    both: list[float] = []
    for _ in range(3):
        for role in ServerRole:
            gateway = McpGateway(spec_factory(settings, direct, lab.region), direct)
            alone[role].append(timed(partial(gateway.start, [role])))
            gateway.close()
        both.append(timed(lambda: open_mcp_gateway(settings, direct, lab.region).close()))
    lines += [
        "## Server start (spawn to initialized session, median of 3)",
        "",
        "| server | seconds |",
        "| --- | ---: |",
        *(f"| {role.value} alone | {statistics.median(t):.2f} |" for role, t in alone.items()),
        f"| both in parallel, then closed (what one run pays) | {statistics.median(both):.2f} |",
        "",
    ]


def per_call(lab: Lab, direct: Gateway, mcp: Gateway, lines: list[str]) -> None:
    """Median and p90 of typical reads, each transport warm."""
    _, cluster, service = lab.targets[0]
    reads = [
        ("sts", "GetCallerIdentity", {}),
        ("ecs", "DescribeServices", {"cluster": cluster, "services": [service]}),
        ("ecs", "ListTasks", {"cluster": cluster, "desiredStatus": "STOPPED"}),
        ("ec2", "DescribeSubnets", {}),
        ("elbv2", "DescribeTargetGroups", {}),
        ("iam", "ListRoles", {}),
    ]
    lines += [
        f"## Per-call latency (ms, {CALLS} calls each, servers warm)",
        "",
        "| read | tool | direct median | direct p90 | mcp median | mcp p90 |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for service_name, operation, params in reads:
        cells = []
        for gateway in (direct, mcp):
            samples = sorted(
                timed(partial(gateway.call, service_name, operation, params)) * 1000
                for _ in range(CALLS)
            )
            cells += [f"{statistics.median(samples):.0f}", f"{samples[int(0.9 * CALLS)]:.0f}"]
        tool = "ecs_resource_management" if service_name == "ecs" else "call_aws"
        lines.append(f"| {service_name}:{operation} | {tool} | {' | '.join(cells)} |")
    lines.append("")


def diagnose(settings: Settings, gateway: Gateway, lab: Lab, cluster: str, service: str) -> float:
    connector = AwsConnector(replace(settings, transport="direct"))
    connector.install(gateway, lab.region)
    request = Request(service=service, cluster=cluster, region=lab.region)
    context = RunContext(settings=settings, aws=connector)
    return timed(lambda: build_graph().invoke(InputState(request=request), context=context))


def diagnoses(lab: Lab, settings: Settings, direct: DirectGateway, lines: list[str]) -> None:
    """Per scenario: one diagnosis on direct and on mcp with 1 and 2 AWS API servers (warm)."""
    pools = {n: replace(settings, mcp=replace(settings.mcp, api_servers=n)) for n in (1, 2)}
    gateways = {n: open_mcp_gateway(s, direct, lab.region) for n, s in pools.items()}
    lines += [
        "## One diagnosis per scenario (whole graph, servers warm)",
        "",
        "| scenario | calls | direct s | mcp s, 1 API server | mcp s, 2 API servers (default) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    try:
        for scenario, cluster, service in lab.targets:
            before = direct.api_calls
            by_direct = diagnose(settings, direct, lab, cluster, service)
            calls = direct.api_calls - before
            by_mcp = [diagnose(settings, gateways[n], lab, cluster, service) for n in (1, 2)]
            lines.append(
                f"| {scenario} | {calls} | {by_direct:.2f} | {by_mcp[0]:.2f} | {by_mcp[1]:.2f} |"
            )
    finally:
        for gateway in gateways.values():
            gateway.close()
    _, cluster, service = lab.targets[0]
    cold = timed(lambda: _cold_run(settings, direct, lab, cluster, service))
    lines += [
        "",
        f"A cold mcp run (start the servers, diagnose {lab.targets[0][0]}, stop them): "
        f"{cold:.2f} s.",
        "",
    ]


def _cold_run(
    settings: Settings, direct: DirectGateway, lab: Lab, cluster: str, service: str
) -> None:
    gateway = open_mcp_gateway(settings, direct, lab.region)
    try:
        diagnose(settings, gateway, lab, cluster, service)
    finally:
        gateway.close()


def main() -> int:
    scenarios = sys.argv[1:] or SCENARIOS
    lines = [
        "# Transports: mcp (AWS MCP servers) against direct (boto3), on the lab",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} by "
        f"`bench/bench_transports.py` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; load average at start "
        f"{os.getloadavg()[0]:.1f}. Servers: "
        + ", ".join(f"{p.package} {p.version}" for p in PINS)
        + ".",
        "",
    ]
    provisioning(lines)
    lab = Lab.start(scenarios)
    saved = dict(os.environ)
    export_lab_env(lab)
    state = Path(tempfile.mkdtemp(prefix="ecs-medic-bench-state-"))
    try:
        settings = settings_for(lab, state)
        direct = DirectGateway(make_session(None), lab.region, endpoint_url=lab.endpoint_url)
        server_start(lab, direct, settings, lines)
        mcp = open_mcp_gateway(settings, direct, lab.region)
        try:
            per_call(lab, direct, mcp, lines)
        finally:
            mcp.close()
        diagnoses(lab, settings, direct, lines)
    finally:
        lab.stop()
        os.environ.clear()
        os.environ.update(saved)
        shutil.rmtree(state, ignore_errors=True)
    lines.append(f"Load average at the end: {os.getloadavg()[0]:.1f}.")
    OUT.write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Benchmark: wall time and API calls of one diagnosis per lab scenario (direct transport).

Run with `make bench` (or `python bench/bench_diagnose.py [SCENARIO...]`, BENCH_RUNS=n);
writes bench/results/diagnose-direct.md. For every scenario it times
the whole graph (context, collection, analysis, report, checkpoints) and, separately, the
evidence collection alone with a per-operation call count. Timings are measured, never
asserted in tests (these machines are noisy).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from ecs_medic.aws.collector import Collector
from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.gateway import CountingGateway
from ecs_medic.config import load_settings
from ecs_medic.lab import Lab, list_scenarios
from ecs_medic.lab_settings import export_lab_env, lab_request, lab_settings, lab_target
from ecs_medic.runner import diagnose

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
OUT = Path(__file__).parent / "results" / "diagnose-direct.md"
# Before the full collection (commit 3c90b76): tasks, task definitions, target groups and
# health, ECR DescribeImages and logs only. Same machine, same method.
BEFORE = {
    "app-crash": (477, 15),
    "health-check-path-wrong": (438, 13),
    "healthy": (185, 13),
    "image-not-found": (477, 15),
    "oom": (485, 15),
}


@dataclass(frozen=True)
class Result:
    """One scenario's measurements."""

    name: str
    expected: str | None
    top1: str | None
    median_ms: float
    best_ms: float
    cpu_ms: float  # process CPU per diagnosis, the lab's moto included: what load cannot inflate
    calls: int
    collect_ms: float
    operations: Counter[str]
    gaps: list[str]


def collect_once(lab: Lab) -> tuple[float, CountingGateway, list[str]]:
    """Time one collection with a fresh gateway (clients included) and count its calls."""
    session = make_session(None)  # the lab's credentials are in the environment
    gateway = CountingGateway(DirectGateway(session, lab.region, endpoint_url=lab.endpoint_url))
    target = lab_target(lab)
    start = time.perf_counter()
    snapshot = Collector(gateway).collect(target)
    elapsed = time.perf_counter() - start
    return elapsed, gateway, [f"{g.source} ({g.reason})" for g in snapshot.gaps]


def bench_scenario(name: str, expected: str | None, state_dir: Path) -> Result:
    """Whole-graph timings over RUNS diagnoses, then collection timings and counts."""
    with Lab.start([name]) as lab:
        export_lab_env(lab)
        # boto3; the MCP servers are the CLI's default
        settings = lab_settings(lab, load_settings(), transport="direct", state_dir=state_dir)
        request = lab_request(lab)
        times, cpu, report = [], [], None
        for _ in range(RUNS):
            start, start_cpu = time.perf_counter(), time.process_time()
            report = diagnose(settings, request)
            times.append(time.perf_counter() - start)
            cpu.append(time.process_time() - start_cpu)
        assert report is not None
        collections = [collect_once(lab) for _ in range(RUNS)]
        _, gateway, gaps = collections[-1]
        return Result(
            name=name,
            expected=expected,
            top1=report.root_cause.code if report.root_cause else None,
            median_ms=statistics.median(times) * 1000,
            best_ms=min(times) * 1000,
            cpu_ms=statistics.median(cpu) * 1000,
            calls=report.stats.api_calls,
            collect_ms=statistics.median(c[0] for c in collections) * 1000,
            operations=gateway.operations,
            gaps=gaps,
        )


def by_service(operations: Counter[str]) -> str:
    """Calls per AWS service, most first: `ec2 11, iam 10, ecs 8, ...`."""
    totals: Counter[str] = Counter()
    for operation, count in operations.items():
        totals[operation.split(":", 1)[0]] += count
    return ", ".join(f"{s} {n}" for s, n in totals.most_common())


def row(r: Result) -> str:
    before = BEFORE.get(r.name)
    was = f"{before[0]} ms / {before[1]}" if before else "-"
    cells = [r.name, r.expected or "-", r.top1 or "-", f"{r.median_ms:.0f}", f"{r.best_ms:.0f}"]
    cells += [f"{r.cpu_ms:.0f}", str(r.calls), f"{r.collect_ms:.0f}", by_service(r.operations), was]
    cells.append(", ".join(r.gaps) or "-")
    return "| " + " | ".join(cells) + " |"


def operations_table(r: Result) -> list[str]:
    lines = [f"Calls of one collection for `{r.name}`:", "", "| operation | calls |", "|---|---|"]
    lines += [f"| {op} | {n} |" for op, n in sorted(r.operations.items())]
    return lines


def main() -> None:
    """Run every scenario (or those named on the command line) and write the results tables."""
    os.environ.pop("AWS_PROFILE", None)
    load_before = os.getloadavg()[0]
    chosen = set(sys.argv[1:])
    results = []
    with tempfile.TemporaryDirectory() as state:
        for info in list_scenarios():
            if chosen and info.name not in chosen:
                continue
            results.append(bench_scenario(info.name, info.expected, Path(state)))
            print(row(results[-1]))
    header = [
        "# Diagnosis time on the lab (direct transport)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}; {RUNS} runs per scenario, one warm process, "
        f"lab on loopback; load average {load_before:.1f} at the start, "
        f"{os.getloadavg()[0]:.1f} at the end (other work on the machine slows every number). "
        "Regenerate with `make bench`.",
        "",
        "- *median / best ms*: the whole graph (context, collection, analysis, report, SQLite "
        "checkpoints), the CLI's path; *API calls* as the report counts them.",
        "- *CPU ms*: process CPU time of one diagnosis (median), the in-process lab's moto "
        "included; on an idle machine wall time approaches it, whatever the load was here.",
        "- *collect ms*: the evidence collection alone with a fresh gateway and session "
        "(client creation included, service models already parsed), median; "
        "*calls by service* for one collection.",
        "- *before*: median ms / API calls of the same scenario with the collector of commit "
        "3c90b76 (tasks, task definitions, target groups, ECR and logs only).",
        "- *gaps*: sources the collection could not read (moto 5.2.5 lacks some operations).",
        "",
        "| scenario | expected | top-1 | median ms | best ms | CPU ms | API calls | collect ms "
        "| calls by service | before | gaps |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    healthy = next((r for r in results if r.name == "healthy"), results[0])
    OUT.write_text("\n".join([*header, *map(row, results), "", *operations_table(healthy)]) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

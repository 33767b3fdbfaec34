"""Benchmark: what the Planton context costs (lab + Planton stand-in, direct transport).

Run with `python bench/bench_planton.py` (BENCH_RUNS=n); writes bench/results/planton.md.
It times Planton's context chain alone (connect, tools/list, 5-6 tool calls) and a whole
diagnosis of the lab's `oom` service with the local context and with the Planton context
(which adds the chain, sts:AssumeRole and sts:GetCallerIdentity). Wall times move with the
machine's load; the process CPU time is given beside them.
"""

from __future__ import annotations

import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from ecs_medic.config import load_settings
from ecs_medic.context.planton import find_service
from ecs_medic.graph.state import Request
from ecs_medic.lab import Lab
from ecs_medic.lab.planton import serve_for_lab
from ecs_medic.runner import diagnose

RUNS = int(os.environ.get("BENCH_RUNS", "5"))
OUT = Path(__file__).parent / "results" / "planton.md"


def measure(action: Callable[[], object]) -> tuple[float, float]:
    """Median wall and CPU milliseconds of RUNS runs (after one warm-up)."""
    action()
    walls, cpus = [], []
    for _ in range(RUNS):
        wall, cpu = time.perf_counter(), time.process_time()
        action()
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus)


def main() -> None:
    with Lab.start(["oom"]) as lab, serve_for_lab(lab, "acme") as planton:
        os.environ.update(lab.env())
        state = tempfile.mkdtemp(prefix="bench-planton-")
        env = {
            **lab.env(),
            "PLANTON_API_KEY": planton.api_key,
            "PLANTON_MCP_URL": planton.url,
            "ECS_MEDIC_STATE_DIR": state,
            "ECS_MEDIC_TRANSPORT": "direct",
        }
        with_planton = load_settings(env)
        local = replace(with_planton, planton=replace(with_planton.planton, context="local"))
        rows = [
            (
                "Planton context chain alone",
                measure(lambda: find_service(with_planton.planton, "web")),
            ),
            (
                "diagnose web, local context",
                measure(lambda: diagnose(local, Request("web", "prod"))),
            ),
            (
                "diagnose web, Planton context",
                measure(lambda: diagnose(with_planton, Request("web"))),
            ),
        ]
        calls = len(planton.calls) // (2 * (RUNS + 1))
    lines = [
        "# Planton context cost",
        "",
        f"{platform.platform()}, Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}, median of {RUNS} runs. "
        f"Planton tool calls per chain: {calls}.",
        "",
        "| what | wall ms | CPU ms |",
        "|---|---:|---:|",
        *[f"| {name} | {wall:.0f} | {cpu:.0f} |" for name, (wall, cpu) in rows],
    ]
    OUT.parent.mkdir(exist_ok=True)
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

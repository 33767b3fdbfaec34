"""Benchmark: the whole analyzer registry over one snapshot per catalogue code.

Run with `.venv/bin/python bench/bench_analyzers.py`; writes bench/results/analyzers.md. The
snapshots are the hand-built ones of tests/unit/test_analyzers_catalogue.py (61 codes, Fargate
and EC2, sidecars). Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "unit"))

from test_analyzers_catalogue import CASES  # noqa: E402 - the unit-test builders are the input

from ecs_medic.analyzers import ANALYZERS, analyze  # noqa: E402

ROUNDS = 50
OUT = ROOT / "bench" / "results" / "analyzers.md"


def measure() -> tuple[dict[str, list[float]], list[float]]:
    """Wall ms of analyze() per case and CPU ms of every call, ROUNDS times, after a warm-up."""
    for snapshot in CASES.values():
        analyze(snapshot)
    times: dict[str, list[float]] = {code: [] for code in CASES}
    cpu: list[float] = []
    for _ in range(ROUNDS):
        for code, snapshot in CASES.items():
            start, start_cpu = time.perf_counter(), time.thread_time()
            analyze(snapshot)
            cpu.append((time.thread_time() - start_cpu) * 1000)
            times[code].append((time.perf_counter() - start) * 1000)
    return times, sorted(cpu)


def report(times: dict[str, list[float]], cpu: list[float]) -> str:
    """A Markdown summary: overall median and p95 (wall and CPU), and the slowest cases."""
    every = sorted(t for ts in times.values() for t in ts)
    slowest = sorted(times.items(), key=lambda kv: -statistics.median(kv[1]))[:5]
    lines = [
        "# Analyzer speed",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, Python "
        f"{platform.python_version()}: {len(ANALYZERS)} analyzers over {len(CASES)} snapshots "
        f"x {ROUNDS} rounds. Regenerate with `.venv/bin/python bench/bench_analyzers.py`.",
        "",
        f"- wall time per analyze() of one snapshot: median {statistics.median(every):.3f} ms, "
        f"p95 {every[int(len(every) * 0.95)]:.3f} ms (load average {os.getloadavg()[0]:.1f} "
        f"on {os.cpu_count()} cores while measured)",
        f"- CPU time per analyze(): median {statistics.median(cpu):.3f} ms, "
        f"p95 {cpu[int(len(cpu) * 0.95)]:.3f} ms, max {cpu[-1]:.3f} ms",
        "",
        "| slowest cases | median ms | max ms |",
        "|---|---|---|",
        *(f"| {code} | {statistics.median(ts):.3f} | {max(ts):.3f} |" for code, ts in slowest),
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    """Measure and write the results."""
    text = report(*measure())
    OUT.write_text(text)
    print(text)


if __name__ == "__main__":
    main()

"""Benchmark: wall time and API calls of one diagnosis per lab scenario (direct transport).

Run with `make bench`; writes bench/results/diagnose-direct.md. Timings are measured, never
asserted in tests (these machines are noisy).
"""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

from ecs_medic.config import AwsSettings, load_settings
from ecs_medic.graph.state import Request
from ecs_medic.lab import Lab, list_scenarios
from ecs_medic.runner import diagnose

RUNS = 5
OUT = Path(__file__).parent / "results" / "diagnose-direct.md"


def bench_scenario(name: str, state_dir: Path) -> tuple[str | None, float, float, int]:
    """(root cause, median seconds, best seconds, API calls) over RUNS diagnoses."""
    with Lab.start([name]) as lab:
        os.environ.update(lab.env())
        settings = replace(
            load_settings(),
            aws=AwsSettings(region=lab.region, endpoint_url=lab.endpoint_url),
            state_dir=state_dir,
        )
        _, cluster, service = lab.targets[0]
        times, report = [], None
        for _ in range(RUNS):
            start = time.perf_counter()
            report = diagnose(settings, Request(service=service, cluster=cluster))
            times.append(time.perf_counter() - start)
        assert report is not None
        code = report.root_cause.code if report.root_cause else None
        return code, statistics.median(times), min(times), report.stats.api_calls


def main() -> None:
    """Run every scenario and write the results table."""
    os.environ.pop("AWS_PROFILE", None)
    rows = []
    with tempfile.TemporaryDirectory() as state:
        for info in list_scenarios():
            code, median, best, calls = bench_scenario(info.name, Path(state))
            cells = [info.name, info.expected or "-", code or "-"]
            cells += [f"{median * 1000:.0f}", f"{best * 1000:.0f}", str(calls)]
            rows.append("| " + " | ".join(cells) + " |")
            print(rows[-1])
    header = [
        "# Diagnosis time on the lab (direct transport)",
        "",
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {sys.version.split()[0]}; {RUNS} runs per scenario, one warm process, "
        "lab on loopback.",
        "Wall time covers the whole graph: context, collection, analysis, report and "
        "SQLite checkpoints.",
        "",
        "| scenario | expected | top-1 | median ms | best ms | API calls |",
        "|---|---|---|---|---|---|",
    ]
    OUT.write_text("\n".join([*header, *rows]) + "\n")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()

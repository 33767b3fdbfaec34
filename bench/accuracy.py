"""Accuracy benchmark: diagnose every lab scenario and compare the top-1 code with its expected one.

Run with `make accuracy`; writes bench/results/accuracy.md and accuracy.json. A healthy
variant (expected: none) counts as a false alarm when any finding is medium or worse.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from ecs_medic.config import load_settings
from ecs_medic.lab import Lab, list_scenarios
from ecs_medic.lab_settings import export_lab_env, lab_request, lab_settings
from ecs_medic.runner import diagnose

RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Row:
    """One scenario's outcome."""

    scenario: str
    category: str
    expected: str | None
    top1: str | None
    findings: list[str]
    duration_s: float
    api_calls: int
    gaps: list[str]

    @property
    def correct(self) -> bool:
        return self.expected == self.top1

    @property
    def false_alarm(self) -> bool:
        return self.expected is None and self.top1 is not None


def run_one(name: str, category: str, expected: str | None, state_dir: Path) -> Row:
    """Start the scenario's lab and diagnose its service once, through boto3."""
    with Lab.start([name]) as lab:
        export_lab_env(lab)
        settings = lab_settings(lab, load_settings(), transport="direct", state_dir=state_dir)
        start = time.perf_counter()
        report = diagnose(settings, lab_request(lab))
        duration = time.perf_counter() - start
    root = report.root_cause
    return Row(
        scenario=name,
        category=category,
        expected=expected,
        top1=root.code if root else None,
        findings=[f"{f.code}:{f.severity.value}" for f in report.findings],
        duration_s=round(duration, 3),
        api_calls=report.stats.api_calls,
        gaps=[f"{g.source}:{g.reason}" for g in report.gaps],
    )


def write(rows: list[Row]) -> tuple[Path, Path]:
    """Write the Markdown table and the JSON."""
    failing = [r for r in rows if r.expected]
    healthy = [r for r in rows if not r.expected]
    correct = sum(r.correct for r in failing)
    alarms = sum(r.false_alarm for r in healthy)
    summary = {
        "measured": time.strftime("%Y-%m-%d"),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}",
        "failure_scenarios": len(failing),
        "top1_correct": correct,
        "top1_accuracy": round(correct / len(failing), 4) if failing else None,
        "healthy_variants": len(healthy),
        "false_alarms": alarms,
        "codes_covered": sorted({r.expected for r in failing if r.expected}),
    }
    payload = {"summary": summary, "scenarios": [r.__dict__ for r in rows]}
    json_path = RESULTS / "accuracy.json"
    json_path.write_text(json.dumps(payload, indent=2) + "\n")
    lines = [
        "# Diagnosis accuracy on the lab",
        "",
        f"Measured {summary['measured']} on {summary['machine']}, direct transport, "
        "one diagnosis per scenario after the lab's warm-up. Regenerate with `make accuracy`.",
        "",
        f"- Top-1 accuracy: **{correct}/{len(failing)}** failure scenarios "
        f"({len(summary['codes_covered'])} distinct codes)",
        f"- False alarms (a finding of medium or above) on healthy variants: "
        f"**{alarms}/{len(healthy)}**",
        "",
        "| scenario | category | expected | top-1 | ok | all findings | s | calls | gaps |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ok = "yes" if r.correct else "**no**"
        cells = [r.scenario, r.category, r.expected or "(healthy)", r.top1 or "-", ok,
                 ", ".join(r.findings) or "-", f"{r.duration_s:.2f}", str(r.api_calls),
                 ", ".join(r.gaps) or "-"]  # fmt: skip
        lines.append("| " + " | ".join(cells) + " |")
    md_path = RESULTS / "accuracy.md"
    md_path.write_text("\n".join(lines) + "\n")
    return md_path, json_path


def main() -> int:
    """Run every scenario (or those named on the command line); exit 1 on any miss."""
    os.environ.pop("AWS_PROFILE", None)
    wanted = set(sys.argv[1:])
    rows = []
    with tempfile.TemporaryDirectory() as state:
        for info in list_scenarios():
            if wanted and info.name not in wanted:
                continue
            row = run_one(info.name, info.category, info.expected, Path(state))
            mark = "ok  " if row.correct else "MISS"
            outcome = f"expected {row.expected}, got {row.top1}"
            print(
                f"{mark} {row.scenario}: {outcome} ({row.duration_s:.2f} s, {row.api_calls} calls)"
            )
            rows.append(row)
    if not wanted:
        for path in write(rows):
            print(f"wrote {path}")
    return 0 if all(r.correct for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())

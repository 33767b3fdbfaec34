"""Benchmark: `fix --yes` on every lab scenario whose fix the catalogue rates A1 or A2 there.

Run with `make heal-bench` (or `python bench/bench_healing.py [SCENARIO...]`); writes
bench/results/healing.md and healing.json (HEAL_TRANSPORT=mcp: healing-mcp.*). Each
scenario gets its own lab with the clock ticking in the background; the whole graph runs in
this process (--yes): diagnose, plan, apply, verify, roll back, through boto3 (direct, the
default) or the AWS MCP servers (HEAL_TRANSPORT=mcp: a write-enabled session for the apply).
Calls are counted at the emulator (moto's request log), split into reads and mutating
calls. Wall times are measured, never asserted.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

from ecs_medic.catalogue import failure_mode
from ecs_medic.config import load_settings
from ecs_medic.lab import Lab, list_scenarios
from ecs_medic.lab.faults import is_mutating
from ecs_medic.lab_settings import export_lab_env, lab_request, lab_settings
from ecs_medic.remedies.outcome import FixOptions
from ecs_medic.remedies.planners import planned_codes
from ecs_medic.runner import fix

SPEED = float(os.environ.get("HEAL_SPEED", "60"))  # simulated seconds per wall second
JOBS = int(os.environ.get("HEAL_JOBS", "2"))  # scenarios healed at once, each in its own process
TIMEOUT_S = 120.0
TRANSPORT = os.environ.get("HEAL_TRANSPORT", "direct")  # direct | mcp
SUFFIX = "" if TRANSPORT == "direct" else f"-{TRANSPORT}"
RESULTS = Path(__file__).parent / "results"


@dataclass(frozen=True)
class Result:
    """One scenario's healing run."""

    scenario: str
    expected: str
    level: str
    planned: list[str]
    status: str
    fixed: bool  # an action was applied
    verified: bool
    rolled_back: bool
    wall_s: float
    simulated_s: float
    reads: int
    mutating: int
    recommendations: int


def scenarios(wanted: list[str]) -> list[tuple[str, str, str]]:
    """(name, expected code, fix level there) of the A1/A2 scenarios, or of those named."""
    found = []
    for info in list_scenarios():
        if not info.expected:
            continue
        level = info.auto_level or ""
        if info.name in wanted or (not wanted and level in ("A1", "A2")):
            found.append((info.name, info.expected, level))
    return found


def recommended() -> list[str]:
    """Scenarios whose fix is A3 in their situation: `fix` recommends, it does not apply."""
    return [f"{i.name} ({i.expected})" for i in list_scenarios() if i.expected and
            i.auto_level == "A3" and failure_mode(i.expected).auto_level != "A3"]  # fmt: skip


def unplanned(found: list[tuple[str, str, str]]) -> list[str]:
    """The scenarios among `found` whose expected code has no planner."""
    return [f"{name} ({code})" for name, code, _ in found if code not in planned_codes()]


def heal(name: str, expected: str, level: str) -> Result:
    """Start the scenario's lab, run `fix --yes` on its service, measure."""
    os.environ["ECS_MEDIC_STATE_DIR"] = tempfile.mkdtemp(prefix="heal-bench-")
    with Lab.start([name]) as lab:
        export_lab_env(lab)
        settings = lab_settings(lab, load_settings(), transport=TRANSPORT)
        lab.run_in_background(speed=SPEED)
        seen, sim_start, start = len(lab.requests()), lab.now, time.perf_counter()
        result = fix(
            settings,
            lab_request(lab),
            FixOptions(auto_approve=True, timeout_s=TIMEOUT_S),
            None,
        )
        wall, simulated = time.perf_counter() - start, lab.now - sim_start
        calls = lab.requests()[seen:]
    remediation = result.report.remediation if result.report else None
    if remediation is None:
        raise SystemExit(f"{name}: the fix run ended without a remediation report")
    mutating = sum(1 for _, op in calls if is_mutating(op))
    return Result(
        scenario=name, expected=expected, level=level,
        planned=[f"{a.code}:{a.auto_level}" for a in remediation.plan.actions],
        status=remediation.status, fixed=remediation.applied, verified=remediation.verified,
        rolled_back=remediation.rolled_back, wall_s=round(wall, 1),
        simulated_s=round(simulated), reads=len(calls) - mutating, mutating=mutating,
        recommendations=len(remediation.plan.recommendations),
    )  # fmt: skip


def heal_and_say(scenario: tuple[str, str, str]) -> Result:
    """heal() for a process pool, printing progress."""
    result = heal(*scenario)
    print(f"{result.scenario}: {result.status} in {result.wall_s} s", flush=True)
    return result


def yes_no(flag: bool) -> str:
    return "yes" if flag else "-"


def markdown(results: list[Result], load: str, skipped: list[str]) -> str:
    """The results table with how it was measured."""
    healed = sum(r.verified for r in results)
    planned = [r for r in results if r.expected in planned_codes()]
    rolled = sum(r.rolled_back for r in planned)
    advised = sum(not r.fixed for r in planned)
    lines = [
        "# Healing on the lab",
        "",
        f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"load average before the run {load}. "
        f"`ecs-medic fix --yes` in-process, {TRANSPORT} transport, one lab per scenario, {JOBS} "
        f"scenarios at a time, lab clock at {SPEED:g}x, verification timeout {TIMEOUT_S:g} s. "
        f"Regenerate with `{'' if TRANSPORT == 'direct' else f'HEAL_TRANSPORT={TRANSPORT} '}"
        "make heal-bench`.",
        "",
        f"- Verified healthy: **{healed}/{len(results)}** scenarios whose fix is A1/A2 there; "
        f"**{healed}/{len(planned)}** of those whose code has a planner (the others: "
        f"{rolled} rolled back and verified restored, {advised} with recommendations only)",
        "- calls: requests the emulator served during the run (diagnosis, planning lookups, "
        "apply, verification, rollback), reads and mutating",
        f"- No planner for the expected code: {', '.join(skipped) or 'none'}",
        "- Not run: the catalogue makes these fixes A3 in their situation (a crash or missing "
        "image with no COMPLETED revision to roll back to), so `fix` recommends and applies "
        f"nothing: {', '.join(recommended())}",
        "",
        "| scenario | expected | level | plan | status | fixed | verified | rolled back "
        "| wall s | simulated s | reads | mutating |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        plan = ", ".join(r.planned) or f"({r.recommendations} recommendation(s))"
        lines.append(
            f"| {r.scenario} | {r.expected} | {r.level} | {plan} | {r.status} | "
            f"{yes_no(r.fixed)} | {yes_no(r.verified)} | {yes_no(r.rolled_back)} | "
            f"{r.wall_s} | {r.simulated_s} | {r.reads} | {r.mutating} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    found = scenarios(argv)
    skipped = unplanned(found)
    with ProcessPoolExecutor(JOBS) as pool:  # a lab per process: no shared moto state
        results = list(pool.map(heal_and_say, found))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / f"healing{SUFFIX}.md").write_text(markdown(results, load, skipped), encoding="utf-8")
    document = {
        "load_average": load,
        "speed": SPEED,
        "jobs": JOBS,
        "transport": TRANSPORT,
        "not_run": skipped,
        "results": [asdict(r) for r in results],
    }
    text = json.dumps(document, indent=2) + "\n"
    (RESULTS / f"healing{SUFFIX}.json").write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])

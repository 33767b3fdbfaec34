"""`ecs-medic fix --yes` on every lab scenario whose fix the catalogue rates A1 or A2 there.

Each scenario runs in its own lab with the clock ticking in the background: a lab shared by
several services ticks all of them while one is verified, which costs more than it saves.
A representative subset (one per family of fix) runs in `make test`; the rest is slow.
"""

from __future__ import annotations

import json

import pytest
from cli_env import run_cli, start_lab

from ecs_medic.lab import list_scenarios
from ecs_medic.remedies.planners import planned_codes

pytestmark = pytest.mark.lab

SPEED = 60.0  # simulated seconds per wall second: a rollout verifies in well under a minute
TIMEOUT_S = "90"  # wall seconds the verification may wait

# One scenario per kind of change, for `make test`: a log group, an IAM policy, a security
# group rule, a task-definition revision, a service update.
SUBSET = {
    "log-group-missing",
    "secrets-fetch-denied",
    "sg-blocks-alb",
    "entrypoint-not-found",
    "desired-count-zero",
}
# A1/A2 scenarios that `fix --yes` does not heal, and why (strict: they must not heal).
NOT_HEALED = {
    "oom-heap-1500": "doubling the memory is not enough: the fix is rolled back (by design)",
}
# Scenarios whose fix the catalogue rates A3 in their situation ("A1 to roll back to the last
# COMPLETED revision, A3 otherwise"), with what the recommendation must name.
RECOMMENDED = {
    "app-crash": "Set DATABASE_URL for container web",
    "image-not-found": "Push ",
}


def scenarios_at(*levels: str) -> list[tuple[str, str]]:
    """(name, expected code) of the scenarios whose fix has one of these levels here."""
    return sorted(
        (s.name, s.expected) for s in list_scenarios() if s.expected and s.auto_level in levels
    )


def case(name: str, code: str) -> object:
    marks = [] if name in SUBSET else [pytest.mark.slow]
    if code not in planned_codes():
        marks.append(pytest.mark.skip(reason=f"no planner for {code} yet (a newer scenario)"))
    elif name in NOT_HEALED:
        marks.append(pytest.mark.xfail(reason=NOT_HEALED[name], strict=True))
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("scenario", [case(n, c) for n, c in scenarios_at("A1", "A2")])
def test_fix_yes_heals_the_scenario_and_verifies(scenario, tmp_path):
    """The plan is applied, the service verifies healthy, nothing is rolled back."""
    lab, env = start_lab([scenario], tmp_path)
    env["ECS_MEDIC_TRANSPORT"] = "direct"
    with lab:
        lab.run_in_background(speed=SPEED)
        before = len(lab.mutating_calls())
        result = run_cli(["fix", "web", "--yes", "--timeout", TIMEOUT_S, "-f", "json"], env)
        changed = len(lab.mutating_calls()) - before
    remediation = json.loads(result.stdout)["remediation"]
    assert (0, "verified") == (result.returncode, remediation["status"]), remediation
    assert (True, True, False) == (
        remediation["applied"],
        remediation["verified"],
        remediation["rolled_back"],
    )
    assert changed >= len(remediation["plan"]["actions"]) >= 1


@pytest.mark.parametrize(
    "scenario",
    [pytest.param(n, marks=[] if n == "app-crash" else [pytest.mark.slow]) for n in RECOMMENDED],
)
def test_fix_yes_on_an_a3_fix_recommends_and_changes_nothing(scenario, tmp_path):
    """Where the catalogue's fix is A3 here, `fix --yes` applies nothing and says what to do."""
    assert scenario in dict(scenarios_at("A3"))
    lab, env = start_lab([scenario], tmp_path)
    env["ECS_MEDIC_TRANSPORT"] = "direct"
    with lab:
        before = len(lab.mutating_calls())
        result = run_cli(["fix", "web", "--yes", "-f", "json"], env)
        changed = len(lab.mutating_calls()) - before
    remediation = json.loads(result.stdout)["remediation"]
    assert ("nothing-to-do", [], 0) == (
        remediation["status"],
        remediation["plan"]["actions"],
        changed,
    ), remediation
    assert any(RECOMMENDED[scenario] in r for r in remediation["plan"]["recommendations"])

"""`ecs-medic fix --yes` on every lab scenario whose failure the catalogue rates A1 or A2.

Each scenario runs in its own lab with the clock ticking in the background: a lab shared by
several services ticks all of them while one is verified, which costs more than it saves.
A representative subset (one per family of fix) runs in `make test`; the rest is slow.
"""

from __future__ import annotations

import json

import pytest
from cli_env import run_cli, start_lab

from ecs_medic.catalogue import failure_mode
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
# A1/A2 scenarios that `fix --yes` does not heal, and why (strict: they must not heal). The
# catalogue's A1 fix for a crash or a missing image is a rollback to a revision that ran
# healthy; app-crash and image-not-found are first releases with no such revision (a "bad
# release" story such as crash-segfault or deployment-stuck has one and heals).
NOT_HEALED = {
    "app-crash": "no earlier revision ran, and the missing variable's value is in no AWS API: "
    "a recommendation (A3)",
    "image-not-found": "no earlier revision ran (nothing to roll back to) and pushing the "
    "image is A3: a recommendation",
    "oom-heap-1500": "doubling the memory is not enough: the fix is rolled back (by design)",
    "health-check-path-wrong": "no AWS API shows which path the app serves, and no revision "
    "rollback changes the target group: a recommendation",
}


def a1_a2_scenarios() -> list[tuple[str, str]]:
    """(name, expected code) of the scenarios whose failure the catalogue rates A1 or A2."""
    return sorted(
        (s.name, s.expected)
        for s in list_scenarios()
        if s.expected and failure_mode(s.expected).auto_level in ("A1", "A2")
    )


def case(name: str, code: str) -> object:
    marks = [] if name in SUBSET else [pytest.mark.slow]
    if code not in planned_codes():
        marks.append(pytest.mark.skip(reason=f"no planner for {code} yet (a newer scenario)"))
    elif name in NOT_HEALED:
        marks.append(pytest.mark.xfail(reason=NOT_HEALED[name], strict=True))
    return pytest.param(name, marks=marks, id=name)


@pytest.mark.parametrize("scenario", [case(n, c) for n, c in a1_a2_scenarios()])
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

"""`ecs-medic fix` and `resume` on a Planton-managed service: the real CLI, lab and stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from cli_env import run_cli
from moto.sts.models import sts_backends  # the lab runs in this process: read its STS state
from planton_env import planton_user_env

from ecs_medic.lab import Lab
from ecs_medic.lab.planton import PlantonServer, serve_for_lab

pytestmark = pytest.mark.lab

SPEED = 150.0  # simulated seconds per wall second: a rollout verifies in a few seconds


@pytest.fixture
def lab() -> Iterator[Lab]:
    """A ticking oom lab of its own (the fix changes it)."""
    with Lab.start(["oom"]) as running:
        running.run_in_background(speed=SPEED)
        yield running


@pytest.fixture
def planton(lab: Lab) -> Iterator[PlantonServer]:
    """The stand-in whose AwsEcsService web (org ecs-medic-lab, env prod) is the lab's."""
    server = serve_for_lab(lab)
    yield server
    server.stop()


def sessions(lab: Lab) -> list[str]:
    """The RoleSessionName of every AssumeRole the lab answered so far."""
    roles = sts_backends[lab.account_id]["aws"].assumed_roles
    return [role.session_name for role in roles]


def changes(lab: Lab) -> list[tuple[str, str]]:
    """The mutating calls the lab received, less STS's (an AssumeRole changes nothing)."""
    return [call for call in lab.mutating_calls() if call[0] != "sts"]


def test_fix_takes_the_planton_flags_of_diagnose(tmp_path, lab, planton):
    """--planton-org, --planton-env and --context planton reach the context step."""
    env = planton_user_env(tmp_path, lab, planton)
    flags = ["--planton-env", "prod", "--context", "planton", "--dry-run", "-f", "json"]
    good = run_cli(["fix", "web", "--planton-org", "ecs-medic-lab", *flags], env)
    wrong = run_cli(["fix", "web", "--planton-org", "nobody", *flags], env)
    report = json.loads(good.stdout)
    assert ("planton", "ecs-medic-lab/prod/web") == (
        report["context"]["source"],
        report["context"]["planton_resource"],
    ), good.stderr
    assert "dry-run" == report["remediation"]["status"]
    assert (2, "") == (wrong.returncode, wrong.stdout), "Planton only: no local fallback"
    assert "nobody" in wrong.stderr


def test_resume_assumes_the_planton_role_again(tmp_path, lab, planton):
    """A paused Planton fix resumed from another process acts through Planton's role, with a
    new session named after the run, not through the local credentials."""
    env = planton_user_env(tmp_path, lab, planton)
    paused = json.loads(run_cli(["fix", "web", "-f", "json", "--timeout", "60"], env).stdout)
    thread = paused["thread_id"]
    before = len(sessions(lab))
    resumed = run_cli(["resume", thread, "--approve", "-f", "json"], env)
    report = json.loads(resumed.stdout)
    assert (0, "verified") == (resumed.returncode, report["remediation"]["status"]), resumed.stderr
    assert [f"ecs-medic-{thread}"] == sessions(lab)[before:]


def test_resume_refuses_when_the_planton_role_cannot_be_assumed(tmp_path, lab, planton):
    """No role, no change: resume does not fall back to the local credentials."""
    env = planton_user_env(tmp_path, lab, planton)
    paused = json.loads(run_cli(["fix", "web", "-f", "json"], env).stdout)
    before = changes(lab)
    lab.inject("sts:AssumeRole")
    resumed = run_cli(["resume", paused["thread_id"], "--approve", "-f", "json"], env)
    assert 2 == resumed.returncode
    assert "Could not assume the role Planton names" in resumed.stderr
    assert "Traceback" not in resumed.stderr
    assert before == changes(lab)

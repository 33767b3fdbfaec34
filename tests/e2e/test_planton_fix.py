"""`ecs-medic fix` and `resume` on a Planton-managed service: the real CLI, lab and stand-in."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

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


def changes(lab: Lab) -> list[tuple[str, str, str]]:
    """(service, operation, client) of the mutating calls the lab received, less STS's (an
    AssumeRole changes nothing)."""
    return [call for call in lab.mutating_requests() if call[0] != "sts"]


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


def fix_json(args: list[str], env: dict[str, str]) -> tuple[int, dict[str, Any], str]:
    """Run `ecs-medic fix web --yes ARGS -f json`; exit code, remediation object, stderr."""
    result = run_cli(["fix", "web", "--yes", "--timeout", "60", *args, "-f", "json"], env)
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.returncode, report.get("remediation") or {}, result.stderr


def test_fix_yes_heals_oom_through_a_planton_spec_change(tmp_path, lab, planton):
    """The memory fix goes to Planton as a spec change; its stack job (the stand-in's) makes
    the AWS change, and the service verifies healthy. ecs-medic itself changes nothing in AWS."""
    env = planton_user_env(tmp_path, lab, planton)
    before = len(changes(lab))
    code, remediation, stderr = fix_json([], env)
    assert (0, "verified") == (code, remediation.get("status")), stderr
    assert ["planton:ApplyCloudResource"] == remediation["plan"]["actions"][0]["steps"]
    assert [
        ("ecs", "RegisterTaskDefinition", "planton-standin"),
        ("ecs", "UpdateService", "planton-standin"),
    ] == changes(lab)[before:]
    (applied,) = planton.store.applied
    assert (1024, "aws.openmcf.org/v1") == (
        applied["spec"]["container"]["memory"],
        applied["api_version"],
    )
    tools = [c.tool for c in planton.calls]
    assert tools.index("apply_cloud_resource") < len(tools) - 1 - tools[::-1].index(
        "get_latest_stack_job"
    ), "the stack job is followed after the apply"


def test_direct_change_on_a_planton_service_needs_the_flag(tmp_path, lab, planton):
    """--direct-on-planton changes AWS directly (boto3 here), and the plan says it is drift."""
    env = planton_user_env(tmp_path, lab, planton)
    before = len(changes(lab))
    code, remediation, stderr = fix_json(["--direct-on-planton"], env)
    (action,) = remediation["plan"]["actions"]
    assert (0, "verified") == (code, remediation["status"]), stderr
    assert action["title"].startswith("[drift from Planton's spec]")
    assert ["ecs:RegisterTaskDefinition", "ecs:UpdateService"] == action["steps"]
    assert {"sdk"} == {client for _, _, client in changes(lab)[before:]}
    assert [] == planton.store.applied


def test_failed_stack_job_fails_the_action_and_the_spec_is_rolled_back(tmp_path, lab, planton):
    """AWS refuses the stack job's change: the action fails with the job's error, and the
    rollback applies the old spec through Planton again."""
    env = planton_user_env(tmp_path, lab, planton)
    lab.inject("ecs:RegisterTaskDefinition")
    code, remediation, stderr = fix_json([], env)
    (outcome,) = remediation["actions"]
    assert (1, False) == (code, outcome["applied"]), stderr
    assert "stack job" in outcome["error"]
    assert "AccessDenied" in outcome["error"]
    assert (True, "rolled-back") == (outcome["rolled_back"], remediation["status"])
    assert [1024, 512] == [a["spec"]["container"]["memory"] for a in planton.store.applied]


@pytest.mark.slow  # its parts are in make test: test_planton_plan, test_planton_standin_scaling
def test_fix_yes_raises_the_scaling_range_through_the_spec_planton_owns(tmp_path):
    """An autoscaled Planton service at MaxCapacity: the raise is autoscaling.max_tasks in the
    spec, the stand-in's stack job registers the scalable target, and the service verifies."""
    with Lab.start(["autoscaling-maxed"]) as lab, serve_for_lab(lab) as planton:
        lab.run_in_background(speed=SPEED)
        env = planton_user_env(tmp_path, lab, planton)
        before = len(changes(lab))
        code, remediation, stderr = fix_json([], env)
        made = changes(lab)[before:]
    assert (0, "verified") == (code, remediation.get("status")), stderr
    assert ["planton:ApplyCloudResource"] == remediation["plan"]["actions"][0]["steps"]
    (applied,) = planton.store.applied
    assert 2 < applied["spec"]["autoscaling"]["max_tasks"]
    assert ("application-autoscaling", "RegisterScalableTarget", "planton-standin") in made
    assert {"planton-standin"} == {client for _, _, client in made}, "no direct change"

"""`ecs-medic fix` and `resume` through the real CLI against a ticking lab."""

from __future__ import annotations

import json

import pytest
from cli_env import run_cli, start_lab

pytestmark = pytest.mark.lab

SPEED = 150.0  # simulated seconds per wall second: a rollout verifies in a few seconds


@pytest.fixture
def ticking(tmp_path):
    """Start a scenario's lab with its clock running fast in the background.

    The MCP servers cost about 8 s per CLI run here: the test of `fix --yes` goes through
    them (the default transport, writes in their own session); the tests of approval,
    resume and rollback, which are about the flow, use boto3.
    """
    labs = []

    def start(scenario, transport="direct"):
        lab, env = start_lab([scenario], tmp_path)
        env["ECS_MEDIC_TRANSPORT"] = transport
        lab.run_in_background(speed=SPEED)
        labs.append(lab)
        return lab, env

    yield start
    for lab in labs:
        lab.stop()


def test_fix_yes_heals_oom_and_verifies(ticking):
    """--yes applies the memory fix; the report says verified and the exit code is 0."""
    lab, env = ticking("oom", transport="mcp")
    result = run_cli(["fix", "web", "--yes", "--timeout", "60", "-f", "json"], env)
    doc = json.loads(result.stdout)
    remediation = doc["remediation"]
    assert (0, "verified") == (result.returncode, remediation["status"]), result.stderr
    assert "mcp" == doc["stats"]["transport"]
    assert (True, True, False) == (
        remediation["applied"],
        remediation["verified"],
        remediation["rolled_back"],
    )
    assert ["ecs:RegisterTaskDefinition", "ecs:UpdateService"] == remediation["plan"]["actions"][0][
        "steps"
    ]
    assert [("ecs", "RegisterTaskDefinition"), ("ecs", "UpdateService")] == lab.mutating_calls()[
        -2:
    ]


def test_no_terminal_pauses_then_resume_from_another_process_completes(ticking):
    """Without a terminal, fix stops at the approval with zero changes; resume applies it."""
    lab, env = ticking("oom")
    before = len(lab.mutating_calls())
    paused = run_cli(["fix", "web", "-f", "json", "--timeout", "60"], env)
    question = json.loads(paused.stdout)
    assert (1, "ecs-medic/approval/v1") == (paused.returncode, question["schema"])
    assert before == len(lab.mutating_calls()), "nothing changes before approval"
    resumed = run_cli(["resume", question["thread_id"], "--approve", "-f", "json"], env)
    remediation = json.loads(resumed.stdout)["remediation"]
    assert (0, "verified", "resume") == (
        resumed.returncode,
        remediation["status"],
        remediation["approved_by"],
    )


def test_reject_and_dry_run_make_zero_mutating_calls(ticking):
    """A rejection, a dry run and an unanswered question leave the account untouched."""
    lab, env = ticking("oom")
    before = len(lab.mutating_calls())
    dry = json.loads(run_cli(["fix", "web", "--dry-run", "-f", "json"], env).stdout)
    paused = json.loads(run_cli(["fix", "web", "-f", "json"], env).stdout)
    rejected = run_cli(["resume", paused["thread_id"], "--reject", "-f", "json"], env)
    assert "dry-run" == dry["remediation"]["status"]
    assert (1, "rejected") == (
        rejected.returncode,
        json.loads(rejected.stdout)["remediation"]["status"],
    )
    assert before == len(lab.mutating_calls())


def test_fix_that_does_not_heal_is_rolled_back(ticking):
    """Doubling 512 MiB is not enough for a 1500 MiB heap: the change is undone and checked."""
    lab, env = ticking("oom-heap-1500")
    result = run_cli(["fix", "web", "--yes", "--timeout", "60", "-f", "json"], env)
    doc = json.loads(result.stdout)
    remediation = doc["remediation"]
    assert (1, "rolled-back") == (result.returncode, remediation["status"]), result.stderr
    assert (True, False, True) == (
        remediation["applied"],
        remediation["verified"],
        remediation["rolled_back"],
    )
    assert remediation["rollback_verification"]["ok"]
    assert ("ecs", "UpdateService") == lab.mutating_calls()[-1]


def test_resume_of_unknown_thread_exits_2(tmp_path):
    """A typo in the thread id is a clear error."""
    lab, env = start_lab(["healthy"], tmp_path)
    with lab:
        result = run_cli(["resume", "fix-doesnotexist", "--approve"], env)
    assert 2 == result.returncode
    assert "No run with thread id fix-doesnotexist" in result.stderr

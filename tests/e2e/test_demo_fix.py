"""`ecs-medic demo SCENARIO --fix`: the healing loop on the lab, with --yes or on a terminal."""

from __future__ import annotations

import json
import os
import pty
import subprocess

import pytest
from cli_env import EXE, HANG_GUARD_S, clean_env, run_cli

pytestmark = pytest.mark.lab

SCENARIO = "desired-count-zero"  # one service update: the quickest loop to verify


@pytest.mark.slow  # the same loop as the terminal test below, and as the fix sweep's subset
def test_demo_fix_yes_heals_and_verifies(tmp_path):
    """--yes applies the plan on the demo lab; the report says verified and the exit code is 0."""
    result = run_cli(["demo", SCENARIO, "--fix", "--yes", "-f", "json"], clean_env(tmp_path))
    remediation = json.loads(result.stdout)["remediation"]
    assert (0, "verified", "--yes") == (
        result.returncode,
        remediation["status"],
        remediation["approved_by"],
    ), result.stderr


def on_terminal(
    args: list[str], answer: str, tmp_path, extra: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """Run ecs-medic with a pseudo-terminal as stdin and type `answer` at the prompt."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(EXE), *args], stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=clean_env(tmp_path, extra), text=True,
    )  # fmt: skip
    os.close(terminal)
    os.write(controller, f"{answer}\n".encode())
    try:
        out, err = process.communicate(timeout=HANG_GUARD_S)
    finally:
        os.close(controller)
    return process.returncode, out, err


def test_demo_fix_asks_on_a_terminal_and_applies_what_is_approved(tmp_path):
    """The plan and its diff are shown; answering "all" applies it and it verifies."""
    code, out, err = on_terminal(["demo", SCENARIO, "--fix", "-f", "json"], "all", tmp_path)
    remediation = json.loads(out)["remediation"]
    assert (0, "verified", "prompt") == (code, remediation["status"], remediation["approved_by"])
    assert '+  "desiredCount": 2' in err, "the diff is shown before the question"


def test_demo_fix_rejected_on_the_terminal_changes_nothing(tmp_path):
    """Answering "no" applies nothing: the report says rejected and the exit code is 1.

    boto3 here: the approved test above is the demo as a user runs it, through the MCP servers.
    """
    direct = {"ECS_MEDIC_TRANSPORT": "direct"}
    code, out, _ = on_terminal(["demo", SCENARIO, "--fix", "-f", "json"], "no", tmp_path, direct)
    remediation = json.loads(out)["remediation"]
    assert (1, "rejected", False) == (code, remediation["status"], remediation["applied"])

"""Approval across processes with the Postgres checkpointer (a real server on loopback)."""

from __future__ import annotations

import json

import pytest
from cli_env import run_cli, start_lab
from postgres_server import postgres

pytestmark = [pytest.mark.lab, pytest.mark.slow]  # a sweep over many scenarios: `make test-all`


def test_pause_in_one_process_resume_in_another_through_postgres(tmp_path):
    """The paused thread lives in Postgres; a second process approves it and the fix verifies."""
    with postgres() as dsn:
        lab, env = start_lab(["oom"], tmp_path)
        env = {**env, "ECS_MEDIC_CHECKPOINT_DSN": dsn}
        with lab:
            lab.run_in_background(speed=150.0)
            paused = json.loads(
                run_cli(["fix", "web", "-f", "json", "--timeout", "60"], env).stdout
            )
            assert not (tmp_path / "state" / "checkpoints.sqlite").exists(), "Postgres, not SQLite"
            resumed = run_cli(["resume", paused["thread_id"], "--approve", "-f", "json"], env)
        remediation = json.loads(resumed.stdout)["remediation"]
        assert (0, "verified") == (resumed.returncode, remediation["status"]), resumed.stderr


def test_unreachable_postgres_is_one_clear_line(tmp_path):
    """A DSN nobody listens on gives exit 2 and a sentence."""
    lab, env = start_lab(["healthy"], tmp_path)
    with lab:
        env = {**env, "ECS_MEDIC_CHECKPOINT_DSN": "postgresql://medic@127.0.0.1:9/postgres"}
        result = run_cli(["diagnose", "web"], env)
    assert 2 == result.returncode
    assert result.stderr.startswith("ecs-medic: Cannot reach the Postgres checkpointer")

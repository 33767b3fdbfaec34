"""`ecs-medic lab serve` in one process, `ecs-medic diagnose` in another, as a user would."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
from cli_env import EXE, STOP_GUARD_S, clean_env, run_cli

pytestmark = pytest.mark.lab

SECRET = "LabSecretKeyThatMustNeverAppear0123456789"


def read_exports(server: subprocess.Popen[str]) -> dict[str, str]:
    """The `export K=V` lines `lab serve` prints before it settles."""
    exports: dict[str, str] = {}
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").strip().partition("=")
            exports[key] = value
        elif line.startswith("# oom:"):
            return exports
    raise AssertionError("lab serve ended before printing its exports")


@dataclass(frozen=True)
class Served:
    """One `lab serve oom` and one `diagnose` from another process with its exports."""

    exports: dict[str, str]
    result: subprocess.CompletedProcess[str]
    server_code: int | None
    server_stderr: str
    state: Path


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Served:
    """Serve, diagnose once through the default transport, stop the server with Ctrl-C."""
    tmp_path = tmp_path_factory.mktemp("serve")
    server = subprocess.Popen(
        [str(EXE), "lab", "serve", "oom", "--speed", "20"],
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports = read_exports(server)
        env = clean_env(tmp_path, {**exports, "AWS_SECRET_ACCESS_KEY": SECRET})
        result = run_cli(["diagnose", "web", "--format", "json"], env)
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=STOP_GUARD_S)
    return Served(exports, result, server.returncode, stderr, tmp_path / "state")


def test_serve_then_diagnose_in_another_process(served: Served):
    """The exports printed by `lab serve oom` are all another shell needs to find OOM_KILLED."""
    exports, result = served.exports, served.result
    assert {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} <= set(
        exports
    )
    assert exports["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    assert (1, "OOM_KILLED") == (result.returncode, json.loads(result.stdout)["root_cause"])
    assert 0 == served.server_code, served.server_stderr
    assert "Traceback" not in served.server_stderr


def test_run_is_checkpointed_without_credentials(served: Served):
    """The run's thread lands in the SQLite checkpointer; the secret key appears nowhere."""
    database = served.state / "checkpoints.sqlite"
    with sqlite3.connect(database) as conn:
        threads = {row[0] for row in conn.execute("select thread_id from checkpoints")}
        blobs = b"".join(
            bytes(row[0] or b"") for row in conn.execute("select checkpoint from checkpoints")
        )
        blobs += b"".join(bytes(row[0] or b"") for row in conn.execute("select value from writes"))
    assert 1 == len(threads)
    assert next(iter(threads)).startswith("diag-")
    assert b"OOM_KILLED" in blobs, "the findings are checkpointed"
    assert SECRET.encode() not in blobs
    assert SECRET not in served.result.stdout + served.result.stderr


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def test_ctrl_c_stops_a_lab_started_with_sigint_ignored(tmp_path):
    """A non-interactive shell starts background commands with SIGINT ignored; Ctrl-C (and
    SIGTERM) must still stop the lab, cleanly."""
    server = subprocess.Popen(
        [str(EXE), "lab", "serve", "oom"],
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_ignore_sigint,  # noqa: PLW1509 - what the shell does, before exec
    )
    try:
        read_exports(server)
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=STOP_GUARD_S)
    assert (0, "ecs-medic: lab stopped.") == (server.returncode, stderr.strip().splitlines()[-1])

"""`ecs-medic lab serve --planton`: the Planton stand-in beside the lab, as a user runs it."""

from __future__ import annotations

import json
import signal
import subprocess

import httpx
import pytest
from cli_env import EXE, STOP_GUARD_S, clean_env, run_cli

pytestmark = pytest.mark.lab


def read_exports(server: subprocess.Popen[str]) -> dict[str, str]:
    """The `export K=V` lines printed before the first scenario hint."""
    exports: dict[str, str] = {}
    assert server.stdout is not None
    for line in server.stdout:
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").strip().partition("=")
            exports[key] = value
        elif line.startswith("# oom:"):
            return exports
    raise AssertionError("lab serve ended before printing its exports")


def test_serve_with_planton_prints_planton_exports_and_diagnoses_through_it(tmp_path):
    """The printed PLANTON_* exports are all another shell needs to diagnose via Planton."""
    server = subprocess.Popen(
        [str(EXE), "lab", "serve", "oom", "--planton", "--speed", "20"],
        env=clean_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        exports = read_exports(server)
        health = httpx.get(f"{exports['PLANTON_MCP_URL']}health", timeout=10)
        env = clean_env(tmp_path, {k: v for k, v in exports.items() if k != "AWS_REGION"})
        result = run_cli(["diagnose", "web", "--format", "json"], env)
    finally:
        server.send_signal(signal.SIGINT)
        _, stderr = server.communicate(timeout=STOP_GUARD_S)
    report = json.loads(result.stdout)
    assert {"PLANTON_MCP_URL", "PLANTON_API_KEY", "PLANTON_ORG", "PLANTON_ENV"} <= set(exports)
    assert ("ecs-medic-lab", "prod") == (exports["PLANTON_ORG"], exports["PLANTON_ENV"])
    assert exports["PLANTON_API_KEY"].startswith("pk_test_")
    assert {"status": "ok"} == health.json()
    assert ("planton", "ecs-medic-lab/prod/web") == (
        report["context"]["source"],
        report["context"]["planton_resource"],
    ), result.stderr
    assert 0 == server.returncode, stderr

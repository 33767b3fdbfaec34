"""Secret hygiene: diagnose every lab scenario through Planton and find no secret anywhere.

Known base credentials (secret key, session token), the Planton API key, and the temporary
credentials of every role session the lab's STS issued are searched for in stdout, stderr,
logs, every report format, every file under the state directory (the checkpoint database
among them) and every argument the Planton stand-in received.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import asdict, replace
from pathlib import Path

import pytest
from moto.sts.models import sts_backends  # the lab runs in this process: read its STS state
from planton_env import ACCESS_KEY, SECRET_KEY, SESSION_TOKEN

from ecs_medic.config import load_settings
from ecs_medic.errors import MedicError
from ecs_medic.graph.state import Request
from ecs_medic.lab import Lab, list_scenarios
from ecs_medic.lab.planton import PlantonServer, serve_for_lab
from ecs_medic.report.render import render
from ecs_medic.runner import diagnose

pytestmark = [pytest.mark.lab, pytest.mark.slow]  # a sweep over many scenarios: `make test-all`


@pytest.fixture(scope="module")
def every_scenario() -> Iterator[tuple[Lab, PlantonServer]]:
    """One lab with every scenario (each in its own cluster and Planton environment)."""
    with Lab.start([s.name for s in list_scenarios()]) as lab, serve_for_lab(lab, "acme") as srv:
        yield lab, srv


def user_environment(lab: Lab, planton: PlantonServer, home: Path) -> dict[str, str]:
    """What the user exports: base keys with a session token, the Planton key and URL."""
    return {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / "no-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_ENDPOINT_URL": lab.endpoint_url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_SESSION_TOKEN": SESSION_TOKEN,
        "PLANTON_API_KEY": planton.api_key,
        "PLANTON_MCP_URL": planton.url,
        "ECS_MEDIC_STATE_DIR": str(home / "state"),
        "ECS_MEDIC_TRANSPORT": "direct",
    }


def run_every_scenario(lab: Lab, env: dict[str, str]) -> tuple[list[str], int]:
    """Diagnose each lab service through Planton; its reports (all formats) and the count.

    Every scenario runs on the direct transport; the first once more through the AWS MCP
    servers, whose subprocesses hold the assumed credentials.
    """
    direct = load_settings(env)
    runs = [(direct, cluster, service) for _, cluster, service in lab.targets]
    _, cluster, service = lab.targets[0]
    runs.append((replace(direct, transport="mcp"), cluster, service))
    outputs: list[str] = []
    planton_runs = 0
    for settings, cluster, service in runs:
        try:
            report = diagnose(settings, Request(service=service, environment=cluster))
        except MedicError as exc:
            outputs.append(str(exc))
            continue
        planton_runs += report.context.source == "planton"
        outputs += [render(report, fmt, color=False) for fmt in ("text", "json", "markdown")]
    return outputs, planton_runs


def session_secrets(lab: Lab) -> list[str]:
    """The secret keys and tokens of every role session the lab issued."""
    roles = sts_backends[lab.account_id]["aws"].assumed_roles
    return [s for r in roles for s in (r.secret_access_key, r.session_token)]


def test_no_credential_appears_in_output_logs_reports_checkpoints_or_planton_calls(
    every_scenario, tmp_path, monkeypatch, capfd, caplog
):
    """Zero occurrences of any known secret, across every scenario."""
    lab, planton = every_scenario
    env = user_environment(lab, planton, tmp_path)
    for key in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "PLANTON_ORG", "PLANTON_ENV"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    caplog.set_level(logging.DEBUG, logger="ecs_medic")
    caplog.set_level(logging.INFO)
    reports, planton_runs = run_every_scenario(lab, env)
    captured = capfd.readouterr()
    state_files = [p.read_bytes() for p in (tmp_path / "state").rglob("*") if p.is_file()]
    calls = json.dumps([asdict(c) for c in planton.calls])
    secrets = [SECRET_KEY, SESSION_TOKEN, planton.api_key, *session_secrets(lab)]
    haystacks = [captured.out, captured.err, caplog.text, calls, *reports]
    assert len(lab.targets) + 1 == planton_runs, reports  # every run went through Planton
    assert len(secrets) >= 3 + 2 * len(lab.targets)  # one role session per run, at least
    assert any(b"checkpoints" in p.name.encode() for p in (tmp_path / "state").rglob("*"))
    leaks = [s[:6] for s in secrets for h in haystacks if s in h]
    leaks += [s[:6] for s in secrets for blob in state_files if s.encode() in blob]
    assert [] == leaks

"""Apply through the AWS MCP servers: write-enabled sessions for the apply step only.

The fix runs in this process against a ticking lab, so the test can see every MCP server
session the run started (and with which switches) and count, at the emulator, the mutating
requests each client sent.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ecs_medic.aws import mcp_session, mcp_write
from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.gateway import ErrorKind, GatewayError
from ecs_medic.aws.mcp_servers import ServerRole, ServerSpec
from ecs_medic.aws.mcp_write import McpWriteGateway, open_mcp_write_gateway
from ecs_medic.config import McpSettings, Settings
from ecs_medic.graph.state import Request
from ecs_medic.lab import Lab
from ecs_medic.lab_settings import lab_settings
from ecs_medic.remedies.outcome import FixOptions
from ecs_medic.runner import fix

pytestmark = pytest.mark.lab

FAKE_SERVER = Path(__file__).with_name("mcp_fake_server.py")
SPEED = 150.0  # simulated seconds per wall second


@pytest.fixture
def oom(monkeypatch: pytest.MonkeyPatch) -> Iterator[Lab]:
    """A ticking oom lab, with the lab's environment exported for the credential chain."""
    lab = Lab.start(["oom"])
    for key, value in lab.env().items():
        monkeypatch.setenv(key, value)
    lab.run_in_background(speed=SPEED)
    yield lab
    lab.stop()


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[ServerSpec]:
    """Every MCP server session started in this test, in order (its spec and environment)."""
    specs: list[ServerSpec] = []
    original = mcp_session.ServerSession.__init__

    def spy(self: mcp_session.ServerSession, spec: ServerSpec) -> None:
        specs.append(spec)
        original(self, spec)

    monkeypatch.setattr(mcp_session.ServerSession, "__init__", spy)
    return specs


def settings_for(lab: Lab, tmp_path: Path, **mcp: Any) -> Settings:
    """Settings on the lab, through the MCP servers, with `mcp` changed (e.g. config_file)."""
    return lab_settings(lab, transport="mcp", state_dir=tmp_path, mcp=replace(McpSettings(), **mcp))


def write_config(tmp_path: Path, servers: dict[str, dict[str, object]]) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def audit_lines(tmp_path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]


def test_fix_yes_applies_through_the_write_session_only(oom, started, tmp_path):
    """The oom fix is applied by a separate ECS server with ALLOW_WRITE; reads never write."""
    before = len(oom.mutating_requests())
    options = FixOptions(auto_approve=True, timeout_s=60)
    result = fix(settings_for(oom, tmp_path), Request("web", "prod"), options, None)
    remediation = result.report.remediation if result.report else None
    assert remediation is not None
    assert ("verified", True) == (remediation.status, remediation.verified)
    assert [
        ("ecs", "RegisterTaskDefinition", "ecs-mcp-server"),
        ("ecs", "UpdateService", "ecs-mcp-server"),
    ] == oom.mutating_requests()[before:]
    writers = [s for s in started if s.env.get("ALLOW_WRITE") == "true"]
    readers = [s for s in started if s not in writers]
    assert [ServerRole.ECS] == [s.role for s in writers], "one write session, ECS only"
    assert readers, "the evidence sessions"
    assert all(s.env.get("ALLOW_WRITE", "false") == "false" for s in readers)
    assert all(
        s.env["READ_OPERATIONS_ONLY"] == "true" for s in readers if s.role is ServerRole.AWS_API
    )
    assert started.index(writers[0]) > started.index(readers[-1]), "opened after the reads"
    assert ["ok", "ok"] == [entry["result"] for entry in audit_lines(tmp_path)]


def test_write_server_that_cannot_start_fails_the_action_without_boto3(oom, tmp_path):
    """Reads may fall back to boto3; writes may not: zero changes, a clear error, audited."""
    config = write_config(tmp_path, {"awslabs.ecs-mcp-server": {"command": "/nonexistent/ecs"}})
    before = len(oom.mutating_requests())
    settings = settings_for(oom, tmp_path, config_file=config)
    options = FixOptions(auto_approve=True, timeout_s=30)
    result = fix(settings, Request("web", "prod"), options, None)
    remediation = result.report.remediation if result.report else None
    assert remediation is not None
    (outcome,) = remediation.actions
    assert (False, False) == (outcome.applied, remediation.verified)
    assert "write-enabled MCP server is not usable" in (outcome.error or "")
    assert [] == oom.mutating_requests()[before:], "nothing changed, by any client"
    results = [entry["result"] for entry in audit_lines(tmp_path)]
    assert {"error: McpWriteServerFailed"} == set(results), "the rollback attempt, refused too"


def test_write_call_that_times_out_is_not_retried(tmp_path):
    """A write server that does not answer: one clear error, then no restart, no fallback."""
    fake = ServerSpec(
        ServerRole.ECS,
        sys.executable,
        (str(FAKE_SERVER),),
        {**os.environ, "FAKE_MCP_DELAY_S": "30"},
    )
    gateway = McpWriteGateway(lambda role: fake, mcp_write.McpTimeouts(30.0, 1.0))
    try:
        with pytest.raises(GatewayError) as first:
            gateway.call("ecs", "UpdateService", {"cluster": "c", "service": "s"})
        with pytest.raises(GatewayError) as second:
            gateway.call("ecs", "UpdateService", {"cluster": "c", "service": "s"})
    finally:
        gateway.close()
    assert (ErrorKind.UNAVAILABLE, mcp_write.WRITE_FAILED) == (first.value.kind, first.value.code)
    assert "timed out" in first.value.message
    assert "outcome of this call is unknown" in first.value.message
    assert "timed out" in second.value.message
    assert "mcp" == gateway.transport


def test_non_ecs_writes_go_to_a_write_enabled_aws_api_server(oom, started, tmp_path):
    """An ELBv2 change goes through call_aws on a second server without READ_OPERATIONS_ONLY."""
    settings = settings_for(oom, tmp_path)
    direct = DirectGateway(make_session(None), oom.region, endpoint_url=oom.endpoint_url)
    (group,) = direct.call("elbv2", "DescribeTargetGroups", {})["TargetGroups"]
    before = len(oom.mutating_requests())
    gateway = open_mcp_write_gateway(settings, direct, oom.region)
    try:
        gateway.call(
            "elbv2",
            "ModifyTargetGroup",
            {"TargetGroupArn": group["TargetGroupArn"], "HealthCheckPath": "/ready"},
        )
    finally:
        gateway.close()
    (after,) = direct.call("elbv2", "DescribeTargetGroups", {})["TargetGroups"]
    assert "/ready" == after["HealthCheckPath"]
    assert [("elbv2", "ModifyTargetGroup", "aws-api-mcp-server")] == oom.mutating_requests()[
        before:
    ]
    (spec,) = started
    assert (ServerRole.AWS_API, "false") == (spec.role, spec.env["READ_OPERATIONS_ONLY"])


def test_revision_keeps_environment_values_through_the_write_session(oom, tmp_path):
    """The apply step's DescribeTaskDefinition keeps env values, so a revision carries them."""
    direct = DirectGateway(make_session(None), oom.region, endpoint_url=oom.endpoint_url)
    container = {
        "name": "app",
        "image": "nginx",
        "memory": 128,
        "environment": [{"name": "MODE", "value": "blue"}],
    }
    arn = direct.call(
        "ecs", "RegisterTaskDefinition", {"family": "keep-env", "containerDefinitions": [container]}
    )["taskDefinition"]["taskDefinitionArn"]
    gateway = open_mcp_write_gateway(settings_for(oom, tmp_path), direct, oom.region)
    try:
        read = gateway.call("ecs", "DescribeTaskDefinition", {"taskDefinition": arn})
    finally:
        gateway.close()
    (got,) = read["taskDefinition"]["containerDefinitions"]
    assert [{"name": "MODE", "value": "blue"}] == got["environment"]

"""The scaling plans' writes through the write-enabled MCP sessions, as `fix` applies them.

RegisterScalableTarget goes through the AWS API server's call_aws (a nested SuspendedState
becomes JSON on the command line); UpdateTaskProtection through the ECS server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ecs_medic.analyzers.registry import analyze
from ecs_medic.aws.collector import Collector
from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.mcp_write import open_mcp_write_gateway
from ecs_medic.context.local import LocalContext, ServiceQuery
from ecs_medic.lab import Lab
from ecs_medic.lab_settings import lab_settings
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.plan import Action
from ecs_medic.remedies.planners import build_plan

pytestmark = pytest.mark.lab


@pytest.fixture
def exported(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """Start a lab of one scenario with its environment exported for the credential chain."""
    labs: list[Lab] = []

    def start(name: str) -> Lab:
        lab = Lab.start([name])
        labs.append(lab)
        for key, value in lab.env().items():
            monkeypatch.setenv(key, value)
        return lab

    yield start
    for lab in labs:
        lab.stop()


def planned(lab: Lab) -> tuple[DirectGateway, Action]:
    direct = DirectGateway(make_session(None), lab.region, endpoint_url=lab.endpoint_url)
    target = LocalContext(direct, lab.region).resolve(ServiceQuery("web", "prod"))
    snapshot = Collector(direct).collect(target)
    [action] = build_plan(list(analyze(snapshot).findings), snapshot).actions
    return direct, action


def apply_through_mcp(lab: Lab, direct: DirectGateway, action: Action, tmp_path: Path) -> None:
    settings = lab_settings(lab, transport="mcp", state_dir=tmp_path)
    gateway = open_mcp_write_gateway(settings, direct, lab.region)
    try:
        result = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).apply(action)
    finally:
        gateway.close()
    assert result.ok, result.error


def test_resume_scaling_goes_through_call_aws(exported, tmp_path):
    """SuspendedState reaches the emulator through the AWS API server, every flag false."""
    lab = exported("autoscaling-suspended")
    direct, action = planned(lab)
    before = len(lab.mutating_requests())
    apply_through_mcp(lab, direct, action, tmp_path)
    (found,) = direct.call(
        "application-autoscaling", "DescribeScalableTargets", {"ServiceNamespace": "ecs"}
    )["ScalableTargets"]
    assert not any(found["SuspendedState"].values())
    assert [
        ("application-autoscaling", "RegisterScalableTarget", "aws-api-mcp-server")
    ] == lab.mutating_requests()[before:]


def test_unprotecting_tasks_goes_through_the_ecs_server(exported, tmp_path):
    """UpdateTaskProtection with protectionEnabled false, sent by the ECS MCP server."""
    lab = exported("task-protection-blocks-scale-in")
    direct, action = planned(lab)
    before = len(lab.mutating_requests())
    apply_through_mcp(lab, direct, action, tmp_path)
    tasks = action.steps[0].params["tasks"]  # type: ignore[union-attr]
    found = direct.call("ecs", "GetTaskProtection", {"cluster": "prod", "tasks": tasks})
    assert [False, False] == [p["protectionEnabled"] for p in found["protectedTasks"]]
    assert [("ecs", "UpdateTaskProtection", "ecs-mcp-server")] == lab.mutating_requests()[before:]

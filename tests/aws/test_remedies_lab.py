"""Remediation plans applied to the lab through boto3: the right fix heals, rollback restores."""

from __future__ import annotations

import boto3
import pytest

from ecs_medic.analyzers.registry import analyze
from ecs_medic.aws.collector import Collector
from ecs_medic.aws.direct_transport import DirectGateway
from ecs_medic.context.local import LocalContext, ServiceQuery
from ecs_medic.lab import Lab
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.lookups import look_up
from ecs_medic.remedies.plan import bind
from ecs_medic.remedies.planners import build_plan
from ecs_medic.remedies.verify import service_clock, wait_until_healthy

pytestmark = pytest.mark.lab


def connect(lab: Lab) -> tuple[DirectGateway, Collector, object]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    gateway = DirectGateway(session, lab.region, endpoint_url=lab.endpoint_url)
    target = LocalContext(gateway, lab.region).resolve(ServiceQuery("web", "prod"))
    return gateway, Collector(gateway), target


def test_oom_plan_raises_memory_and_the_service_recovers(tmp_path):
    """The OOM plan registers a bigger revision, deploys it, and verification passes."""
    with Lab.start(["oom"]) as lab:
        gateway, collector, target = connect(lab)
        before = collector.collect(target)
        findings = list(analyze(before).findings)
        plan = build_plan(findings, before)
        assert ["OOM_KILLED"] == [a.code for a in plan.actions]
        assert '-  "memory": "512"' in plan.actions[0].diff
        assert '+  "memory": "1024"' in plan.actions[0].diff
        audit = AuditLog(tmp_path / "audit.jsonl", "t-1")
        result = Applier(gateway, audit).apply(plan.actions[0])
        assert result.ok, result.error
        lab.run_in_background(speed=200.0)
        verification = wait_until_healthy(
            lambda: collector.collect(target), service_clock(before), frozenset({"OOM_KILLED"}),
            timeout_s=60, poll_s=0.5,
        )  # fmt: skip
    assert verification.ok, verification.checks
    lines = (tmp_path / "audit.jsonl").read_text().splitlines()
    assert 2 == len(lines), "one RegisterTaskDefinition and one UpdateService"
    assert '"call": "ecs:RegisterTaskDefinition"' in lines[0]


def test_rollback_restores_the_previous_revision(tmp_path):
    """Rolling back the OOM action points the service at the revision it ran before."""
    with Lab.start(["oom"]) as lab:
        gateway, collector, target = connect(lab)
        before = collector.collect(target)
        action = build_plan(list(analyze(before).findings), before).actions[0]
        applier = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t-2"))
        assert applier.apply(action).ok
        assert applier.roll_back(action).ok
        after = collector.collect(target)
    assert before.service.task_definition_arn == after.service.task_definition_arn


def test_listener_rollback_deletes_the_listener_the_apply_created(tmp_path):
    """An orphan target group gets a listener; its rollback deletes that listener by its ARN."""
    with Lab.start(["tg-not-attached"]) as lab:
        gateway, collector, target = connect(lab)
        before = collector.collect(target)
        findings = list(analyze(before).findings)
        plan = build_plan(findings, before, look_up(gateway, findings, before))
        [action] = plan.actions
        applier = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t-3"))
        applied = applier.apply(action)
        balancer = action.steps[0].params["LoadBalancerArn"]
        created = listeners(gateway, balancer)
        restored = applier.roll_back(action, bind(action.rollback, applied.responses))
        left = listeners(gateway, balancer)
    assert (True, 1, True, []) == (applied.ok, len(created), restored.ok, left)


def listeners(gateway: DirectGateway, balancer: str) -> list[object]:
    return gateway.call("elbv2", "DescribeListeners", {"LoadBalancerArn": balancer})["Listeners"]

"""Remediation planning and the pieces of applying it, on hand-built snapshots."""

from __future__ import annotations

from dataclasses import replace

import pytest
from builders import (
    app_exit_task,
    deployment,
    oom_task,
    service,
    snapshot,
    task_definition,
    td_arn,
)
from fake_gateway import FakeGateway

from ecs_medic.analyzers.registry import analyze
from ecs_medic.remedies import fargate
from ecs_medic.remedies.apply import Applier, AuditLog, redact, revised
from ecs_medic.remedies.plan import FieldChange, resolve
from ecs_medic.remedies.planners import build_plan


def oom_snapshot():
    return snapshot(stopped_tasks=tuple(oom_task(n) for n in range(3)))


def test_oom_plan_doubles_container_limit_and_picks_a_valid_fargate_size():
    """A 768 MiB container limit in a 1024 MiB / 256 CPU task becomes 1536 in 2048 / 256."""
    plan = build_plan(list(analyze(oom_snapshot()).findings), oom_snapshot())
    action = plan.actions[0]
    revision = action.steps[0]
    assert ("a1", "OOM_KILLED", "A2") == (action.id, action.code, action.auto_level)
    assert (
        FieldChange("memory", 768, 1536, "app"),
        FieldChange("memory", "1024", "2048"),
    ) == revision.changes
    assert action.rollback[0].params["taskDefinition"] == td_arn(7)


def test_rollback_planner_targets_the_last_completed_revision():
    """With a COMPLETED older deployment, a crashing revision is rolled back to it (A1)."""
    good = replace(deployment(6), status="ACTIVE", rollout_state="COMPLETED")
    bad = replace(deployment(7), rollout_state="IN_PROGRESS")
    shot = replace(
        snapshot(stopped_tasks=tuple(app_exit_task(n) for n in range(3))),
        service=service(deployments=(bad, good)),
    )
    plan = build_plan(list(analyze(shot).findings), shot)
    assert [("ESSENTIAL_CONTAINER_EXIT", "A1", td_arn(6))] == [
        (a.code, a.auto_level, a.steps[0].params["taskDefinition"]) for a in plan.actions
    ]


def test_unplannable_root_cause_becomes_a_recommendation():
    """Without a previous good revision a crash has no automatic fix, only advice."""
    shot = snapshot(stopped_tasks=tuple(app_exit_task(n) for n in range(3)))
    plan = build_plan(list(analyze(shot).findings), shot)
    assert plan.empty
    assert plan.recommendations[0].startswith("ESSENTIAL_CONTAINER_EXIT: ")


@pytest.mark.parametrize(
    ("cpu", "memory", "expected"),
    [
        (256, 1024, (256, 1024)),
        (256, 3000, (512, 3072)),
        (1024, 9000, (2048, 9216)),
        (16384, 10**6, None),
    ],
)
def test_smallest_valid_fargate_size(cpu, memory, expected):
    """The next size up respects the CPU/memory table."""
    assert expected == fargate.smallest_at_least(cpu, memory)


def test_revised_definition_keeps_everything_but_the_changes():
    """Read-only fields are dropped, environment values kept for the new revision."""
    live = {
        "taskDefinitionArn": "arn", "revision": 3, "status": "ACTIVE", "memory": "512",
        "containerDefinitions": [{"name": "app", "environment": [{"name": "A", "value": "1"}]}],
    }  # fmt: skip
    params = revised(
        live, (FieldChange("memory", "512", "1024"), FieldChange("cpu", None, 7, "app"))
    )
    assert {"memory": "1024", "containerDefinitions": [
        {"name": "app", "environment": [{"name": "A", "value": "1"}], "cpu": 7}
    ]} == params  # fmt: skip


def test_audit_redacts_environment_values():
    """Name/value pairs keep the name only."""
    assert {"environment": [{"name": "DB_PASSWORD", "value": "<redacted>"}]} == redact(
        {"environment": [{"name": "DB_PASSWORD", "value": "hunter2"}]}
    )


def test_references_to_earlier_responses_are_resolved():
    """ "$step.key.path" takes the value from an earlier step's response."""
    responses = {"revision": {"taskDefinition": {"taskDefinitionArn": "arn:new"}}}
    assert {"taskDefinition": "arn:new", "n": 1} == resolve(
        {"taskDefinition": "$revision.taskDefinition.taskDefinitionArn", "n": 1}, responses
    )


def test_a_failing_step_stops_the_action_and_is_audited(tmp_path):
    """The second step is never sent after the first fails; the audit shows the error."""
    shot = oom_snapshot()
    action = build_plan(list(analyze(shot).findings), shot).actions[0]
    gateway = FakeGateway(
        {("ecs", "DescribeTaskDefinition"): {"taskDefinition": {"memory": "1024"}}}
    )
    result = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).apply(action)
    assert (False, "ecs:RegisterTaskDefinition: NotStubbed: no answer") == (result.ok, result.error)
    assert [op for _, op, _ in gateway.calls] == [
        "DescribeTaskDefinition",
        "RegisterTaskDefinition",
    ]
    assert '"result": "error: NotStubbed"' in (tmp_path / "audit.jsonl").read_text()


def test_task_definition_builder_sanity():
    """The builder's definition is the Fargate 256/1024 the OOM test assumes."""
    td = task_definition()
    assert ("1024", ("FARGATE",)) == (td.memory, td.requires_compatibilities)

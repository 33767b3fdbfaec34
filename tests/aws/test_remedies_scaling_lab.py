"""Scaling plans applied to the lab through boto3: the service heals, the alarm clears, rollback.

AUTOSCALING_MAXED raises MaxCapacity, AUTOSCALING_SUSPENDED_OR_FAILING resumes scaling and
TASK_PROTECTION_BLOCKS_SCALE_IN lifts protection from the tasks ECS must stop; each is
verified the way `ecs-medic fix` verifies (standard checks, then the code's own analyzer).
"""

from __future__ import annotations

import boto3
import pytest

from ecs_medic.analyzers.registry import analyze
from ecs_medic.aws.collector import Collector
from ecs_medic.aws.direct_transport import DirectGateway
from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.context.local import LocalContext, ServiceQuery
from ecs_medic.lab import Lab
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.plan import Action
from ecs_medic.remedies.planners import build_plan
from ecs_medic.remedies.verify import change_moment, restored_checks, wait_until_healthy

pytestmark = pytest.mark.lab

RESOURCE = "service/prod/web"
CASES = {
    "autoscaling-maxed": "AUTOSCALING_MAXED",
    "autoscaling-suspended": "AUTOSCALING_SUSPENDED_OR_FAILING",
    "task-protection-blocks-scale-in": "TASK_PROTECTION_BLOCKS_SCALE_IN",
}


def connect(lab: Lab) -> tuple[DirectGateway, Collector, object]:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    gateway = DirectGateway(session, lab.region, endpoint_url=lab.endpoint_url)
    target = LocalContext(gateway, lab.region).resolve(ServiceQuery("web", "prod"))
    return gateway, Collector(gateway), target


def planned(collector: Collector, target: object) -> tuple[ServiceSnapshot, Action]:
    """The service as collected now, and the one action its plan holds."""
    before = collector.collect(target)  # type: ignore[arg-type]
    [action] = build_plan(list(analyze(before).findings), before).actions
    return before, action


def scalable_target(gateway: DirectGateway) -> dict[str, object]:
    found = gateway.call(
        "application-autoscaling",
        "DescribeScalableTargets",
        {"ServiceNamespace": "ecs", "ResourceIds": [RESOURCE]},
    )
    return found["ScalableTargets"][0]


def high_alarm_state(gateway: DirectGateway) -> str:
    alarms = gateway.call("cloudwatch", "DescribeAlarms", {})["MetricAlarms"]
    return next(a["StateValue"] for a in alarms if "AlarmHigh" in a["AlarmName"])


@pytest.mark.parametrize("name", sorted(CASES))
def test_the_scaling_plan_heals_the_service_and_verifies(name, tmp_path):
    """The one action applies, the service reaches steady state, and its code is gone."""
    with Lab.start([name]) as lab:
        gateway, collector, target = connect(lab)
        before = collector.collect(target)
        plan = build_plan(list(analyze(before).findings), before)
        assert [CASES[name]] == [a.code for a in plan.actions]
        result = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).apply(plan.actions[0])
        assert result.ok, result.error
        moment = change_moment(before.service, collector.service(target))
        lab.run_in_background(speed=200.0)
        verification = wait_until_healthy(
            lambda: collector.collect_light(target), moment, frozenset({CASES[name]}),
            timeout_s=90, poll_s=0.5, confirm=lambda: collector.collect(target),
        )  # fmt: skip
    assert verification.ok, verification.checks


def test_raising_max_capacity_scales_out_and_the_alarm_clears(tmp_path):
    """MaxCapacity 2 -> 4: target tracking sets 3 tasks and the CPU alarm returns to OK."""
    with Lab.start(["autoscaling-maxed"]) as lab:
        gateway, collector, target = connect(lab)
        _before, action = planned(collector, target)
        assert "ALARM" == high_alarm_state(gateway)
        assert Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).apply(action).ok
        lab.advance(600)
        state = (scalable_target(gateway)["MaxCapacity"], high_alarm_state(gateway))
        desired = collector.service(target).desired_count
    assert (4, "OK", 3) == (*state, desired)


def test_rolling_back_max_capacity_restores_the_range(tmp_path):
    """The rollback registers the old Min/Max; the rollback checks accept the restored range."""
    with Lab.start(["autoscaling-maxed"]) as lab:
        gateway, collector, target = connect(lab)
        before, action = planned(collector, target)
        applier = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t"))
        assert applier.apply(action).ok
        lab.advance(300)  # scaled out to 3 meanwhile
        assert applier.roll_back(action).ok
        after = collector.collect(target)
        found = scalable_target(gateway)
    assert (1, 2) == (found["MinCapacity"], found["MaxCapacity"])
    assert [] == [c for c in restored_checks(before, after) if not c.ok]


def test_rolling_back_a_resume_suspends_scaling_again(tmp_path):
    """The rollback sets the SuspendedState flags that were set before, and only those."""
    with Lab.start(["autoscaling-suspended"]) as lab:
        gateway, collector, target = connect(lab)
        _before, action = planned(collector, target)
        applier = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t"))
        assert applier.apply(action).ok
        resumed = scalable_target(gateway)["SuspendedState"]
        assert applier.roll_back(action).ok
        suspended = scalable_target(gateway)["SuspendedState"]
    assert not any(resumed.values())
    expected = {"DynamicScalingInSuspended": True, "DynamicScalingOutSuspended": True}
    assert expected == {k: v for k, v in suspended.items() if v}


def test_unprotecting_lifts_protection_from_the_tasks_beyond_desired_only(tmp_path):
    """4 protected tasks, desiredCount 2: two lose their protection, two keep it and run on."""
    with Lab.start(["task-protection-blocks-scale-in"]) as lab:
        gateway, collector, target = connect(lab)
        _before, action = planned(collector, target)
        assert Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t")).apply(action).ok
        unprotected = set(action.steps[0].params["tasks"])
        lab.advance(300)
        running = {t.arn for t in collector.collect(target).running_tasks}
        protection = gateway.call(
            "ecs", "GetTaskProtection", {"cluster": "prod", "tasks": sorted(running)}
        )["protectedTasks"]
    assert (2, 2, set()) == (len(unprotected), len(running), running & unprotected)
    assert [True, True] == [p["protectionEnabled"] for p in protection]


def test_rolling_back_an_unprotect_protects_the_tasks_again_for_the_minutes_left(tmp_path):
    """Rolled back before ECS stops them, the tasks are protected for the minutes they had.

    The minutes are counted from the collection (the lab's clock may run ahead of it, so the
    new expiry is checked against the minutes the rollback asked for).
    """
    with Lab.start(["task-protection-blocks-scale-in"]) as lab:
        gateway, collector, target = connect(lab)
        before, action = planned(collector, target)
        applier = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t"))
        assert applier.apply(action).ok
        assert applier.roll_back(action).ok
        tasks = action.steps[0].params["tasks"]
        found = gateway.call("ecs", "GetTaskProtection", {"cluster": "prod", "tasks": tasks})
        now = lab.now
    [undo] = action.rollback
    was = {p.task_arn: p.expires_at for p in before.capacity.task_protection}
    minutes = undo.params["expiresInMinutes"]
    assert 2870 <= minutes <= 2880  # 48 hours from each task's start, minus its minutes up
    for entry in found["protectedTasks"]:
        assert entry["protectionEnabled"]
        assert abs(entry["expirationDate"].timestamp() - (now + 60 * minutes)) <= 5
        assert entry["expirationDate"] >= was[entry["taskArn"]]

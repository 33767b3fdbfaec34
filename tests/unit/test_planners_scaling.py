"""Scaling planners on hand-built snapshots: the exact API change, its rollback, or the advice."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from builders import CLUSTER_ARN, NOW, PREFIX, event, service, snapshot, task, td_arn

from ecs_medic.aws.snapshot import CapacityView, ServiceSnapshot
from ecs_medic.aws.snapshot_capacity import (
    Autoscaling,
    MetricSummary,
    ScalableTarget,
    TaskProtection,
    TrackingPolicy,
)
from ecs_medic.context.expected import ExpectedSpec
from ecs_medic.findings import Evidence, make_finding
from ecs_medic.remedies.plan import Action, ApiCall, RemediationPlan
from ecs_medic.remedies.plan_scaling import (
    plan_raise_max_capacity,
    plan_resume_scaling,
    plan_unprotect_tasks,
)
from ecs_medic.remedies.planners import planned_codes
from ecs_medic.remedies.planton_plan import for_planton

RESOURCE = "service/payments/ledger-api"
SCOPE = {
    "ServiceNamespace": "ecs",
    "ResourceId": RESOURCE,
    "ScalableDimension": "ecs:service:DesiredCount",
}
CPU_TARGET = TrackingPolicy("cpu70", "ECSServiceAverageCPUUtilization", 70.0)
PROTECTED = "TASK_PROTECTION_BLOCKS_SCALE_IN"


def finding(code: str, *evidence: Evidence):
    return make_finding(code, summary="s", evidence=list(evidence), remediation="r")


def scaled(
    target: ScalableTarget | None,
    *,
    desired: int = 2,
    cpu_peak: float | None = None,
    tracking: tuple[TrackingPolicy, ...] = (CPU_TARGET,),
) -> ServiceSnapshot:
    """ledger-api at `desired` tasks with this scalable target and last hour's CPU peak."""
    metrics = (
        ()
        if cpu_peak is None
        else (MetricSummary("AWS/ECS", "CPUUtilization", cpu_peak, 70.0, 60),)
    )
    scaling = Autoscaling(target, ("cpu70",), tracking=tracking)
    return snapshot(
        service=service(running=desired, desired=desired),
        capacity=CapacityView(autoscaling=scaling, metrics=metrics),
    )


def action(proposal: object) -> Action:
    assert isinstance(proposal, Action), proposal
    return proposal


# --- AUTOSCALING_MAXED ------------------------------------------------------------------------


def test_max_capacity_is_doubled_when_target_tracking_asks_for_less():
    """CPU 83 % against 70 % at 2 tasks wants 3; doubling MaxCapacity 2 gives 4."""
    proposal = action(
        plan_raise_max_capacity(
            finding("AUTOSCALING_MAXED"), scaled(ScalableTarget(1, 2), cpu_peak=83.0)
        )
    )
    assert (
        ApiCall(
            "application-autoscaling",
            "RegisterScalableTarget",
            {**SCOPE, "MinCapacity": 1, "MaxCapacity": 4},
        ),
    ) == proposal.steps
    assert (
        ApiCall(
            "application-autoscaling",
            "RegisterScalableTarget",
            {**SCOPE, "MinCapacity": 1, "MaxCapacity": 2},
        ),
    ) == proposal.rollback
    assert "A2" == proposal.auto_level
    assert "3 tasks wanted" in proposal.title
    assert '-  "MaxCapacity": 2,' in proposal.diff
    assert '+  "MaxCapacity": 4,' in proposal.diff
    assert "2 more tasks of 512 CPU units / 1024 MiB" in proposal.risk


def test_max_capacity_follows_the_metric_when_it_asks_for_more_than_double():
    """CPU 95 % against a 30 % target at 2 tasks wants ceil(2 x 95 / 30) = 7: one more room."""
    low_target = (TrackingPolicy("cpu30", "ECSServiceAverageCPUUtilization", 30.0),)
    proposal = action(
        plan_raise_max_capacity(
            finding("AUTOSCALING_MAXED"),
            scaled(ScalableTarget(2, 2), cpu_peak=95.0, tracking=low_target),
        )
    )
    assert {**SCOPE, "MinCapacity": 2, "MaxCapacity": 8} == proposal.steps[0].params
    assert "7 tasks wanted" in proposal.title


def test_a_saturated_metric_only_supports_doubling():
    """At 100 % CPU the real demand is unknown: MaxCapacity doubles and the title says why."""
    proposal = action(
        plan_raise_max_capacity(
            finding("AUTOSCALING_MAXED"), scaled(ScalableTarget(1, 5), desired=5, cpu_peak=100.0)
        )
    )
    assert 10 == proposal.steps[0].params["MaxCapacity"]
    assert "saturated at 100 %: doubling" in proposal.title


def test_without_a_metric_max_capacity_doubles():
    proposal = action(
        plan_raise_max_capacity(
            finding("AUTOSCALING_MAXED"), scaled(ScalableTarget(1, 3), desired=3)
        )
    )
    assert 6 == proposal.steps[0].params["MaxCapacity"]
    assert "no tracked metric read: doubling" in proposal.title


def test_an_unread_scalable_target_gives_a_precise_recommendation():
    """No DescribeScalableTargets answer: no range to start from or roll back to, so advice."""
    proposal = plan_raise_max_capacity(finding("AUTOSCALING_MAXED"), scaled(None, cpu_peak=90.0))
    assert (
        "AUTOSCALING_MAXED: raise MaxCapacity of service/payments/ledger-api "
        "(application-autoscaling register-scalable-target): its scalable target could not be "
        "read, so the current Min/Max to start from and to roll back to are unknown."
    ) == proposal


# --- AUTOSCALING_SUSPENDED_OR_FAILING ---------------------------------------------------------


def test_resuming_clears_every_flag_and_the_rollback_sets_the_same_ones_again():
    target = ScalableTarget(2, 6, suspended=True, suspended_flags=("DynamicScalingOutSuspended",))
    proposal = action(
        plan_resume_scaling(finding("AUTOSCALING_SUSPENDED_OR_FAILING"), scaled(target))
    )
    cleared = {
        "DynamicScalingInSuspended": False,
        "DynamicScalingOutSuspended": False,
        "ScheduledScalingSuspended": False,
    }
    assert (
        ApiCall(
            "application-autoscaling",
            "RegisterScalableTarget",
            {**SCOPE, "SuspendedState": cleared},
        ),
    ) == proposal.steps
    restored = {**cleared, "DynamicScalingOutSuspended": True}
    assert (
        ApiCall(
            "application-autoscaling",
            "RegisterScalableTarget",
            {**SCOPE, "SuspendedState": restored},
        ),
    ) == proposal.rollback
    assert ("A2", "clear DynamicScalingOutSuspended") == (
        proposal.auto_level,
        proposal.title.rsplit("(", 1)[1].rstrip(")"),
    )
    assert '-  "DynamicScalingOutSuspended": true,' in proposal.diff


def test_suspension_with_unknown_flags_gives_a_recommendation():
    """Suspended, but which flags is unknown: a rollback could not restore them, so advice."""
    proposal = plan_resume_scaling(
        finding("AUTOSCALING_SUSPENDED_OR_FAILING"), scaled(ScalableTarget(2, 6, suspended=True))
    )
    assert isinstance(proposal, str)
    assert proposal.startswith(
        "AUTOSCALING_SUSPENDED_OR_FAILING: resume scaling on service/payments/ledger-api"
    )
    assert "which flags are set could not be read" in proposal


def test_failing_scaling_that_is_not_suspended_quotes_the_failure():
    failure = Evidence(
        "application-autoscaling:DescribeScalingActivities", "arn", "Failed: role missing"
    )
    proposal = plan_resume_scaling(
        finding("AUTOSCALING_SUSPENDED_OR_FAILING", failure), scaled(ScalableTarget(1, 6))
    )
    assert isinstance(proposal, str)
    assert "is not suspended but fails (Failed: role missing): fix the scaling policy" in proposal


# --- TASK_PROTECTION_BLOCKS_SCALE_IN ----------------------------------------------------------


def task_arn(n: int) -> str:
    return f"{PREFIX}:task/payments/{n:032x}"


def protected(
    *expiries_min: int, desired: int = 2, tasks: tuple[object, ...] | None = None
) -> ServiceSnapshot:
    """Running tasks 1..n, each protected until NOW + its minutes; the clock is NOW."""
    count = len(expiries_min)
    protection = tuple(
        TaskProtection(task_arn(n), True, NOW + timedelta(minutes=m))
        for n, m in enumerate(expiries_min, start=1)
    )
    running = tasks or tuple(task(n, stopped=False) for n in range(1, count + 1))
    return snapshot(
        service=service(running=count, desired=desired, events=(event("steady", minutes_ago=0),)),
        running_tasks=running,
        capacity=CapacityView(task_protection=protection),
    )


def test_protection_is_lifted_from_the_tasks_whose_protection_ends_first():
    """4 protected, desiredCount 2: the two expiring soonest lose it; rollback restores it."""
    proposal = action(plan_unprotect_tasks(finding(PROTECTED), protected(300, 30, 2000, 61)))
    unprotect = {
        "cluster": CLUSTER_ARN,
        "protectionEnabled": False,
        "tasks": [task_arn(2), task_arn(4)],
    }
    assert (ApiCall("ecs", "UpdateTaskProtection", unprotect),) == proposal.steps
    assert [
        {
            "cluster": CLUSTER_ARN,
            "protectionEnabled": True,
            "expiresInMinutes": 30,
            "tasks": [task_arn(2)],
        },
        {
            "cluster": CLUSTER_ARN,
            "protectionEnabled": True,
            "expiresInMinutes": 61,
            "tasks": [task_arn(4)],
        },
    ] == [c.params for c in proposal.rollback]
    assert ("A2", "Lift scale-in protection from 2 of 4 protected tasks") == (
        proposal.auto_level,
        proposal.title,
    )
    assert "unfinished work is lost" in proposal.risk
    assert "already stopped" in proposal.risk


def test_old_revision_and_unhealthy_tasks_are_unprotected_before_the_rest():
    """Task 3 runs an old revision and task 4 is unhealthy: they go before soon-expiring 1."""
    tasks = (
        task(1, stopped=False),
        task(2, stopped=False),
        task(3, stopped=False, task_definition_arn=td_arn(6)),
        task(4, stopped=False, health_status="UNHEALTHY"),
    )
    proposal = action(
        plan_unprotect_tasks(finding(PROTECTED), protected(10, 500, 900, 900, tasks=tasks))
    )
    assert [task_arn(3), task_arn(4)] == proposal.steps[0].params["tasks"]


def test_more_than_ten_tasks_are_unprotected_ten_at_a_time():
    proposal = action(plan_unprotect_tasks(finding(PROTECTED), protected(*[60] * 14, desired=1)))
    assert [10, 3] == [len(s.params["tasks"]) for s in proposal.steps]
    assert [10, 3] == [len(c.params["tasks"]) for c in proposal.rollback]


def test_unread_protection_gives_a_precise_recommendation():
    """The event says protected tasks block scale-in, but GetTaskProtection gave nothing."""
    blocked = replace(protected(60, 60, 60), capacity=CapacityView())
    proposal = plan_unprotect_tasks(finding(PROTECTED), blocked)
    assert (
        "TASK_PROTECTION_BLOCKS_SCALE_IN: no more tasks of ledger-api are known to be protected "
        "than its desiredCount 2 (ecs get-task-protection): read the protection of its running "
        "tasks, then call update-task-protection --no-protection-enabled on those beyond "
        "desiredCount that are safe to stop, or wait for their protection to expire."
    ) == proposal


def test_the_three_scaling_codes_have_planners():
    assert {"AUTOSCALING_MAXED", "AUTOSCALING_SUSPENDED_OR_FAILING", PROTECTED} <= planned_codes()


def test_on_planton_a_raised_max_capacity_is_a_change_to_the_spec():
    """Planton's autoscaling block owns Min/Max: the raise goes to its spec, rollback too."""
    plan = RemediationPlan(
        actions=(
            action(
                plan_raise_max_capacity(
                    finding("AUTOSCALING_MAXED"), scaled(ScalableTarget(1, 2), cpu_peak=83.0)
                )
            ),
        )
    )
    spec = ExpectedSpec("acme/prod/web", "ecssvc-1", min_tasks=1, max_tasks=2)
    [converted] = for_planton(plan, spec).actions
    changes = [s.params["changes"] for s in converted.steps if isinstance(s, ApiCall)]
    undo = [c.params["changes"] for c in converted.rollback]
    expected = ([{"autoscaling.min_tasks": 1, "autoscaling.max_tasks": 4}],
                [{"autoscaling.min_tasks": 1, "autoscaling.max_tasks": 2}])  # fmt: skip
    assert expected == (changes, undo)


def test_minutes_left_count_from_the_collection_when_the_newest_event_is_old():
    """The scale-in event is 3 hours old; protection ending 30 minutes after collection: 30."""
    quiet = protected(30, 30, 30)
    quiet = replace(quiet, service=replace(quiet.service, events=(event("steady", 180),)))
    proposal = action(plan_unprotect_tasks(finding(PROTECTED), quiet))
    assert [30] == [c.params["expiresInMinutes"] for c in proposal.rollback]

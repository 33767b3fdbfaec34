"""Verification: when the change took effect, the light polls and the code's own check."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from builders import NOW, deployment, event, oom_task, service, snapshot, target, task

from ecs_medic.aws.snapshot import CapacityView, ServiceSnapshot
from ecs_medic.aws.snapshot_capacity import Autoscaling, ScalableTarget, ScalingActivity
from ecs_medic.remedies.verify import (
    OWN_CHECK,
    change_moment,
    restored_checks,
    since,
    standard_checks,
    wait_until_healthy,
)


def test_the_moment_is_the_deployment_the_change_started():
    """A deployment created after the clock read before the change marks the change."""
    old = replace(deployment(7), created_at=NOW - timedelta(hours=1), updated_at=NOW)
    new = replace(deployment(8), created_at=NOW + timedelta(seconds=30))
    before = replace(service(), deployments=(old,), events=(event("e", minutes_ago=5),))
    after = replace(before, deployments=(new, replace(old, status="ACTIVE")))
    assert new.created_at == change_moment(before, after)


def test_without_a_new_deployment_the_moment_is_the_clock_before():
    """A change that starts no deployment (desiredCount) is judged from the clock before."""
    old = replace(deployment(7), created_at=NOW - timedelta(hours=1), updated_at=NOW)
    before = replace(service(), deployments=(old,), events=())
    assert NOW == change_moment(before, before)


def test_healthy_polls_are_confirmed_by_the_codes_own_check():
    """The light polls pass, but the full read still shows the fixed code: not verified."""
    healthy = snapshot()
    still_oom = snapshot(
        stopped_tasks=tuple(replace(oom_task(n), created_at=NOW) for n in range(3))
    )
    verification = wait_until_healthy(
        lambda: healthy,
        NOW - timedelta(minutes=5),
        frozenset({"OOM_KILLED"}),
        timeout_s=0,
        confirm=lambda: still_oom,
    )
    own = next(c for c in verification.checks if c.name == OWN_CHECK)
    assert (False, False, "OOM_KILLED") == (verification.ok, own.ok, own.detail)


def test_scaling_activities_before_the_change_are_cut_from_the_own_check():
    """Not-scaled activities from before MaxCapacity was raised do not count as recurrence."""
    at_max = ScalingActivity(
        "Failed",
        not_scaled_reasons=("AlreadyAtMaxCapacity",),
        start_time=NOW - timedelta(minutes=9),
    )
    failed = ScalingActivity("Failed", "set desired count", start_time=NOW)
    scaling = Autoscaling(ScalableTarget(1, 4), activities=(failed, at_max))
    cut = since(snapshot(capacity=CapacityView(autoscaling=scaling)), NOW - timedelta(minutes=5))
    assert cut.capacity.autoscaling is not None
    assert (failed,) == cut.capacity.autoscaling.activities


def test_a_rollback_must_restore_the_scalable_target_but_not_its_desired_count():
    """Application Auto Scaling owns desiredCount; the range and suspension must be back."""
    suspended = ScalableTarget(
        2, 6, suspended=True, suspended_flags=("DynamicScalingOutSuspended",)
    )
    before = snapshot(capacity=CapacityView(autoscaling=Autoscaling(suspended)))
    scaled_out = replace(before.service, desired_count=4)
    resumed = replace(
        before,
        service=scaled_out,
        capacity=CapacityView(autoscaling=Autoscaling(ScalableTarget(2, 6))),
    )
    restored = replace(before, service=scaled_out)
    failed = {c.name: c.ok for c in restored_checks(before, resumed) if not c.ok}
    assert {"scalable target restored": False} == failed
    assert all(c.ok for c in restored_checks(before, restored))


def test_an_old_task_still_running_in_a_dropped_zone_is_no_recurrence():
    """LB_AZ_NOT_ENABLED fixed by leaving zone c: the draining task there is the past."""
    unused = target("10.0.3.9", "unused", "Target.NotInUse", "AZ not enabled")
    hour_ago, moment = NOW - timedelta(hours=1), NOW - timedelta(minutes=5)
    old = task(9, stopped=False, availability_zone="eu-west-1c", created_at=hour_ago)
    new = tuple(task(n, stopped=False, created_at=NOW) for n in (1, 2))
    draining = snapshot(running_tasks=(old, *new), target_health=(unused,))
    codes = frozenset({"LB_AZ_NOT_ENABLED"})

    def gone(shot: ServiceSnapshot) -> bool:
        return next(c.ok for c in standard_checks(shot, codes) if c.name == "failure gone")

    assert (False, True) == (gone(draining), gone(since(draining, moment)))


def test_an_old_tasks_failing_health_check_after_the_change_is_no_recurrence():
    """The rollout drains a task launched before the fix: its ELB events and its unhealthy
    target are the past; a new task's are not."""
    moment, hour_ago = NOW - timedelta(minutes=5), NOW - timedelta(hours=1)
    old = task(9, stopped=False, created_at=hour_ago, private_ip="10.0.1.9")
    new = task(1, stopped=False, created_at=NOW, private_ip="10.0.1.11")
    timeout = "Target.Timeout"
    about = (
        "(service ledger-api) (task {}) (port 9000) is unhealthy in (target-group x) due to "
        "(reason Request timed out)."
    )
    old_event = replace(event(about.format(old.id)), created_at=NOW)
    new_event = replace(event(about.format(new.id)), created_at=NOW)
    base = snapshot(running_tasks=(old, new))
    draining = replace(
        base,
        service=replace(base.service, events=(old_event,)),
        target_health=(target("10.0.1.9", "unhealthy", timeout), target("10.0.1.11")),
    )
    failing = replace(draining, service=replace(base.service, events=(new_event, old_event)))
    cut, cut_failing = since(draining, moment), since(failing, moment)
    targets = tuple(h.target_id for h in cut.target_health)
    assert ((), ("10.0.1.11",)) == (cut.service.events, targets)
    assert (new_event,) == cut_failing.service.events

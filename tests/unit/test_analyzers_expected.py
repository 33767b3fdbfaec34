"""Expected stops (catalogue section 9) are not failures."""

from __future__ import annotations

from builders import container, service, snapshot, task

from ecs_medic.analyzers import analyze
from ecs_medic.analyzers.expected import expected_stops
from ecs_medic.findings import Severity


def expected_stop_tasks():
    """One task of each kind of normal stop, on Fargate and EC2."""
    return (
        task(
            1,
            stopped_reason="Scaling activity initiated by (deployment ecs-svc/77)",
            containers=(container("envoy", 143), container("app", 143)),
        ),
        task(2, stop_code="UserInitiated", stopped_reason="Task stopped by user"),
        task(3, launch_type="EC2", stopped_reason="Host EC2 (instance i-0abc1234) terminated."),
        task(
            4, launch_type="EC2", stopped_reason="Container instance deregistration forced by user"
        ),
        task(5, stop_code="SpotInterruption", stopped_reason="Your Spot Task was interrupted."),
        task(
            6,
            stop_code="ServiceSchedulerInitiated",
            stopped_reason="ECS is performing maintenance on the underlying infrastructure "
            "hosting the task",
            containers=(container("app", 137),),
        ),
    )


def test_expected_stops_at_full_capacity_make_no_finding():
    """Normal stops while every desired task runs produce nothing at all."""
    assert () == analyze(snapshot(stopped_tasks=expected_stop_tasks())).findings


def test_expected_stops_never_reach_medium_even_below_desired():
    """Below desired count, normal stops are at most a low-severity note."""
    snap = snapshot(stopped_tasks=expected_stop_tasks(), service=service(running=1))
    assert [] == [f.code for f in analyze(snap).findings if f.severity.at_least(Severity.MEDIUM)]


def test_repeated_spot_interruptions_below_desired_are_a_low_note():
    """Two Spot interruptions while capacity is short make a low SPOT_INTERRUPTION note."""
    spot = tuple(
        task(n, stop_code="SpotInterruption", stopped_reason="Your Spot Task was interrupted.")
        for n in (1, 2)
    )
    findings = expected_stops(snapshot(stopped_tasks=spot, service=service(running=1)))
    assert [("SPOT_INTERRUPTION", Severity.LOW)] == [(f.code, f.severity) for f in findings]


def test_a_single_spot_interruption_is_not_noted():
    """One interruption is not a repeat."""
    spot = task(1, stop_code="SpotInterruption", stopped_reason="Your Spot Task was interrupted.")
    assert [] == expected_stops(snapshot(stopped_tasks=(spot,), service=service(running=1)))

"""TG_HEALTHCHECK_FAILING: the target group's health check gets the wrong status code."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    SERVICE_ARN,
    STEADY,
    TG_ARN,
    elb_task,
    event,
    mismatch_target,
    service,
    snapshot,
    target,
)

from ecs_medic.analyzers.load_balancer import tg_healthcheck_failing
from ecs_medic.findings import Severity

UNHEALTHY_EVENT = (
    "(service ledger-api) (task 0f3a) (port 9000) is unhealthy in "
    f"(target-group {TG_ARN}) due to (reason Health checks failed with these codes: [404])"
)


def failing(**kwargs):
    """A snapshot where every target answers the health check with 404."""
    targets = tuple(mismatch_target(f"10.0.1.{n}") for n in (11, 12, 13))
    return snapshot(target_health=targets, **kwargs)


def test_healthy_targets_make_no_finding():
    """All targets healthy means no health-check finding."""
    assert [] == tg_healthcheck_failing(snapshot())


def test_summary_names_path_codes_matcher_and_counts():
    """The summary says what is checked, what came back and how many targets fail."""
    [finding] = tg_healthcheck_failing(failing())
    assert (
        "Health checks on /healthz (target group ledger-tg) returned [404] while the matcher "
        "expects 200; 3 of 3 targets unhealthy"
    ) == finding.summary


def test_evidence_shows_what_the_target_group_checks():
    """HealthCheckPath, port and Matcher are in the evidence, with the container behind it."""
    [finding] = tg_healthcheck_failing(failing())
    config = [e.detail for e in finding.evidence if e.source == "elbv2:DescribeTargetGroups"]
    assert [
        "HealthCheckPath /healthz, HealthCheckPort traffic-port, Matcher 200, protocol HTTP, "
        "interval 15s, unhealthy threshold 2; traffic goes to container app:9000"
    ] == config


def test_target_health_is_quoted_verbatim():
    """The target's reason and description appear as AWS returned them."""
    [finding] = tg_healthcheck_failing(failing())
    assert (
        "target 10.0.1.11:9000 unhealthy Target.ResponseCodeMismatch: "
        "Health checks failed with these codes: [404]"
    ) == finding.evidence[0].detail


def test_service_event_alone_is_enough():
    """An 'is unhealthy ... codes: [404]' event makes the finding without target health."""
    snap = snapshot(target_health=(), service=service(events=(event(UNHEALTHY_EVENT),)))
    [finding] = tg_healthcheck_failing(snap)
    assert (SERVICE_ARN, UNHEALTHY_EVENT) == (
        finding.evidence[0].resource,
        finding.evidence[0].detail,
    )


def test_event_older_than_the_last_steady_state_is_ignored():
    """An unhealthy event from before the service last reached steady state is history."""
    events = (event(STEADY, 5), event(UNHEALTHY_EVENT, 60))
    assert [] == tg_healthcheck_failing(snapshot(service=service(events=events)))


def test_elb_health_stops_count_as_affected_tasks():
    """Tasks stopped for failing ELB health checks are counted and quoted."""
    [finding] = tg_healthcheck_failing(failing(stopped_tasks=(elb_task(1), elb_task(2))))
    assert 2 == finding.affected_tasks
    assert finding.summary.endswith("2 tasks stopped for failing ELB health checks")


def test_timeouts_are_not_a_status_code_problem():
    """Target.Timeout points at security groups or ports, not at the health-check path."""
    timeout = target("10.0.1.11", "unhealthy", "Target.Timeout", "Request timed out")
    snap = snapshot(target_health=(timeout,), stopped_tasks=(elb_task(1),))
    assert [] == tg_healthcheck_failing(snap)


def test_no_healthy_target_is_at_least_high_severity():
    """When no target is healthy the load balancer has nothing good to send traffic to."""
    assert Severity.HIGH == tg_healthcheck_failing(failing())[0].severity


def test_some_healthy_targets_at_full_capacity_is_medium():
    """One failing target among healthy ones with all tasks running is medium."""
    targets = (mismatch_target("10.0.1.11"), target("10.0.1.12"), target("10.0.1.13"))
    snap = replace(snapshot(), target_health=targets)
    assert Severity.MEDIUM == tg_healthcheck_failing(snap)[0].severity


def test_target_count_does_not_need_the_target_group_description():
    """Without describe_target_groups the finding still counts the failing targets."""
    [finding] = tg_healthcheck_failing(failing(target_groups=()))
    assert "Health checks on the app returned [404]; 3 of 3 targets unhealthy" == finding.summary

"""CIRCUIT_BREAKER_ROLLBACK and DEPLOYMENT_STUCK, the deployment symptoms."""

from __future__ import annotations

from builders import STEADY, deployment, event, failed_deployment, service, snapshot

from ecs_medic.analyzers.deployment import circuit_breaker_rollback, deployment_stuck
from ecs_medic.aws.snapshot import CapacityView
from ecs_medic.aws.snapshot_capacity import CircuitBreakerState

FAILED_EVENT = (
    "(service ledger-api) (deployment ecs-svc/8) deployment failed: tasks failed to start."
)
ROLLBACK_EVENT = "(service ledger-api) rolling back to deployment ecs-svc/7."


def test_completed_deployment_makes_no_finding():
    """A COMPLETED rollout and a steady state are not a deployment problem."""
    snap = snapshot()
    assert [] == circuit_breaker_rollback(snap) + deployment_stuck(snap)


def test_failed_deployment_names_revision_and_failed_tasks():
    """rolloutState FAILED by the circuit breaker is found, with the revision and count."""
    snap = snapshot(service=service(running=0, deployments=(failed_deployment(),)))
    [finding] = circuit_breaker_rollback(snap)
    assert (
        "Deployment ecs-svc/0000000000000000008 (ledger-api:8) was marked FAILED by the circuit "
        "breaker after 3 failed tasks"
    ) == finding.summary


def test_rollback_event_is_mentioned_and_quoted():
    """A 'rolling back' event adds the rollback to the summary and to the evidence."""
    events = (event(ROLLBACK_EVENT, 1), event(FAILED_EVENT, 2))
    rolling = (failed_deployment(), deployment(7, status="ACTIVE", rollout="IN_PROGRESS"))
    [finding] = circuit_breaker_rollback(
        snapshot(service=service(deployments=rolling, events=events))
    )
    assert finding.summary.endswith("; ECS is rolling back to the previous deployment")
    assert ROLLBACK_EVENT in [e.detail for e in finding.evidence]


def test_failure_events_alone_are_enough():
    """Events without a FAILED deployment still make the finding, with less confidence."""
    [finding] = circuit_breaker_rollback(snapshot(service=service(events=(event(FAILED_EVENT),))))
    assert ("Service events report a failed deployment", 0.8) == (
        finding.summary,
        finding.confidence,
    )


def test_failure_events_before_the_last_steady_state_are_history():
    """A breaker event older than the last steady state does not count."""
    events = (event(STEADY, 1), event(FAILED_EVENT, 90))
    assert [] == circuit_breaker_rollback(snapshot(service=service(events=events)))


def test_rollout_failed_for_another_reason_is_not_the_breaker():
    """A FAILED rollout without 'circuit breaker' in its reason is not this code."""
    other = deployment(8, rollout="FAILED", rollout_state_reason="ECS deployment failed: other.")
    assert [] == circuit_breaker_rollback(snapshot(service=service(deployments=(other,))))


def test_crash_looping_rollout_without_breaker_is_stuck():
    """IN_PROGRESS with failed tasks, fewer running than desired and an old deployment alive."""
    new = deployment(8, rollout="IN_PROGRESS", running_count=1, failed_tasks=6)
    old = deployment(7, status="ACTIVE")
    [finding] = deployment_stuck(snapshot(service=service(deployments=(new, old))))
    assert (
        "Deployment ecs-svc/0000000000000000008 is IN_PROGRESS with 1 of 3 tasks running and "
        "6 failed tasks; the deployment circuit breaker is off"
    ) == finding.summary


def test_unable_to_start_event_marks_a_stuck_deployment():
    """ECS's 'unable to consistently start tasks' event is enough."""
    stuck = event("(service ledger-api) is unable to consistently start tasks successfully.")
    snap = snapshot(service=service(running=1, events=(stuck,)))
    assert ["DEPLOYMENT_STUCK"] == [f.code for f in deployment_stuck(snap)]


def test_breaker_failure_is_not_also_stuck():
    """A rollout the breaker already failed is not reported as stuck as well."""
    assert [] == deployment_stuck(snapshot(service=service(deployments=(failed_deployment(),))))


def test_breaker_evidence_counts_failures_against_the_threshold():
    """DescribeServiceDeployments' failureCount and threshold are quoted."""
    state = CircuitBreakerState(
        "arn:aws:ecs:eu-west-1:1:service-deployment/x", "ROLLBACK_SUCCESSFUL", 3, 3
    )
    snap = snapshot(
        service=service(running=0, deployments=(failed_deployment(),)),
        capacity=CapacityView(circuit_breakers=(state,)),
    )
    details = [e.detail for e in circuit_breaker_rollback(snap)[0].evidence]
    assert "ROLLBACK_SUCCESSFUL: circuitBreaker failureCount 3 of threshold 3" in details

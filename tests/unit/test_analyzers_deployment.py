"""CIRCUIT_BREAKER_ROLLBACK and DEPLOYMENT_STUCK, the deployment symptoms, and stale digests."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    ESSENTIAL_EXITED,
    IMAGE,
    STEADY,
    container,
    deployment,
    event,
    failed_deployment,
    service,
    snapshot,
    task,
    task_definition,
    td_arn,
)

from ecs_medic.analyzers import analyze
from ecs_medic.analyzers.deployment import (
    circuit_breaker_rollback,
    deployment_stuck,
    stale_image_not_redeployed,
)
from ecs_medic.aws.snapshot import CapacityView, ImageCheck, ServiceSnapshot, Task
from ecs_medic.aws.snapshot_capacity import CircuitBreakerState
from ecs_medic.findings import Severity

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


# --- a rollback that settled: the breaker's events are behind the new steady state -------

ROLLED_BACK_EVENTS = (
    event(STEADY, 1),
    event("(service ledger-api) (deployment ecs-svc/10) deployment completed.", 2),
    event(ROLLBACK_EVENT, 9),
    event(FAILED_EVENT, 9),
)


def aborted(n: int, revision: int = 8) -> Task:
    """A task of `revision` whose essential app container aborted (134); envoy got SIGTERM."""
    return task(
        n,
        revision=revision,
        launch_type="EC2",
        stop_code="EssentialContainerExited",
        stopped_reason=ESSENTIAL_EXITED,
        started_by="ecs-svc/0000000000000000008",
        containers=(container("envoy", 143), container("app", 134)),
    )


def rolled_back(*stopped: Task, current: int = 7) -> ServiceSnapshot:
    """An EC2 service settled on `current` after the breaker rolled back a newer release."""
    settled = replace(
        service(events=ROLLED_BACK_EVENTS, launch_type="EC2"),
        task_definition_arn=td_arn(current),
        deployments=(deployment(current),),
    )
    definitions = tuple(
        replace(task_definition(r), requires_compatibilities=("EC2",)) for r in (current, 8)
    )
    return snapshot(service=settled, stopped_tasks=stopped, task_definitions=definitions)


def test_settled_rollback_still_reports_the_release_that_failed():
    """The service runs :7 again; the failed :8 tasks keep the breaker's verdict current."""
    [finding] = circuit_breaker_rollback(rolled_back(aborted(1), aborted(2)))
    assert (
        "Service events report a failed deployment of ledger-api:8; ECS rolled the service "
        "back to ledger-api:7, which it runs now"
    ) == finding.summary
    assert (Severity.MEDIUM, [ROLLBACK_EVENT, FAILED_EVENT]) == (
        finding.severity,
        [e.detail for e in finding.evidence],
    )


def test_a_newer_release_after_the_rollback_makes_the_breaker_history():
    """Once :9 is deployed, the old failure of :8 is no longer the service's state."""
    assert [] == circuit_breaker_rollback(rolled_back(aborted(1), current=9))


def test_failed_newer_tasks_without_breaker_events_are_not_a_rollback():
    """Tasks of a newer revision alone (a manual revert, say) do not make the breaker code."""
    snap = replace(rolled_back(aborted(1)), service=replace(rolled_back().service, events=()))
    assert [] == circuit_breaker_rollback(snap)


def test_replaced_tasks_of_a_newer_revision_are_not_failures():
    """Tasks of :8 stopped by a deployment (an expected stop) do not count as a failed release."""
    replaced = task(
        1,
        revision=8,
        stop_code="ServiceSchedulerInitiated",
        stopped_reason="Scaling activity initiated by (deployment ecs-svc/10)",
    )
    assert [] == circuit_breaker_rollback(rolled_back(replaced))


def test_the_crash_is_the_root_and_the_rollback_links_to_it():
    """Catalogue section 6: the breaker is a symptom; the SIGABRT of :8 is the root cause."""
    findings = analyze(rolled_back(aborted(1), aborted(2), aborted(3))).findings
    assert [
        ("RUNTIME_CRASH_SIGNAL", None, Severity.MEDIUM),
        ("CIRCUIT_BREAKER_ROLLBACK", "RUNTIME_CRASH_SIGNAL", Severity.MEDIUM),
    ] == [(f.code, f.caused_by, f.severity) for f in findings]


# --- stale digests ---------------------------------------------------------------------

PUSHED = ImageCheck(IMAGE, "ledger-api", "v42", True, digest="sha256:new")


def running(n: int, digest: str, started_by: str | None = None) -> Task:
    """A running task whose app container runs `digest`, beside an envoy sidecar."""
    app = replace(container("app"), image_digest=digest)
    return task(n, stopped=False, started_by=started_by, containers=(container("envoy"), app))


def test_stale_digest_is_medium_and_quotes_the_ecr_call():
    """Running tasks on an older digest than the tag names: medium, ECR's answer quoted."""
    snap = snapshot(images=(PUSHED,), running_tasks=(running(1, "sha256:old"),))
    [finding] = stale_image_not_redeployed(snap)
    assert (Severity.MEDIUM, 1) == (finding.severity, finding.affected_tasks)
    assert ("ecr:BatchGetImage", f"{IMAGE} is now sha256:new") == (
        finding.evidence[-1].source,
        finding.evidence[-1].detail,
    )


def test_tasks_of_a_deployment_being_replaced_are_not_stale():
    """Mid-rollout the old deployment's tasks still run the old digest; that is expected."""
    new, old = deployment(8, rollout="IN_PROGRESS"), deployment(7, status="ACTIVE")
    tasks = (running(1, "sha256:old", old.id), running(2, "sha256:new", new.id))
    snap = snapshot(images=(PUSHED,), running_tasks=tasks, service=service(deployments=(new, old)))
    assert [] == stale_image_not_redeployed(snap)


def test_primary_tasks_on_an_old_digest_are_stale():
    """The PRIMARY deployment's own tasks on the old digest are the stale ones."""
    primary = deployment(7)
    snap = snapshot(images=(PUSHED,), running_tasks=(running(1, "sha256:old", primary.id),))
    assert ["STALE_IMAGE_NOT_REDEPLOYED"] == [f.code for f in stale_image_not_redeployed(snap)]

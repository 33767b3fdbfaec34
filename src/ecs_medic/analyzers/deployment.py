"""Deployment failures (catalogue section 6); both codes here are symptoms of task failures."""

from __future__ import annotations

from ecs_medic.aws.snapshot import Deployment, ServiceSnapshot
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .signals import DESCRIBE_SERVICES, contains_any, event_evidence, recent_events

BREAKER = ("circuit breaker",)
BREAKER_EVENTS = ("deployment failed", "rolling back to deployment")
STUCK_EVENTS = ("is unable to consistently start tasks successfully",)


def circuit_breaker_rollback(snapshot: ServiceSnapshot) -> list[Finding]:
    """CIRCUIT_BREAKER_ROLLBACK: the circuit breaker marked a deployment FAILED."""
    failed = [d for d in snapshot.service.deployments if _breaker_failed(d)]
    pool = snapshot.service.events if failed else recent_events(snapshot)
    events = [e for e in pool if contains_any(e.message, BREAKER_EVENTS)]
    if not failed and not events:
        return []
    service = snapshot.service
    below_desired = service.running_count < service.desired_count
    return [
        make_finding(
            "CIRCUIT_BREAKER_ROLLBACK",
            summary=_breaker_summary(failed, [e.message for e in events]),
            evidence=[
                *(_deployment_evidence(snapshot, d) for d in failed),
                *(event_evidence(e, snapshot) for e in events[:3]),
            ],
            remediation=(
                "The circuit breaker is a symptom: fix the cause of the failed tasks, then deploy "
                "a new revision; do not redeploy the revision that failed."
            ),
            severity=Severity.HIGH if failed or below_desired else Severity.MEDIUM,
            confidence=0.95 if failed else 0.8,
            affected_tasks=sum(d.failed_tasks for d in failed),
        )
    ]


def deployment_stuck(snapshot: ServiceSnapshot) -> list[Finding]:
    """DEPLOYMENT_STUCK: a rollout that keeps failing tasks and never completes or fails."""
    primary = snapshot.service.primary_deployment
    events = [e for e in recent_events(snapshot) if contains_any(e.message, STUCK_EVENTS)]
    looping = primary is not None and _crash_looping(snapshot, primary)
    if primary is None or primary.rollout_state == "FAILED" or not (events or looping):
        return []
    return [
        make_finding(
            "DEPLOYMENT_STUCK",
            summary=_stuck_summary(snapshot, primary, throttled=bool(events)),
            evidence=[
                _deployment_evidence(snapshot, primary),
                *(event_evidence(e, snapshot) for e in events[:3]),
            ],
            remediation=(
                "Fix the cause of the failing tasks, then deploy a new revision (that also "
                "resets the start throttle); enable deploymentCircuitBreaker with rollback so a "
                "bad revision rolls back on its own."
            ),
            severity=Severity.HIGH,
            confidence=0.9 if events and looping else (0.85 if events else 0.6),
            affected_tasks=primary.failed_tasks,
        )
    ]


def _stuck_summary(snapshot: ServiceSnapshot, primary: Deployment, *, throttled: bool) -> str:
    """Say how far the rollout got, and whether a breaker or ECS's throttle is involved."""
    breaker = snapshot.service.deployment_config.circuit_breaker_enabled
    return (
        f"Deployment {primary.id} is {primary.rollout_state or 'in progress'} with "
        f"{primary.running_count} of {primary.desired_count} tasks running and "
        f"{primary.failed_tasks} failed tasks"
        + ("" if breaker else "; the deployment circuit breaker is off")
        + ("; ECS reports it is unable to consistently start tasks" if throttled else "")
    )


def _breaker_failed(deployment: Deployment) -> bool:
    """Tell whether the circuit breaker failed this deployment."""
    return deployment.rollout_state == "FAILED" and contains_any(
        deployment.rollout_state_reason, BREAKER
    )


def _crash_looping(snapshot: ServiceSnapshot, primary: Deployment) -> bool:
    """Tell whether a new rollout keeps losing tasks while another deployment is still live."""
    return (
        primary.rollout_state == "IN_PROGRESS"
        and primary.failed_tasks > 0
        and primary.running_count < primary.desired_count
        and len(snapshot.service.deployments) > 1
    )


def _revision(deployment: Deployment) -> str:
    """Return 'family:revision' of the deployment's task definition."""
    return deployment.task_definition_arn.rsplit("/", 1)[-1]


def _deployment_evidence(snapshot: ServiceSnapshot, deployment: Deployment) -> Evidence:
    """Quote a deployment's state as describe_services returned it."""
    detail = (
        f"deployment {deployment.id} ({deployment.status}, {_revision(deployment)}): "
        f"rolloutState {deployment.rollout_state}, "
        f'rolloutStateReason "{deployment.rollout_state_reason}", '
        f"failedTasks {deployment.failed_tasks}, running {deployment.running_count} "
        f"of {deployment.desired_count}"
    )
    return Evidence(DESCRIBE_SERVICES, snapshot.service.arn, detail)


def _breaker_summary(failed: list[Deployment], messages: list[str]) -> str:
    """Say which deployment failed, after how many failed tasks, and whether ECS rolls back."""
    if failed:
        d = failed[0]
        lead = (
            f"Deployment {d.id} ({_revision(d)}) was marked FAILED by the circuit breaker "
            f"after {d.failed_tasks} failed tasks"
        )
    else:
        lead = "Service events report a failed deployment"
    rolling = any(contains_any(m, ["rolling back"]) for m in messages)
    return lead + ("; ECS is rolling back to the previous deployment" if rolling else "")

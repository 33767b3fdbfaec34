"""Deployment failures (catalogue section 6); both codes here are symptoms of task failures."""

from __future__ import annotations

import math

from ecs_medic.aws.snapshot import (
    Deployment,
    ServiceEvent,
    ServiceLoadBalancer,
    ServiceSnapshot,
    Task,
    TaskDefinition,
)
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .signals import (
    DESCRIBE_SERVICES,
    Signal,
    contains_any,
    event_evidence,
    find_signal,
    is_expected_stop,
    recent_events,
    signal_finding,
)

BREAKER = ("circuit breaker",)
BREAKER_EVENTS = ("deployment failed", "rolling back to deployment")
STUCK_EVENTS = ("is unable to consistently start tasks successfully",)


def circuit_breaker_rollback(snapshot: ServiceSnapshot) -> list[Finding]:
    """CIRCUIT_BREAKER_ROLLBACK: the circuit breaker marked a deployment FAILED.

    After a rollback the service settles on the previous revision and the breaker's events
    fall behind the new steady state; they still explain the release that did not ship as
    long as the service runs an older revision than the tasks that failed.
    """
    failed = [d for d in snapshot.service.deployments if _breaker_failed(d)]
    events = _breaker_events(snapshot.service.events if failed else recent_events(snapshot))
    release = None if failed or events else _rolled_back_release(snapshot)
    if release:
        events = _breaker_events(snapshot.service.events)
    if not failed and not events:
        return []
    service = snapshot.service
    below_desired = service.running_count < service.desired_count
    return [
        make_finding(
            "CIRCUIT_BREAKER_ROLLBACK",
            summary=_breaker_summary(failed, [e.message for e in events], release, snapshot),
            evidence=[
                *(_deployment_evidence(snapshot, d) for d in failed),
                *(event_evidence(e, snapshot) for e in events[:3]),
                *_breaker_counts(snapshot),
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


def _breaker_events(pool: tuple[ServiceEvent, ...]) -> list[ServiceEvent]:
    """The deployment-failed and rolling-back events in `pool`, newest first."""
    return [e for e in pool if contains_any(e.message, BREAKER_EVENTS)]


def _rolled_back_release(snapshot: ServiceSnapshot) -> str | None:
    """'family:revision' of failed tasks newer than the revision the service runs now.

    Their revision is the release the breaker rolled back; a later deployment of a newer
    revision supersedes it, and then the old breaker events are history.
    """
    current = _family_revision(snapshot.service.task_definition_arn)
    if current is None:
        return None
    newer = [
        found
        for t in snapshot.stopped_tasks
        if not is_expected_stop(t)
        and (found := _family_revision(t.task_definition_arn))
        and found[0] == current[0]
        and found[1] > current[1]
    ]
    if not newer:
        return None
    family, revision = max(newer, key=lambda fr: fr[1])
    return f"{family}:{revision}"


def _family_revision(arn: str) -> tuple[str, int] | None:
    """(family, revision) of a task-definition ARN, or None when it has no revision."""
    family, _, revision = arn.rsplit("/", 1)[-1].rpartition(":")
    return (family, int(revision)) if family and revision.isdigit() else None


def _breaker_counts(snapshot: ServiceSnapshot) -> list[Evidence]:
    """The circuit breaker's failure count against its threshold, per service deployment."""
    return [
        Evidence(
            "ecs:DescribeServiceDeployments",
            b.deployment_arn,
            f"{b.status}: circuitBreaker failureCount {b.failure_count} of threshold {b.threshold}",
        )
        for b in snapshot.capacity.circuit_breakers
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


def _breaker_summary(
    failed: list[Deployment], messages: list[str], release: str | None, snapshot: ServiceSnapshot
) -> str:
    """Say which deployment failed, after how many failed tasks, and whether ECS rolls back."""
    if failed:
        d = failed[0]
        lead = (
            f"Deployment {d.id} ({_revision(d)}) was marked FAILED by the circuit breaker "
            f"after {d.failed_tasks} failed tasks"
        )
    else:
        lead = "Service events report a failed deployment"
    if release:
        running = snapshot.service.task_definition_arn.rsplit("/", 1)[-1]
        return f"{lead} of {release}; ECS rolled the service back to {running}, which it runs now"
    rolling = any(contains_any(m, ["rolling back"]) for m in messages)
    return lead + ("; ECS is rolling back to the previous deployment" if rolling else "")


# --- rollouts that cannot move, scale-in blocked, scaled to zero, stale images -----------

CONFIG_BLOCKS = ("because of the service deployment configuration",)
PROTECTED = ("number of protected tasks are more than the desired count",)
LB_CHANGED = ("load balancer container name or port changed in task definition",)


def deployment_config_blocks(snapshot: ServiceSnapshot) -> list[Finding]:
    """DEPLOYMENT_CONFIG_BLOCKS: minimumHealthyPercent and maximumPercent leave no room."""
    signal = find_signal(snapshot, CONFIG_BLOCKS)
    service = snapshot.service
    config = service.deployment_config
    low, high = _room(service.desired_count, config.minimum_healthy_percent, config.maximum_percent)
    rolling = len(service.deployments) > 1 or (
        service.primary_deployment is not None
        and service.primary_deployment.rollout_state == "IN_PROGRESS"
    )
    stuck = (
        service.desired_count > 0 and low >= service.desired_count and high <= service.desired_count
    )
    if not signal and not (stuck and rolling):
        return []
    return [
        signal_finding(
            snapshot,
            "DEPLOYMENT_CONFIG_BLOCKS",
            signal,
            summary=(
                f"With desiredCount {service.desired_count}, minimumHealthyPercent "
                f"{config.minimum_healthy_percent} keeps {low} tasks and maximumPercent "
                f"{config.maximum_percent} allows {high}: the rollout cannot stop or start a task"
            ),
            facts=[
                Evidence(
                    DESCRIBE_SERVICES,
                    service.arn,
                    "deploymentConfiguration minimumHealthyPercent "
                    f"{config.minimum_healthy_percent}, "
                    f"maximumPercent {config.maximum_percent}; desiredCount "
                    f"{service.desired_count}",
                )
            ],
            remediation=(
                "Update the service's deploymentConfiguration so it can move, e.g. "
                "minimumHealthyPercent 100 and maximumPercent 200 (or minimumHealthyPercent 50)."
            ),
            confidence=0.9,
        )
    ]


def _room(desired: int, minimum: int | None, maximum: int | None) -> tuple[int, int]:
    """Tasks that must stay (min rounds up) and may run (max rounds down) during a rollout."""
    low = math.ceil(desired * (100 if minimum is None else minimum) / 100)
    high = math.floor(desired * (200 if maximum is None else maximum) / 100)
    return low, high


def task_protection_blocks_scale_in(snapshot: ServiceSnapshot) -> list[Finding]:
    """TASK_PROTECTION_BLOCKS_SCALE_IN: more tasks are protected than the service wants."""
    signal = find_signal(snapshot, PROTECTED)
    protected = [p for p in snapshot.capacity.task_protection if p.enabled]
    service = snapshot.service
    blocked = (
        len(protected) > service.desired_count and service.running_count > service.desired_count
    )
    if not signal and not blocked:
        return []
    return [
        signal_finding(
            snapshot,
            "TASK_PROTECTION_BLOCKS_SCALE_IN",
            signal,
            summary=(
                f"{len(protected)} tasks have scale-in protection but desiredCount is "
                f"{service.desired_count}; {service.running_count} keep running"
            ),
            facts=[
                Evidence(
                    "ecs:GetTaskProtection",
                    p.task_arn,
                    f"protectionEnabled true, expires {p.expires_at}",
                )
                for p in protected[:5]
            ],
            remediation=(
                "Wait for the protection to expire, or call update-task-protection "
                "--no-protection-enabled on the tasks that are safe to stop, or raise desiredCount."
            ),
            severity=Severity.MEDIUM,
            confidence=0.9,
        )
    ]


def desired_count_zero(snapshot: ServiceSnapshot) -> list[Finding]:
    """DESIRED_COUNT_ZERO: the service is scaled to zero and runs nothing."""
    service = snapshot.service
    if service.desired_count != 0 or service.running_count != 0 or service.status != "ACTIVE":
        return []
    scaling = snapshot.capacity.autoscaling
    target = scaling.target if scaling else None
    facts = [Evidence(DESCRIBE_SERVICES, service.arn, "desiredCount 0, runningCount 0")]
    if target:
        facts.append(
            Evidence(
                "application-autoscaling:DescribeScalableTargets",
                service.arn,
                f"MinCapacity {target.min_capacity}, MaxCapacity {target.max_capacity}",
            )
        )
    restore = max(1, target.min_capacity if target else 1)
    return [
        signal_finding(
            snapshot,
            "DESIRED_COUNT_ZERO",
            Signal(),
            summary=f"Service {service.name} is scaled to 0 tasks"
            + (f" (autoscaling MinCapacity {target.min_capacity})" if target else ""),
            facts=facts,
            remediation=(
                f"Set the service's desiredCount to {restore} or more (within the scalable "
                "target's Min/Max), and fix the scheduled action or minimum that set it to 0; "
                "CloudTrail UpdateService shows who did."
            ),
            severity=Severity.MEDIUM if service.load_balancers else Severity.LOW,
            confidence=0.9,
        )
    ]


def stale_image_not_redeployed(snapshot: ServiceSnapshot) -> list[Finding]:
    """STALE_IMAGE_NOT_REDEPLOYED: the settled tasks use an older digest than the tag now names.

    Medium: the service runs code other than what its task definition's tag points at, seen
    in live tasks, not guessed from configuration. Only the PRIMARY deployment's tasks count;
    tasks of a deployment still being replaced are expected to run the old digest.
    """
    latest = {i.image: i for i in snapshot.images if i.exists and i.digest}
    stale = [
        (t, c)
        for t in _primary_tasks(snapshot)
        for c in t.containers
        if c.image in latest and c.image_digest and c.image_digest != latest[c.image].digest
    ]
    if not stale:
        return []
    images = sorted({c.image or "" for _, c in stale})
    return [
        make_finding(
            "STALE_IMAGE_NOT_REDEPLOYED",
            summary=(
                f"{len({t.arn for t, _ in stale})} running tasks use an older digest of "
                f"{', '.join(images)} than ECR's current one"
            ),
            evidence=[
                *(
                    Evidence("ecs:DescribeTasks", t.arn, f"{c.name} runs {c.image_digest}")
                    for t, c in stale[:3]
                ),
                *(Evidence(latest[i].source, i, f"{i} is now {latest[i].digest}") for i in images),
            ],
            remediation=(
                "Force a new deployment of the service (update-service --force-new-deployment) "
                "and prefer immutable tags or digests."
            ),
            severity=Severity.MEDIUM,
            confidence=0.9,
            affected_tasks=len({t.arn for t, _ in stale}),
        )
    ]


def _primary_tasks(snapshot: ServiceSnapshot) -> list[Task]:
    """Running tasks the PRIMARY deployment started; all of them when startedBy is unknown."""
    primary = snapshot.service.primary_deployment
    running = list(snapshot.running_tasks)
    if primary is None or not any(t.started_by for t in running):
        return running
    return [t for t in running if t.started_by == primary.id]


def lb_config_change_rejected(snapshot: ServiceSnapshot) -> list[Finding]:
    """LB_CONFIG_CHANGE_REJECTED: a new revision renamed or re-ported the balanced container."""
    signal = find_signal(snapshot, LB_CHANGED)
    current = snapshot.current_task_definition
    newer = [
        d
        for d in snapshot.task_definitions
        if current and d.family == current.family and d.revision > current.revision
    ]
    drift = [(d, lb) for d in newer for lb in snapshot.service.load_balancers if not _serves(d, lb)]
    if not signal and not drift:
        return []
    facts = [
        Evidence(
            "ecs:DescribeTaskDefinition",
            d.arn,
            f"no container {lb.container_name} with port {lb.container_port} (service "
            "loadBalancers)",
        )
        for d, lb in drift
    ]
    lb = snapshot.service.load_balancers[0] if snapshot.service.load_balancers else None
    return [
        signal_finding(
            snapshot,
            "LB_CONFIG_CHANGE_REJECTED",
            signal,
            summary="The service update was rejected: the new revision changes the load-balanced "
            "container name or port"
            + (f" ({lb.container_name}:{lb.container_port})" if lb else ""),
            facts=facts,
            remediation=(
                "Keep container "
                + (f"{lb.container_name} on port {lb.container_port}" if lb else "name and port")
                + " in the new revision, or pass matching loadBalancers in update-service."
            ),
            confidence=0.9,
        )
    ]


def _serves(definition: TaskDefinition, lb: ServiceLoadBalancer) -> bool:
    """Tell whether the revision has the load-balanced container with that port."""
    spec = definition.container(lb.container_name)
    return spec is not None and any(
        m.container_port == lb.container_port for m in spec.port_mappings
    )

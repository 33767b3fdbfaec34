"""The scheduler's deployments as ecs:DescribeServiceDeployments shows them (moto has no such API).

One entry per deployment the service started, newest first. A rollback is not an entry of
its own: AWS reports it on the deployment that failed (ROLLBACK_IN_PROGRESS, then
ROLLBACK_SUCCESSFUL or ROLLBACK_FAILED, with a `rollback` block). The circuit breaker block
carries the failed-task count and the threshold (0.5 x desired, at least 3, at most 200).
The deployment configuration shown is the service's current one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from ecs_medic.lab.live import LiveService

SUPERSEDED = "ECS deployment stopped: a newer deployment started."


class DeploymentRecord(Protocol):
    """What this module reads of the runtime's Deployment."""

    id: str
    task_definition: str
    created_at: float
    updated_at: float
    rollout_state: str
    rollout_reason: str
    failed_tasks: int
    rollback: tuple[str, float] | None
    is_rollback: bool


@dataclass(frozen=True, slots=True)
class Where:
    """The service the deployments belong to."""

    region: str
    account: str
    cluster: str
    service: str
    service_arn: str

    def arn(self, kind: str, deployment_id: str) -> str:
        """A service-deployment or service-revision ARN for a scheduler deployment id."""
        short = deployment_id.rsplit("/", 1)[-1]
        prefix = f"arn:aws:ecs:{self.region}:{self.account}:{kind}"
        return f"{prefix}/{self.cluster}/{self.service}/{short}"


Counts = Callable[[str], tuple[int, int]]  # deployment id -> (running, pending)


def render(
    history: Sequence[DeploymentRecord],
    live: LiveService,
    where: Where,
    counts: Counts,
    threshold: int,
) -> list[dict[str, Any]]:
    """DescribeServiceDeployments entries for every deployment but rollbacks, newest first."""
    by_id = {d.id: d for d in history}
    started = [d for d in history if not d.is_rollback]
    entries = []
    for index, deployment in enumerate(started):
        newer = index < len(started) - 1
        source = started[index - 1] if index else None
        entries.append(_entry(deployment, by_id, source, newer, live, where, counts, threshold))
    return list(reversed(entries))


def _entry(  # noqa: PLR0917 - one deployment and its context
    deployment: DeploymentRecord,
    by_id: dict[str, DeploymentRecord],
    source: DeploymentRecord | None,
    superseded: bool,
    live: LiveService,
    where: Where,
    counts: Counts,
    threshold: int,
) -> dict[str, Any]:
    status, reason = _status(deployment, by_id, superseded)
    running, pending = counts(deployment.id)
    entry: dict[str, Any] = {
        "serviceDeploymentArn": where.arn("service-deployment", deployment.id),
        "serviceArn": where.service_arn,
        "clusterArn": f"arn:aws:ecs:{where.region}:{where.account}:cluster/{where.cluster}",
        "createdAt": deployment.created_at,
        "startedAt": deployment.created_at,
        "updatedAt": deployment.updated_at,
        "sourceServiceRevisions": [_source(source, where, counts)] if source else [],
        "targetServiceRevision": {
            "arn": where.arn("service-revision", deployment.id),
            "requestedTaskCount": live.desired if status == "IN_PROGRESS" else running + pending,
            "runningTaskCount": running,
            "pendingTaskCount": pending,
        },
        "status": status,
        "statusReason": reason,
        "deploymentConfiguration": {
            "deploymentCircuitBreaker": {"enable": live.circuit_breaker, "rollback": live.rollback},
            "maximumPercent": live.maximum_percent,
            "minimumHealthyPercent": live.minimum_healthy_percent,
            "strategy": "ROLLING",
        },
        "deploymentCircuitBreaker": {
            "status": _breaker(deployment, live.circuit_breaker),
            "failureCount": deployment.failed_tasks,
            "threshold": threshold,
        },
    }
    if status not in ("IN_PROGRESS", "ROLLBACK_IN_PROGRESS"):
        entry["finishedAt"] = deployment.updated_at
    if deployment.rollback is not None:
        rollback_id, started_at = deployment.rollback
        entry["rollback"] = {
            "reason": deployment.rollout_reason,
            "startedAt": started_at,
            "serviceRevisionArn": where.arn("service-revision", rollback_id),
        }
    return entry


def _status(
    deployment: DeploymentRecord, by_id: dict[str, DeploymentRecord], superseded: bool
) -> tuple[str, str]:
    if deployment.rollback is not None:
        back = by_id.get(deployment.rollback[0])
        state = back.rollout_state if back else "IN_PROGRESS"
        names = {"COMPLETED": "ROLLBACK_SUCCESSFUL", "FAILED": "ROLLBACK_FAILED"}
        return names.get(state, "ROLLBACK_IN_PROGRESS"), deployment.rollout_reason
    if deployment.rollout_state == "COMPLETED":
        return "SUCCESSFUL", deployment.rollout_reason
    if deployment.rollout_state == "FAILED":
        return "STOPPED", deployment.rollout_reason
    if superseded:
        return "STOPPED", SUPERSEDED
    return "IN_PROGRESS", deployment.rollout_reason


def _breaker(deployment: DeploymentRecord, enabled: bool) -> str:
    if not enabled:
        return "DISABLED"
    if deployment.rollout_state == "FAILED":
        return "TRIGGERED"
    return "MONITORING_COMPLETE" if deployment.rollout_state == "COMPLETED" else "MONITORING"


def _source(source: DeploymentRecord, where: Where, counts: Counts) -> dict[str, Any]:
    running, pending = counts(source.id)
    return {
        "arn": where.arn("service-revision", source.id),
        "requestedTaskCount": running + pending,
        "runningTaskCount": running,
        "pendingTaskCount": pending,
    }

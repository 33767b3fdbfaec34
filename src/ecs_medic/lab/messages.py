"""Service event messages and reasons, spelled as ECS spells them (ecs-failure-modes.md)."""

from __future__ import annotations

from collections.abc import Sequence


def _tasks(task_ids: Sequence[str]) -> str:
    return " ".join(f"(task {t})" for t in task_ids)


def started_tasks(service: str, task_ids: Sequence[str]) -> str:
    """The scheduler launched tasks."""
    return f"(service {service}) has started {len(task_ids)} tasks: {_tasks(task_ids)}."


def stopped_tasks(service: str, task_ids: Sequence[str]) -> str:
    """The scheduler stopped running tasks (deployment, scale-in, failed health checks)."""
    return f"(service {service}) has stopped {len(task_ids)} running tasks: {_tasks(task_ids)}."


def draining(service: str, count: int) -> str:
    """Targets of stopping tasks are draining."""
    return f"(service {service}) has begun draining connections on {count} tasks."


def registered_targets(service: str, count: int, target_group: str) -> str:
    """Running tasks were registered with a target group."""
    return f"(service {service}) registered {count} targets in (target-group {target_group})"


def deregistered_targets(service: str, count: int, target_group: str) -> str:
    """Drained targets left a target group."""
    return f"(service {service}) deregistered {count} targets in (target-group {target_group})"


def unhealthy(service: str, task_id: str, port: int, target_group: str, reason: str) -> str:
    """A target failed its load balancer health checks."""
    return (
        f"(service {service}) (task {task_id}) (port {port}) is unhealthy in "
        f"(target-group {target_group}) due to (reason {reason})."
    )


def steady_state(service: str) -> str:
    """Running equals desired and every target is healthy."""
    return f"(service {service}) has reached a steady state."


def deployment_completed(service: str, deployment_id: str) -> str:
    """A rollout finished."""
    return f"(service {service}) (deployment {deployment_id}) deployment completed."


def deployment_failed(service: str, deployment_id: str) -> str:
    """The circuit breaker marked a rollout FAILED."""
    return (
        f"(service {service}) (deployment {deployment_id}) deployment failed: "
        "tasks failed to start."
    )


def rolling_back(service: str, deployment_id: str) -> str:
    """The circuit breaker is rolling back to the last completed deployment."""
    return f"(service {service}) rolling back to deployment {deployment_id}."


CIRCUIT_BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."


def rollout_in_progress(deployment_id: str) -> str:
    """The rolloutStateReason of a deployment that is still rolling out."""
    return f"ECS deployment {deployment_id} in progress."


def rollout_completed(deployment_id: str) -> str:
    """The rolloutStateReason of a finished deployment."""
    return f"ECS deployment {deployment_id} completed."


def scaling_activity(deployment_id: str) -> str:
    """The stoppedReason of a task the scheduler replaced or scaled in."""
    return f"Scaling activity initiated by (deployment {deployment_id})"


def failed_elb_health(target_group: str) -> str:
    """The stoppedReason of a task stopped for failing load balancer health checks."""
    return f"Task failed ELB health checks in (target-group {target_group})"


def protected_tasks_block(service: str, task_set: str) -> str:
    """Scale-in or replacement waits for tasks with scale-in protection (catalogue S7)."""
    return (
        f"(service {service}) was unable to reach steady state because task set ({task_set}) "
        "was unable to scale in. Reason: The number of protected tasks are more than the "
        "desired count of tasks"
    )

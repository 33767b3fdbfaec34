"""Fix steps for the scaling scenarios: Application Auto Scaling and task protection."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ecs_medic.lab.steps import Target

DIMENSION = "ecs:service:DesiredCount"


def register_scalable_target(target: Target, params: dict[str, Any]) -> None:
    """register_scalable_target on the service (MinCapacity, MaxCapacity, SuspendedState)."""
    target.clients["application-autoscaling"].register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=f"service/{target.cluster}/{target.service}",
        ScalableDimension=DIMENSION,
        **params,
    )


def unprotect_tasks(target: Target, params: dict[str, Any]) -> None:
    """update_task_protection(protectionEnabled=false) on every running task of the service."""
    ecs = target.clients["ecs"]
    arns = ecs.list_tasks(cluster=target.cluster, serviceName=target.service)["taskArns"]
    for start in range(0, len(arns), 10):
        ecs.update_task_protection(
            cluster=target.cluster,
            tasks=arns[start : start + 10],
            protectionEnabled=False,
            **params,
        )


ACTIONS: dict[str, Callable[[Target, dict[str, Any]], None]] = {
    "register_scalable_target": register_scalable_target,
    "unprotect_tasks": unprotect_tasks,
}

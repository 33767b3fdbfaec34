"""moto internals the Fargate placement stage reads and writes (part of `_moto.py`'s remit).

moto 5.2.5 models no Fargate fleet: no quotas for the `fargate` service code (its Service
Quotas backend knows only `vpc`), no capacity. The lab keeps both on moto's backend objects
of the lab account, so they are reset with the account like everything else.
"""

from __future__ import annotations

import inspect
from typing import Any

from moto.ecs.exceptions import ECSException, TaskDefinitionNotFoundException
from moto.ecs.models import EC2ContainerServiceBackend

from ecs_medic.lab._moto_core import Scope, Wrapper, moto_backend, wrap
from ecs_medic.lab.stages_placement_fargate import (
    Rejection,
    platform_rejection,
    registration_rejection,
    target_type_rejection,
)

VCPU_QUOTA = "L-3032A538"  # fargate: Fargate On-Demand vCPU resource count
DEFAULT_VCPU_QUOTA = 4000.0  # far above any lab service; AWS's default varies by account
_QUOTAS = "_ecs_medic_lab_fargate_quotas"  # attribute on the Service Quotas backend
_NO_CAPACITY = "_ecs_medic_lab_fargate_no_capacity"  # attribute on the ECS backend
_ENI_BURST = "_ecs_medic_lab_eni_burst"  # attribute on the ECS backend


def quota(scope: Scope, code: str, cluster: str | None = None) -> float | None:
    """The applied value of a fargate quota; None for a code the lab does not model.

    AWS's quota is account-wide. A lab serving several scenarios shares one account, so a
    scenario's quota applies to its own cluster's tasks; asked for no cluster, the lowest.
    """
    if code != VCPU_QUOTA:
        return None
    values = _quotas(scope)
    if cluster is not None:
        return values.get(cluster, DEFAULT_VCPU_QUOTA)
    return min(values.values(), default=DEFAULT_VCPU_QUOTA)


def set_quota(scope: Scope, code: str, value: float, cluster: str | None = None) -> None:
    """Apply a value: to one cluster (the builder), or to every one (an approved increase)."""
    if code != VCPU_QUOTA:
        return
    values = _quotas(scope)
    for name in [cluster] if cluster is not None else list(values):
        values[name] = float(value)


def _quotas(scope: Scope) -> dict[str, float]:
    backend = moto_backend("service-quotas", scope)
    if not hasattr(backend, _QUOTAS):
        setattr(backend, _QUOTAS, {})
    values: dict[str, float] = getattr(backend, _QUOTAS)
    return values


def no_capacity_zones(scope: Scope, cluster: str) -> frozenset[str]:
    """Zones where Fargate On-Demand has no capacity for this cluster's scenario now."""
    zones: dict[str, frozenset[str]] = getattr(moto_backend("ecs", scope), _NO_CAPACITY, {})
    return zones.get(cluster, frozenset())


def set_no_capacity_zones(scope: Scope, cluster: str, zones: tuple[str, ...]) -> None:
    """Declare zones without Fargate capacity for a scenario's cluster (the fleet's state)."""
    backend = moto_backend("ecs", scope)
    declared: dict[str, frozenset[str]] = getattr(backend, _NO_CAPACITY, {})
    declared[cluster] = frozenset(zones)
    setattr(backend, _NO_CAPACITY, declared)


def eni_burst(scope: Scope, cluster: str) -> int | None:
    """How many task ENIs the scheduler may create at once for this cluster; None: plenty."""
    bursts: dict[str, int] = getattr(moto_backend("ecs", scope), _ENI_BURST, {})
    return bursts.get(cluster)


def set_eni_burst(scope: Scope, cluster: str, burst: int) -> None:
    """Declare what the account's other EC2 callers leave of the ENI-creation token bucket."""
    backend = moto_backend("ecs", scope)
    bursts: dict[str, int] = getattr(backend, _ENI_BURST, {})
    bursts[cluster] = burst
    setattr(backend, _ENI_BURST, bursts)


def vcpu_in_use(scope: Scope, cluster: str) -> float:
    """The vCPU held by the cluster's Fargate tasks that have not stopped (see `quota`)."""
    backend = moto_backend("ecs", scope)
    total = 0
    for task in backend.tasks.get(cluster, {}).values():
        if task.launch_type == "FARGATE" and getattr(task, "_status", None) != "STOPPED":
            total += _task_cpu(backend, task)
    return total / 1024


def _task_cpu(backend: Any, task: Any) -> int:
    """The task's CPU units, from its task definition (0 when unknown)."""
    try:
        definition = backend.describe_task_definition(task.task_definition_arn)
    except TaskDefinitionNotFoundException:
        return 0
    try:
        return int(definition.cpu or 0)
    except ValueError:
        return 0


# --- AWS's refusals at registration and deployment ----------------------------------------


def install() -> None:
    """Make RegisterTaskDefinition, CreateService and UpdateService refuse what AWS refuses.

    Called once per process by `_moto._install_patches`, after its own patches.
    """
    wrap(EC2ContainerServiceBackend, "register_task_definition", _register)
    wrap(EC2ContainerServiceBackend, "create_service", _create_service)
    wrap(EC2ContainerServiceBackend, "update_service", _update_service)


def _raise(rejection: Rejection | None) -> None:
    if rejection is not None:
        raise ECSException(rejection.code, rejection.message)


def _register(original: Wrapper, self: Any, *args: Any, **kwargs: Any) -> Any:
    """Refuse a task definition AWS would not register."""
    bound = inspect.signature(original).bind(self, *args, **kwargs).arguments
    request = {
        "requiresCompatibilities": bound.get("requires_compatibilities"),
        "cpu": bound.get("cpu"),
        "memory": bound.get("memory"),
        "executionRoleArn": bound.get("execution_role_arn"),
        "containerDefinitions": bound.get("container_definitions"),
    }
    _raise(registration_rejection(request))
    return original(self, *args, **kwargs)


def _create_service(original: Wrapper, self: Any, *args: Any, **kwargs: Any) -> Any:
    """Refuse a service whose revision cannot run on its platform or target groups."""
    bound = inspect.signature(original).bind(self, *args, **kwargs).arguments
    definition = _definition(self, bound.get("task_definition_str"))
    _check_deployment(
        self,
        definition,
        bound.get("launch_type") or "EC2",
        bound.get("platform_version"),
        bound.get("load_balancers") or [],
    )
    return original(self, *args, **kwargs)


def _update_service(original: Wrapper, self: Any, service_properties: dict[str, Any]) -> Any:
    """Refuse an update whose revision cannot run on its platform or target groups."""
    cluster = str(service_properties.get("cluster", "default"))
    name = str(service_properties.get("service", "")).rsplit("/", 1)[-1]
    current = self._get_service(cluster, name)
    definition = _definition(
        self, service_properties.get("task_definition") or current.task_definition
    )
    _check_deployment(
        self,
        definition,
        current.launch_type or "EC2",
        service_properties.get("platform_version") or current.platform_version,
        service_properties.get("load_balancers") or current.load_balancers or [],
    )
    return original(self, service_properties)


def _definition(backend: Any, ref: str | None) -> Any:
    """The task definition a call names, or None (moto then answers as it would)."""
    if not ref:
        return None
    try:
        return backend.describe_task_definition(ref)
    except TaskDefinitionNotFoundException:
        return None


def _check_deployment(
    backend: Any,
    definition: Any,
    launch_type: str,
    platform: str | None,
    load_balancers: list[dict[str, Any]],
) -> None:
    """Refuse a platform version or target group the revision cannot run with, as AWS does."""
    if definition is None:
        return
    if launch_type == "FARGATE":
        storage = (definition.ephemeral_storage or {}).get("sizeInGiB") or 20
        efs = any(v.get("efsVolumeConfiguration") for v in definition.volumes or [])
        _raise(platform_rejection(platform, int(storage), efs))
    groups = moto_backend("elbv2", Scope(backend.account_id, backend.region_name)).target_groups
    for entry in load_balancers:
        group = groups.get(str(entry.get("targetGroupArn", "")))
        if group is not None:
            mode = str(definition.network_mode or "bridge")
            _raise(target_type_rejection(group.arn, str(group.target_type), mode))

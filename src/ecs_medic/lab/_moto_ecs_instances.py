"""moto internals for EC2 container instances and EC2 tasks (re-check on a moto upgrade).

Gaps of moto 5.2.5 patched here (docs/lab.md lists them):
- RegisterContainerInstance ignores `totalResources` and `attributes`: every instance gets
  4096 CPU units and 7482 MiB whatever its type. The lab's agent registers what the instance
  type offers, and its custom attributes.
- remainingResources, runningTasksCount and pendingTasksCount never change: the lab reserves
  CPU, memory and host ports when it places a task and gives them back when the task stops.
- DeregisterContainerInstance leaves the cluster's registeredContainerInstancesCount as it was.
- CreateService drops `placementConstraints`, `placementStrategy` and `capacityProviderStrategy`
  (describe_services never shows them) and sets launchType EC2 next to a strategy; UpdateService
  already stores what it is given.
- Container instances never carry `capacityProviderName`, and no capacity provider's managed
  scaling ever changes its Auto Scaling group: the lab's agent names the provider of the
  instance's group, and the lab sizes the group when managed scaling is ENABLED.
Nothing here decides a failure: the lab's agent (lab/ec2_fleet.py) and the placement stage
(lab/stages_placement_ec2.py) call these reads and writes.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from moto.core.types import Base64EncodedString
from moto.ecs.models import EC2ContainerServiceBackend
from moto.ecs.responses import EC2ContainerServiceResponse

from ecs_medic.lab._moto import launch_task, new_task
from ecs_medic.lab._moto_core import Scope, Wrapper, moto_backend, once, wrap
from ecs_medic.lab.live import LiveInstance, LiveService


@dataclass(frozen=True, slots=True)
class Host:
    """An EC2 instance that could run the ECS agent."""

    instance_id: str
    state: str  # pending, running, stopping, stopped, shutting-down, terminated
    user_data: str
    instance_type: str
    subnet: str
    zone: str
    private_ip: str
    security_groups: tuple[str, ...]
    group: str  # the Auto Scaling group that launched it, "" for none


@dataclass(frozen=True, slots=True)
class Provider:
    """An EC2 capacity provider of a cluster and the size of its Auto Scaling group."""

    name: str
    group: str
    managed_scaling: bool
    desired: int
    maximum: int


@dataclass(frozen=True, slots=True)
class ShellCommand:
    """A Run Command invocation (SSM SendCommand) and the shell lines it runs."""

    command_id: str
    instance_ids: tuple[str, ...]
    lines: tuple[str, ...]


@once
def install() -> None:
    """Install the container-instance patches once per process (inert outside the lab)."""
    wrap(EC2ContainerServiceResponse, "register_container_instance", _register)
    wrap(EC2ContainerServiceBackend, "deregister_container_instance", _deregister)
    wrap(EC2ContainerServiceResponse, "create_service", _create_service)


def _register(original: Wrapper, self: Any) -> Any:
    """Keep the registered totalResources and attributes, which moto ignores."""
    result = original(self)
    instance = result.result["containerInstance"]
    total = {r["name"]: r for r in self._get_param("totalResources") or []}
    cpu, memory = total.get("CPU"), total.get("MEMORY")
    if cpu and memory:
        set_resources(instance, int(cpu["integerValue"]), int(memory["integerValue"]))
    for attribute in self._get_param("attributes") or []:
        instance.attributes[str(attribute["name"])] = attribute.get("value")
    return result


def _deregister(
    original: Wrapper, self: Any, cluster_str: str, container_instance_str: str, force: bool
) -> Any:
    """Count the instance out of its cluster and mark it INACTIVE, as AWS does."""
    instance = original(self, cluster_str, container_instance_str, force)
    cluster = self._get_cluster(cluster_str)
    cluster.registered_container_instances_count = max(
        0, cluster.registered_container_instances_count - 1
    )
    instance.status, instance.agent_connected = "INACTIVE", False
    return instance


def _create_service(original: Wrapper, self: Any) -> Any:
    """Keep the placement settings and the capacity provider strategy moto drops."""
    result = original(self)
    service = self.ecs_backend._get_service(
        self._get_param("cluster", "default"), self._get_param("serviceName")
    )
    service.placement_constraints = self._get_param("placementConstraints") or []
    service.placement_strategy = self._get_param("placementStrategy") or []
    strategy = self._get_param("capacityProviderStrategy")
    if strategy:  # moto also sets launchType EC2, which AWS leaves out with a strategy
        service.capacity_provider_strategy = strategy
        service.launch_type = self._get_param("launchType")
    return result


# --- backends -------------------------------------------------------------------------------


def _instances(scope: Scope, cluster: str) -> dict[str, Any]:
    return dict(moto_backend("ecs", scope).container_instances.get(cluster, {}))


# --- reads ----------------------------------------------------------------------------------


def hosts(scope: Scope) -> list[Host]:
    """Every EC2 instance of the lab's region, with its user data decoded."""
    found = []
    for instance in moto_backend("ec2", scope).all_instances():
        found.append(
            Host(
                instance_id=str(instance.id),
                state=str(instance.state),
                user_data=_decode(instance.user_data),
                instance_type=str(instance.instance_type),
                subnet=str(instance.subnet_id or ""),
                zone=str(instance.availability_zone or ""),
                private_ip=str(instance.private_ip or ""),
                security_groups=_groups(instance),
                group=str(getattr(getattr(instance, "autoscaling_group", None), "name", "")),
            )
        )
    return found


def _groups(instance: Any) -> tuple[str, ...]:
    """The instance's security groups (its primary network interface's when moto has no list)."""
    groups = [str(g.id) for g in instance.security_groups or ()]
    if not groups:
        for nic in (getattr(instance, "nics", None) or {}).values():
            groups += [str(g.id) for g in getattr(nic, "group_set", ()) or ()]
    return tuple(dict.fromkeys(groups))


def _decode(user_data: Any) -> str:
    """User data as moto keeps it: Base64EncodedString (or a list of them, or plain strings)."""
    parts = user_data if isinstance(user_data, list) else [user_data]
    text = []
    for part in parts:
        if isinstance(part, Base64EncodedString):
            text.append(part.decode())
        elif isinstance(part, str | bytes) and part:
            raw = part.encode() if isinstance(part, str) else part
            try:
                text.append(base64.b64decode(raw, validate=True).decode("utf-8", "replace"))
            except ValueError:
                text.append(raw.decode("utf-8", "replace"))
    return "\n".join(text)


def read_instances(scope: Scope, cluster: str) -> list[LiveInstance]:
    """The cluster's registered container instances, oldest first."""
    ec2 = {h.instance_id: h for h in hosts(scope)}
    found = []
    for instance in sorted(_instances(scope, cluster).values(), key=lambda i: i.registered_at):
        host = ec2.get(instance.ec2_instance_id)
        remaining = {r["name"]: r for r in instance.remaining_resources}
        ports = remaining.get("PORTS", {}).get("stringSetValue") or []
        found.append(
            LiveInstance(
                arn=str(instance.container_instance_arn),
                ec2_instance_id=str(instance.ec2_instance_id),
                status=str(instance.status),
                agent_connected=bool(instance.agent_connected),
                remaining_cpu=int(remaining["CPU"]["integerValue"]),
                remaining_memory=int(remaining["MEMORY"]["integerValue"]),
                used_ports=frozenset(int(p) for p in ports),
                attributes=tuple(sorted(instance.attributes.items())),
                zone=host.zone if host else "",
                subnet=host.subnet if host else "",
                private_ip=host.private_ip if host else "",
                security_groups=host.security_groups if host else (),
                group=host.group if host else "",
            )
        )
    return found


def registered_hosts(scope: Scope, cluster: str) -> dict[str, str]:
    """EC2 instance id -> container instance ARN, for the cluster's registered instances."""
    return {
        str(i.ec2_instance_id): str(i.container_instance_arn)
        for i in _instances(scope, cluster).values()
    }


def shell_commands(scope: Scope) -> list[ShellCommand]:
    """Every SSM Run Command sent in the lab's region, oldest first."""
    found = []
    for command in moto_backend("ssm", scope)._commands:
        lines = (command.parameters or {}).get("commands") or []
        found.append(
            ShellCommand(
                str(command.command_id),
                tuple(str(i) for i in command.instance_ids or ()),
                tuple(str(line) for line in lines),
            )
        )
    return found


# --- writes ---------------------------------------------------------------------------------


def register(
    scope: Scope, cluster: str, host: Host, resources: tuple[int, int], agent_version: str
) -> str:
    """Register an instance as the ECS agent does at start; return the container instance ARN."""
    instance = moto_backend("ecs", scope).register_container_instance(cluster, host.instance_id)
    set_resources(instance, *resources)
    provider = next((p for p in providers(scope, cluster) if p.group == host.group), None)
    if provider is not None:
        instance.capacity_provider_name = provider.name
    instance.version_info = {
        "agentVersion": agent_version,
        "agentHash": "f2b0f9a1",
        "dockerVersion": "DockerVersion: 25.0.8",
    }
    return str(instance.container_instance_arn)


def set_resources(instance: Any, cpu: int, memory: int) -> None:
    """Registered and remaining CPU and memory of a freshly registered instance."""
    for resources in (instance.registered_resources, instance.remaining_resources):
        for entry in resources:
            if entry["name"] == "CPU":
                entry["integerValue"] = cpu
            elif entry["name"] == "MEMORY":
                entry["integerValue"] = memory


def deregister(scope: Scope, cluster: str, arn: str) -> None:
    """The instance is gone (terminated): ECS deregisters it."""
    moto_backend("ecs", scope).deregister_container_instance(cluster, arn, True)


def set_agent(scope: Scope, cluster: str, arn: str, connected: bool) -> None:
    """Whether the instance's ECS agent is connected (agentConnected)."""
    instance = _instances(scope, cluster).get(arn.rsplit("/", 1)[-1])
    if instance is not None:
        instance.agent_connected = connected


def reserve(
    scope: Scope, cluster: str, arn: str, need: tuple[int, int, Iterable[int]], sign: int = 1
) -> None:
    """Take (sign 1) or give back (sign -1) a task's CPU, memory and host ports on an instance."""
    instance = _instances(scope, cluster).get(arn.rsplit("/", 1)[-1])
    if instance is None:
        return
    cpu, memory, ports = need
    for entry in instance.remaining_resources:
        if entry["name"] == "CPU":
            entry["integerValue"] -= sign * cpu
        elif entry["name"] == "MEMORY":
            entry["integerValue"] -= sign * memory
        elif entry["name"] == "PORTS":
            held = set(entry.get("stringSetValue") or [])
            changed = {str(p) for p in ports}
            entry["stringSetValue"] = sorted(held | changed if sign > 0 else held - changed)
    instance.running_tasks_count = max(0, instance.running_tasks_count + sign)


def launch_on_instance(  # noqa: PLR0917 - the arguments of _moto.launch_task and where
    scope: Scope,
    service: LiveService,
    task_definition_arn: str,
    started_by: str,
    instance_arn: str,
    subnet: str | None,
) -> Any:
    """Create an EC2-launch-type task on a container instance (awsvpc when `subnet` is given)."""
    if subnet is not None:
        task = launch_task(scope, service, task_definition_arn, started_by, subnet)
    else:
        task = new_task(
            scope,
            service,
            task_definition_arn,
            started_by,
            launch_type="EC2",
            container_instance_arn=instance_arn,
        )
    task.launch_type = "EC2"
    task.platform_version = None
    task.container_instance_arn = instance_arn
    return task


def task_needs(scope: Scope, task_definition_arn: str) -> tuple[int, int, frozenset[int]]:
    """CPU units, MiB and static host ports a task of this revision reserves on an instance.

    Task-level cpu and memory when set, else the sum over its containers (memory, else
    memoryReservation); host ports are the non-zero hostPorts (containerPort in host mode).
    """
    definition = moto_backend("ecs", scope).describe_task_definition(task_definition_arn)
    containers = definition.container_definitions
    cpu = _number(definition.cpu) or sum(_number(c.get("cpu")) for c in containers)
    memory = _number(definition.memory) or sum(
        _number(c.get("memory")) or _number(c.get("memoryReservation")) for c in containers
    )
    host_mode = definition.network_mode == "host"
    ports = set()
    if definition.network_mode in ("bridge", "host", None):
        for container in containers:
            for mapping in container.get("portMappings") or []:
                port = _number(mapping.get("hostPort"))
                if host_mode and not port:
                    port = _number(mapping.get("containerPort"))
                if port:
                    ports.add(port)
    return cpu, memory, frozenset(ports)


def port_mappings(scope: Scope, task_definition_arn: str) -> tuple[tuple[str, int, int], ...]:
    """(container, containerPort, hostPort) of a bridge- or host-mode revision (0: dynamic)."""
    definition = moto_backend("ecs", scope).describe_task_definition(task_definition_arn)
    if definition.network_mode not in ("bridge", "host", None):
        return ()
    host_mode = definition.network_mode == "host"
    found = []
    for container in definition.container_definitions:
        for mapping in container.get("portMappings") or []:
            port = _number(mapping.get("containerPort"))
            host = _number(mapping.get("hostPort")) or (port if host_mode else 0)
            found.append((str(container.get("name", "")), port, host))
    return tuple(found)


def _number(value: Any) -> int:
    return int(value) if value not in (None, "") else 0


def placement_constraints(scope: Scope, cluster: str, service: str) -> list[dict[str, str]]:
    """The service's placementConstraints as CreateService or UpdateService last set them."""
    found = moto_backend("ecs", scope).services.get(f"{cluster}:{service}")
    return list(getattr(found, "placement_constraints", None) or [])


def providers(scope: Scope, cluster: str) -> list[Provider]:
    """The cluster's capacity providers backed by an Auto Scaling group."""
    backend = moto_backend("ecs", scope)
    found = backend.clusters.get(cluster)
    groups = moto_backend("autoscaling", scope).autoscaling_groups
    result = []
    for name in getattr(found, "capacity_providers", None) or []:
        provider = backend.capacity_providers.get(name)
        details = getattr(provider, "auto_scaling_group_provider", None) or {}
        group_name = str(details.get("autoScalingGroupArn", "")).rsplit("/", 1)[-1]
        group = groups.get(group_name)
        if group is None:
            continue
        status = (details.get("managedScaling") or {}).get("status")
        result.append(
            Provider(
                str(name),
                group_name,
                status == "ENABLED",
                int(group.desired_capacity or 0),
                int(group.max_size or 0),
            )
        )
    return result


def set_group_desired(scope: Scope, group: str, desired: int) -> None:
    """Managed scaling: ECS sets the desired capacity of the provider's Auto Scaling group."""
    moto_backend("autoscaling", scope).set_desired_capacity(group, desired)

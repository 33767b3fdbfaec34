"""Resources and placement (catalogue section 5): where tasks cannot be placed, and why.

Most of these show only in service events ("was unable to place a task ..."); the capacity
view (container instances, capacity providers) adds the numbers that prove them.
"""

from __future__ import annotations

import json
import re

from ecs_medic.aws.snapshot import ServiceSnapshot, TaskDefinition
from ecs_medic.aws.snapshot_capacity import CapacityProvider, ContainerInstance
from ecs_medic.findings import Evidence, Finding

from .signals import (
    DESCRIBE_TASK_DEFINITION,
    find_signal,
    is_fargate,
    short_of_capacity,
    signal_finding,
)

CPU_MEM = ("insufficient cpu", "insufficient memory", "resource:cpu", "resource:memory")
NO_INSTANCES = ("no container instances were found",)
IN_PROVIDER = ("in your capacity provider",)
AGENT = ('encountered error "agent"', "timed out waiting for amazon ecs agent")
PORTS = ("already using a port required by your task", "resource:ports")
CONSTRAINT = ("missing required attribute", "placement constraint", "reason: attribute")
FARGATE_CAPACITY = ("capacity is unavailable at this time", "resource:fargate")
TASK_SIZE = ("invalid 'cpu' setting", "no fargate configuration exists", "invalid cpu or memory")
PLATFORM = (
    "platformtaskdefinitionincompatibilityexception",
    "does not satisfy the task definition's required capabilities",
    "platformunknownexception",
    "specified platform version does not exist",
    "not compatible with the selected compute strategy",
)
INSTANCES = "ecs:DescribeContainerInstances"
PROVIDERS = "ecs:DescribeCapacityProviders"
# Fargate: task CPU units -> valid task memory (MiB).
FARGATE_SIZES: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4097, 1024)),
    1024: tuple(range(2048, 8193, 1024)),
    2048: tuple(range(4096, 16385, 1024)),
    4096: tuple(range(8192, 30721, 1024)),
    8192: tuple(range(16384, 61441, 4096)),
    16384: tuple(range(32768, 122881, 8192)),
}
# A task's cpu and memory are strings in a request; a container's are numbers.
_QUOTED = {k: re.compile(rf'"{k}": "([^"]*)"') for k in ("cpu", "memory")}
UNITS = re.compile(r"^\s*([\d.]+)\s*(vcpu|gb)?\s*$", re.IGNORECASE)


def parse_size(text: str | None, unit_scale: int) -> int | None:
    """'1024', '1 vCPU' or '2 GB' as CPU units or MiB (unit_scale 1024 for the word forms)."""
    match = UNITS.match(text or "")
    if not match:
        return None
    value = float(match.group(1))
    return int(value * unit_scale) if match.group(2) else int(value)


def task_needs(definition: TaskDefinition) -> tuple[int | None, int | None]:
    """CPU units and MiB a task reserves: task level, else the sum over containers."""
    cpu = parse_size(definition.cpu, 1024)
    memory = parse_size(definition.memory, 1024)
    if cpu is None:
        cpu = sum(c.cpu or 0 for c in definition.containers) or None
    if memory is None:
        memory = sum(c.memory or c.memory_reservation or 0 for c in definition.containers) or None
    return cpu, memory


def _instance_text(i: ContainerInstance) -> str:
    """'i-1 (m5.large, ACTIVE, agent connected): 512 CPU / 1024 MiB free'."""
    agent = "agent connected" if i.agent_connected else "agent DISCONNECTED"
    return (
        f"{i.ec2_instance_id or i.arn} ({i.instance_type or '?'}, {i.status}, {agent}): "
        f"{i.remaining_cpu} CPU / {i.remaining_memory} MiB free of "
        f"{i.registered_cpu} / {i.registered_memory}"
    )


def _instance_evidence(snapshot: ServiceSnapshot) -> list[Evidence]:
    """One line per container instance."""
    return [
        Evidence(INSTANCES, i.arn, _instance_text(i)) for i in snapshot.capacity.container_instances
    ]


def insufficient_cpu_memory(snapshot: ServiceSnapshot) -> list[Finding]:
    """INSUFFICIENT_CPU_MEMORY_ON_CLUSTER: no instance has the CPU or memory a task reserves."""
    signal = find_signal(snapshot, CPU_MEM)
    definition = snapshot.current_task_definition
    cpu, memory = task_needs(definition) if definition else (None, None)
    active = [i for i in snapshot.capacity.container_instances if i.status == "ACTIVE"]
    none_fit = bool(active) and not any(_fits(i, cpu, memory) for i in active)
    if not signal and not (none_fit and short_of_capacity(snapshot) and not is_fargate(snapshot)):
        return []
    return [
        signal_finding(
            snapshot,
            "INSUFFICIENT_CPU_MEMORY_ON_CLUSTER",
            signal,
            summary=(
                f"A task reserves {cpu or '?'} CPU units and {memory or '?'} MiB, and none of "
                f"{len(active)} ACTIVE container instances has that much free"
            ),
            facts=[
                *(
                    [
                        Evidence(
                            DESCRIBE_TASK_DEFINITION, definition.arn, f"cpu {cpu}, memory {memory}"
                        )
                    ]
                    if definition
                    else []
                ),
                *_instance_evidence(snapshot),
            ],
            remediation=(
                "Scale out the Auto Scaling group or capacity provider, use larger instance "
                f"types, or right-size the task below {cpu or '?'} CPU / {memory or '?'} MiB."
            ),
        )
    ]


def _fits(instance: ContainerInstance, cpu: int | None, memory: int | None) -> bool:
    """Tell whether the instance has room for the task (unknown numbers count as room)."""
    cpu_ok = cpu is None or instance.remaining_cpu is None or instance.remaining_cpu >= cpu
    mem_ok = (
        memory is None or instance.remaining_memory is None or instance.remaining_memory >= memory
    )
    return cpu_ok and mem_ok


def no_container_instances(snapshot: ServiceSnapshot) -> list[Finding]:
    """NO_CONTAINER_INSTANCES: an EC2 service whose cluster has no registered instance."""
    signal = find_signal(snapshot, NO_INSTANCES)
    if signal and _broken_providers(snapshot):
        return []  # CAPACITY_PROVIDER_MISCONFIG explains it
    cluster = snapshot.capacity.cluster
    empty = cluster is not None and cluster.registered_container_instances == 0
    if not signal and not (empty and short_of_capacity(snapshot) and not is_fargate(snapshot)):
        return []
    count = cluster.registered_container_instances if cluster else "?"
    return [
        signal_finding(
            snapshot,
            "NO_CONTAINER_INSTANCES",
            signal,
            summary=f"Cluster {snapshot.cluster_name} has {count} registered container instances",
            facts=[
                Evidence(
                    "ecs:DescribeClusters",
                    snapshot.cluster_arn,
                    f"registeredContainerInstancesCount {count}",
                )
            ],
            remediation=(
                f"Scale the Auto Scaling group of {snapshot.cluster_name} above 0, and check the "
                f"instances' user data (ECS_CLUSTER={snapshot.cluster_name}), instance profile and "
                "egress (AWSSupport-TroubleshootECSContainerInstance)."
            ),
        )
    ]


def capacity_provider_misconfig(snapshot: ServiceSnapshot) -> list[Finding]:
    """CAPACITY_PROVIDER_MISCONFIG: the capacity provider's ASG cannot supply instances."""
    signal = find_signal(snapshot, (*IN_PROVIDER, *NO_INSTANCES))
    broken = _broken_providers(snapshot)
    if not broken or not (signal or short_of_capacity(snapshot)):
        return []
    return [
        signal_finding(
            snapshot,
            "CAPACITY_PROVIDER_MISCONFIG",
            signal,
            summary="Capacity provider " + "; ".join(f"{p.name}: {why}" for p, why in broken),
            facts=[Evidence(PROVIDERS, p.asg_arn or p.name, _provider_text(p)) for p, _ in broken],
            remediation=(
                "For " + ", ".join(p.name for p, _ in broken) + ": enable managed scaling, raise "
                "the Auto Scaling group MaxSize (or desired capacity), or fix the service's "
                "capacityProviderStrategy or the cluster default."
            ),
        )
    ]


def _service_providers(snapshot: ServiceSnapshot) -> list[CapacityProvider]:
    """The capacity providers the service uses (its strategy, else the cluster default)."""
    cluster = snapshot.capacity.cluster
    names = snapshot.service.capacity_provider_strategy or (
        cluster.default_strategy if cluster else ()
    )
    return [p for p in snapshot.capacity.capacity_providers if p.name in names and p.asg_arn]


def _broken_providers(snapshot: ServiceSnapshot) -> list[tuple[CapacityProvider, str]]:
    """ASG-backed providers that cannot grow, with the reason."""
    broken = []
    for p in _service_providers(snapshot):
        if p.asg_max is not None and p.asg_max == 0:
            broken.append((p, "Auto Scaling group MaxSize is 0"))
        elif p.managed_scaling == "DISABLED" and (p.asg_desired or 0) == 0:
            broken.append((p, "managed scaling is DISABLED and the group has 0 instances"))
        elif p.asg_desired is not None and p.asg_max is not None and p.asg_desired >= p.asg_max:
            broken.append((p, f"Auto Scaling group is at MaxSize {p.asg_max}"))
    return broken


def _provider_text(p: CapacityProvider) -> str:
    """The provider's scaling settings and its group's sizes."""
    return (
        f"{p.name}: managedScaling {p.managed_scaling}, targetCapacity {p.target_capacity}; "
        f"ASG desired {p.asg_desired}, min {p.asg_min}, max {p.asg_max}"
    )


def agent_disconnected(snapshot: ServiceSnapshot) -> list[Finding]:
    """AGENT_DISCONNECTED: the ECS agent on container instances is not connected."""
    signal = find_signal(snapshot, AGENT)
    down = [
        i
        for i in snapshot.capacity.container_instances
        if not i.agent_connected and i.status == "ACTIVE"
    ]
    if not signal and not down:
        return []
    ids = ", ".join(i.ec2_instance_id or i.arn for i in down) or "the chosen instance"
    return [
        signal_finding(
            snapshot,
            "AGENT_DISCONNECTED",
            signal,
            summary=f"The ECS agent is disconnected on {len(down)} container instance(s): {ids}",
            facts=[Evidence(INSTANCES, i.arn, _instance_text(i)) for i in down],
            remediation=(
                f"Restart the agent on {ids} through SSM (sudo systemctl restart ecs) or drain "
                "and replace the instance; check /var/log/ecs/ecs-agent.log."
            ),
        )
    ]


def host_port_conflict(snapshot: ServiceSnapshot) -> list[Finding]:
    """HOST_PORT_CONFLICT: static host ports leave room for one task per instance."""
    signal = find_signal(snapshot, PORTS)
    definition = snapshot.current_task_definition
    static = _static_ports(definition)
    instances = len([i for i in snapshot.capacity.container_instances if i.status == "ACTIVE"])
    crowded = bool(static) and instances > 0 and snapshot.service.desired_count > instances
    if not signal and not (crowded and short_of_capacity(snapshot)):
        return []
    ports = ", ".join(map(str, static)) or "static host ports"
    facts = (
        [Evidence(DESCRIBE_TASK_DEFINITION, definition.arn, f"hostPort {ports}")]
        if definition and static
        else []
    )
    return [
        signal_finding(
            snapshot,
            "HOST_PORT_CONFLICT",
            signal,
            summary=(
                f"The task binds host port {ports}, so {instances} instances fit at most "
                f"{instances} tasks of {snapshot.service.desired_count} desired"
            ),
            facts=facts,
            remediation=(
                f"Set hostPort 0 (dynamic ports) for {ports} in a new revision or use awsvpc "
                "network mode, or add container instances."
            ),
        )
    ]


def _static_ports(definition: TaskDefinition | None) -> list[int]:
    """Non-zero host ports of a bridge- or host-mode task definition."""
    if definition is None or definition.network_mode not in ("bridge", "host", None):
        return []
    ports = [m.host_port for c in definition.containers for m in c.port_mappings if m.host_port]
    if definition.network_mode == "host":
        ports += [
            m.container_port
            for c in definition.containers
            for m in c.port_mappings
            if not m.host_port
        ]
    return sorted(set(ports))


def placement_constraint_unsatisfiable(snapshot: ServiceSnapshot) -> list[Finding]:
    """PLACEMENT_CONSTRAINT_UNSATISFIABLE: no instance satisfies a constraint or attribute."""
    signal = find_signal(snapshot, CONSTRAINT)
    if not signal:
        return []
    return [
        signal_finding(
            snapshot,
            "PLACEMENT_CONSTRAINT_UNSATISFIABLE",
            signal,
            summary=(
                "No container instance meets the service's placement constraints or required "
                "attributes"
            ),
            facts=_instance_evidence(snapshot),
            remediation=(
                "Relax the service's placementConstraints, add an instance with the required "
                "attribute (e.g. the logging driver in ECS_AVAILABLE_LOGGING_DRIVERS), or put "
                "instances in the subnets and AZs the service uses."
            ),
            confidence=0.85,
        )
    ]


def fargate_capacity_unavailable(snapshot: ServiceSnapshot) -> list[Finding]:
    """FARGATE_CAPACITY_UNAVAILABLE: Fargate (Spot) has no capacity in the chosen AZs."""
    signal = find_signal(snapshot, FARGATE_CAPACITY)
    if not signal:
        return []
    subnets = [
        s
        for i in (snapshot.service.network.subnets if snapshot.service.network else ())
        if (s := snapshot.network.subnet(i))
    ]
    zones = sorted({s.availability_zone for s in subnets})
    strategy = (
        ", ".join(snapshot.service.capacity_provider_strategy)
        or snapshot.service.launch_type
        or "?"
    )
    return [
        signal_finding(
            snapshot,
            "FARGATE_CAPACITY_UNAVAILABLE",
            signal,
            summary=(
                f"Fargate has no capacity for the service ({strategy}) in "
                f"{', '.join(zones) or 'its AZs'}"
            ),
            remediation=(
                "Add subnets in more Availability Zones to the service, or add a FARGATE "
                "(on-demand) base/weight next to FARGATE_SPOT; otherwise wait and retry."
            ),
            confidence=0.9,
        )
    ]


def invalid_task_size(snapshot: ServiceSnapshot) -> list[Finding]:
    """INVALID_TASK_SIZE: the task's CPU and memory are not a Fargate combination."""
    signal = find_signal(snapshot, TASK_SIZE)
    definition = snapshot.current_task_definition
    bad = (
        definition is not None
        and "FARGATE" in definition.requires_compatibilities
        and not _valid_size(definition)
    )
    if not signal and not bad:
        return []
    cpu, memory = task_needs(definition) if definition else (None, None)
    refused = not bad and bool(signal.calls)  # CI's revision was refused; the old one runs
    if refused:
        cpu, memory = _requested_size(signal.calls[0].request)
    valid = FARGATE_SIZES.get(cpu or 0, ())
    choices = (
        f"{valid[0]}-{valid[-1]} MiB" if valid else f"one of {sorted(FARGATE_SIZES)} CPU units"
    )
    return [
        signal_finding(
            snapshot,
            "INVALID_TASK_SIZE",
            signal,
            summary=f"Fargate has no size with {cpu} CPU units and {memory} MiB"
            + (
                "; AWS refused the revision, the service still runs the previous one"
                if refused
                else ""
            ),
            facts=[
                Evidence(
                    DESCRIBE_TASK_DEFINITION,
                    definition.arn,
                    f"cpu {definition.cpu}, memory {definition.memory}",
                )
            ]
            if definition and not refused
            else [],
            remediation=(
                f"Register a revision with a valid Fargate pair: for {cpu} CPU units use {choices}."
            ),
            confidence=0.95,
        )
    ]


def _requested_size(request: str) -> tuple[int | None, int | None]:
    """CPU units and MiB a RegisterTaskDefinition request asked for (requestParameters JSON)."""
    try:
        fields = json.loads(request)
    except ValueError:  # cut at 2000 characters: the task's sizes are the first quoted ones
        fields = {k: m.group(1) for k in ("cpu", "memory") if (m := _QUOTED[k].search(request))}
    if not isinstance(fields, dict):
        return None, None
    return parse_size(str(fields.get("cpu") or ""), 1024), parse_size(
        str(fields.get("memory") or ""), 1024
    )


def _valid_size(definition: TaskDefinition) -> bool:
    """Tell whether task cpu and memory form a Fargate size (unknown values pass)."""
    cpu = parse_size(definition.cpu, 1024)
    memory = parse_size(definition.memory, 1024)
    if cpu is None or memory is None:
        return True
    return memory in FARGATE_SIZES.get(cpu, ())


def platform_version(snapshot: ServiceSnapshot) -> list[Finding]:
    """PLATFORM_VERSION: the platform version or launch type does not fit the task definition."""
    signal = find_signal(snapshot, PLATFORM)
    definition = snapshot.current_task_definition
    service = snapshot.service
    clash = (
        definition is not None
        and service.launch_type is not None
        and bool(definition.requires_compatibilities)
        and service.launch_type not in definition.requires_compatibilities
    )
    if not signal and not clash:
        return []
    facts = [
        Evidence(
            "ecs:DescribeServices",
            service.arn,
            f"launchType {service.launch_type}, platformVersion {service.platform_version}",
        )
    ]
    if definition:
        facts.append(
            Evidence(
                DESCRIBE_TASK_DEFINITION,
                definition.arn,
                "requiresCompatibilities "
                f"{', '.join(definition.requires_compatibilities) or 'none'}",
            )
        )
    return [
        signal_finding(
            snapshot,
            "PLATFORM_VERSION",
            signal,
            summary=(
                f"The service runs {service.launch_type or 'its capacity'} platform "
                f"{service.platform_version or 'LATEST'}, which the task definition does not "
                "support"
            ),
            facts=facts,
            remediation=(
                "Set platformVersion LATEST (or 1.4.0) on the service, or register a task "
                "definition whose requiresCompatibilities include "
                f"{service.launch_type or 'the launch type'}."
            ),
            confidence=0.9,
        )
    ]

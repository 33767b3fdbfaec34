"""Stage 1 of a task's path on the EC2 launch type (LAB.md): which container instance takes it.

ECS places a task before it exists: when no ACTIVE container instance meets all of the task's
requirements, no task is created and the service shows an event naming the closest matching
instance and what it lacks (catalogue section 5). The requirements, checked per instance in
this order: the service's placement constraints and, for awsvpc, an instance in the zone of
one of the service's subnets; the task's CPU units; its memory; its static host ports; a
connected ECS agent. The closest match is the instance that passes the most of them. Every
number is read live from the container instances, so a new instance, a restarted agent, a
relaxed constraint or a dynamic host port takes effect on the next placement.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ecs_medic.lab import _moto_ecs_instances as instances
from ecs_medic.lab._moto import subnet_zone
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab.live import LiveInstance, LiveService

UNABLE = (
    "(service {service}) was unable to place a task because no container instance met all of "
    "its requirements."
)
NO_INSTANCES = f"{UNABLE} Reason: No container instances were found in your cluster."
MISSING_ATTRIBUTE = f"{UNABLE} Reason: Container instance missing required attribute."
NO_INSTANCES_IN_PROVIDER = (
    "(service {service}) was unable to reach steady state. Reason: No Container Instances were "
    "found in your capacity provider."
)
PORT_IN_USE = (
    f"{UNABLE} The closest matching container-instance is already using a port required by "
    "your task."
)


def insufficient(instance_id: str, resource: str) -> str:
    """The event when the closest instance lacks CPU units or memory."""
    return (
        f"{UNABLE} The closest matching container-instance {instance_id} has insufficient "
        f"{resource} available."
    )


def agent_error(instance_id: str) -> str:
    """The event when the closest instance's ECS agent is disconnected."""
    return (
        f'{UNABLE} The closest matching container-instance {instance_id} encountered error "AGENT".'
    )


@dataclass(frozen=True, slots=True)
class Need:
    """What one task of the service asks of a container instance."""

    cpu: int
    memory: int
    ports: frozenset[int]
    zones: Mapping[str, str] | None  # awsvpc: zone -> a service subnet in it; None: bridge/host
    constraints: tuple[dict[str, str], ...]
    mappings: tuple[tuple[str, int, int], ...] = ()  # bridge/host: container, port, host port

    @property
    def reservation(self) -> tuple[int, int, frozenset[int]]:
        """What the instance gives the task while it runs."""
        return self.cpu, self.memory, self.ports


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a task runs: its container instance and, for awsvpc, its ENI's subnet."""

    instance: LiveInstance
    subnet: str | None
    reservation: tuple[int, int, frozenset[int]]
    bindings: tuple[tuple[str, int, int], ...] = ()  # container, port, host port (bridge/host)

    def network_bindings(self, container: str) -> list[dict[str, object]]:
        """The container's networkBindings as describe_tasks shows them (bridge/host mode)."""
        return [
            {"bindIP": "0.0.0.0", "containerPort": port, "hostPort": host, "protocol": "tcp"}
            for name, port, host in self.bindings
            if name == container
        ]

    @property
    def network(self) -> tuple[str, str, str]:
        """(subnet, private IP, zone) of a bridge-mode task: its instance's."""
        i = self.instance
        return i.subnet, i.private_ip, i.zone

    def seen_by_task(self, live: LiveService) -> LiveService:
        """The service as the task's network stages see it.

        A bridge-mode task has no ENI: it pulls and calls out through its instance's network
        interface and security groups. (On EC2 the agent pulls through the instance for
        awsvpc tasks too; the lab keeps the task ENI's groups there.)
        """
        if self.subnet is not None:
            return live
        return dataclasses.replace(
            live, security_groups=self.instance.security_groups, assign_public_ip="DISABLED"
        )


def place(
    scope: Scope, live: LiveService, task_definition_arn: str, count: int, load: dict[str, int]
) -> tuple[list[Placement], str | None]:
    """Place up to `count` tasks; the placements made and the event when one could not be.

    `load` counts the service's active tasks per instance ARN (spread, distinctInstance); it is
    updated, and each placement's CPU, memory and ports are reserved on its instance.
    """
    need = _need(scope, live, task_definition_arn)
    placements: list[Placement] = []
    for _ in range(count):
        found = [i for i in instances.read_instances(scope, live.cluster) if i.status == "ACTIVE"]
        if live.capacity_providers:
            found = _in_providers(scope, live, found)
            if not found:
                return placements, NO_INSTANCES_IN_PROVIDER
        choice = choose(found, need, load)
        if isinstance(choice, str):
            return placements, choice
        instances.reserve(scope, live.cluster, choice.arn, need.reservation)
        load[choice.arn] = load.get(choice.arn, 0) + 1
        subnet = None if need.zones is None else need.zones[choice.zone]
        placements.append(Placement(choice, subnet, need.reservation, _bindings(need)))
    return placements, None


def _bindings(need: Need) -> tuple[tuple[str, int, int], ...]:
    """Host ports for the task: the static ones, a free ephemeral port for each dynamic one."""
    return tuple(
        (name, port, host or 32768 + secrets.randbelow(28232)) for name, port, host in need.mappings
    )


def _in_providers(scope: Scope, live: LiveService, found: list[LiveInstance]) -> list[LiveInstance]:
    """With a capacity provider strategy, only the providers' Auto Scaling groups' instances."""
    groups = {
        p.group
        for p in instances.providers(scope, live.cluster)
        if p.name in live.capacity_providers
    }
    return [i for i in found if i.group in groups]


def release(scope: Scope, cluster: str, placement: Placement) -> None:
    """A task stopped: its instance gets its CPU, memory and host ports back."""
    instances.reserve(scope, cluster, placement.instance.arn, placement.reservation, sign=-1)


def choose(found: list[LiveInstance], need: Need, load: Mapping[str, int]) -> LiveInstance | str:
    """The instance that takes the task (spread: fewest of the service's tasks, most room).

    Or the service event ({service} to fill) naming what the closest matching instance lacks.
    """
    if not found:
        return NO_INSTANCES
    checks = _checks(need, load)
    passed = {i.arn: _passed(i, checks) for i in found}
    fits = [i for i in found if passed[i.arn] == len(checks)]
    if fits:
        return min(fits, key=lambda i: (load.get(i.arn, 0), -i.remaining_cpu, -i.remaining_memory))
    closest = max(found, key=lambda i: (passed[i.arn], i.remaining_cpu, i.remaining_memory))
    return _refusal(closest, passed[closest.arn])


Check = Callable[[LiveInstance], bool]


def _checks(need: Need, load: Mapping[str, int]) -> list[Check]:
    return [
        lambda i: satisfies(i, need.constraints, load) and _in_zone(i, need),
        lambda i: i.remaining_cpu >= need.cpu,
        lambda i: i.remaining_memory >= need.memory,
        lambda i: not (need.ports & i.used_ports),
        lambda i: i.agent_connected,
    ]


def _passed(instance: LiveInstance, checks: list[Check]) -> int:
    """How many requirements, in order, the instance meets before the first it does not."""
    for index, check in enumerate(checks):
        if not check(instance):
            return index
    return len(checks)


def _refusal(closest: LiveInstance, failed_at: int) -> str:
    return (
        MISSING_ATTRIBUTE,
        insufficient(closest.id, "CPU units"),
        insufficient(closest.id, "memory"),
        PORT_IN_USE,
        agent_error(closest.id),
    )[failed_at]


def _in_zone(instance: LiveInstance, need: Need) -> bool:
    """With awsvpc on EC2 the task's ENI goes in a service subnet in the instance's zone."""
    return need.zones is None or instance.zone in need.zones


def _need(scope: Scope, live: LiveService, task_definition_arn: str) -> Need:
    cpu, memory, ports = instances.task_needs(scope, task_definition_arn)
    zones = None
    if live.subnets:
        zones = {}
        for subnet in reversed(live.subnets):  # the first subnet of a zone wins
            zones[subnet_zone(scope, subnet)] = subnet
    constraints = instances.placement_constraints(scope, live.cluster, live.name)
    mappings = instances.port_mappings(scope, task_definition_arn)
    return Need(cpu, memory, ports, zones, tuple(constraints), mappings)


# --- the cluster query language (memberOf) ------------------------------------------------

_TERM = re.compile(
    r"^\s*(?P<attr>[\w:.\-]+)\s*(?P<op>==|!=|=~|!~|>=|<=|>|<|\bnot_in\b|\bin\b|\bexists\b|"
    r"\bnot_exists\b)\s*(?P<value>.*?)\s*$"
)


def satisfies(
    instance: LiveInstance, constraints: tuple[dict[str, str], ...], load: Mapping[str, int]
) -> bool:
    """Whether the instance meets every memberOf expression and distinctInstance constraint."""
    for constraint in constraints:
        kind = constraint.get("type")
        if kind == "distinctInstance" and load.get(instance.arn, 0) > 0:
            return False
        if kind == "memberOf" and not member_of(instance, constraint.get("expression", "")):
            return False
    return True


def member_of(instance: LiveInstance, expression: str) -> bool:
    """Evaluate `attribute:<name> <op> <value>` terms joined by `and` / `or` (`and` binds first).

    An expression the lab cannot read is unsatisfiable, so it shows rather than passes.
    """
    return any(
        all(_term(instance, term) for term in re.split(r"\s+and\s+", group))
        for group in re.split(r"\s+or\s+", expression.strip())
    )


def _term(instance: LiveInstance, term: str) -> bool:
    match = _TERM.match(term.strip().strip("()"))
    if match is None:
        return False
    name = match["attr"].removeprefix("attribute:")
    name = {"instanceId": "ecs.ec2-instance-id"}.get(name, name)
    value = _attribute(instance, name)
    op, wanted = match["op"], match["value"].strip().strip("'\"")
    if op in ("exists", "not_exists"):
        return (value is not None or instance.has(name)) == (op == "exists")
    if value is None:
        return op in ("!=", "!~", "not_in")
    options = [v.strip().strip("'\"") for v in wanted.strip("[]").split(",")]
    tests: dict[str, Callable[[], bool]] = {
        "==": lambda: value == wanted,
        "!=": lambda: value != wanted,
        "=~": lambda: fnmatch.fnmatchcase(value, wanted),
        "!~": lambda: not fnmatch.fnmatchcase(value, wanted),
        "in": lambda: value in options,
        "not_in": lambda: value not in options,
    }
    test = tests.get(op)
    return bool(test and test())


def _attribute(instance: LiveInstance, name: str) -> str | None:
    """Built-in attributes of every instance, then the registered ones."""
    builtin = {
        "ecs.availability-zone": instance.zone,
        "ecs.ec2-instance-id": instance.ec2_instance_id,
    }
    return builtin.get(name) or instance.attribute(name)

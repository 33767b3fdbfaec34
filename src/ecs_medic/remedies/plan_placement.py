"""Planners for EC2 placement: static host ports, unmet placement constraints, subnet zones.

An awsvpc task on EC2 needs a service subnet in its instance's zone; a memberOf constraint
needs an instance carrying the attribute; a static host port fits one task per instance. The
plans change the one thing the evidence shows to be in the way.
"""

from __future__ import annotations

import re
from typing import Any

from ecs_medic.aws.snapshot import PortMapping, ServiceSnapshot
from ecs_medic.aws.snapshot_capacity import ContainerInstance
from ecs_medic.aws.snapshot_network import Subnet
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, make_action, revision_action
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.plan import ApiCall, FieldChange
from ecs_medic.remedies.plan_lookup import equivalent, network_update
from ecs_medic.remedies.plan_network import awsvpc

ATTRIBUTES_PER_CALL = 10  # PutAttributes and DeleteAttributes take at most 10
_EQUALS = re.compile(r"^\(?\s*attribute:([\w.\-]+)\s*==\s*['\"]?([\w.\-]+)['\"]?\s*\)?$")
_AND = re.compile(r"\s+and\s+")


# --- static host ports ------------------------------------------------------------------------


def plan_dynamic_host_ports(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Register the bridge-mode task with hostPort 0 (dynamic host ports) and deploy it."""
    td = snapshot.current_task_definition
    if td is None:
        return None
    if td.network_mode == "host":
        return (
            f"HOST_PORT_CONFLICT: {td.family} uses host network mode, where every task binds its "
            "container ports on the instance itself: move it to bridge mode with hostPort 0 or "
            "to awsvpc (a networking change a person should make), or add container instances."
        )
    if td.network_mode not in (None, "bridge"):
        return None
    changes = tuple(
        FieldChange("portMappings", _mappings(c.port_mappings), _mappings(c.port_mappings, 0),
                    c.name)
        for c in td.containers
        if any(m.host_port for m in c.port_mappings)
    )  # fmt: skip
    ports = sorted({m.host_port for c in td.containers for m in c.port_mappings if m.host_port})
    return revision_action(
        finding, snapshot, changes,
        title=f"Register {td.family} with dynamic host ports (hostPort 0 instead of "
        f"{', '.join(map(str, ports))}) and deploy it",
        expected_effect="each task gets a free ephemeral host port, so an instance holds more "
        "than one task and every task is placed",
        risk=_host_port_risk(snapshot, ports),
    )  # fmt: skip


def _mappings(mappings: tuple[PortMapping, ...], host_port: int | None = None) -> list[Any]:
    """The mappings as RegisterTaskDefinition takes them; `host_port` replaces static ones."""
    result: list[Any] = []
    for m in mappings:
        entry: dict[str, Any] = {"containerPort": m.container_port, "protocol": m.protocol}
        port = host_port if host_port is not None and m.host_port else m.host_port
        if port is not None:
            entry["hostPort"] = port
        entry.update({k: v for k, v in (("name", m.name), ("appProtocol", m.app_protocol)) if v})
        result.append(entry)
    return result


def _host_port_risk(snapshot: ServiceSnapshot, ports: list[int]) -> str:
    if snapshot.service.load_balancers:
        return (
            "ECS registers each task's ephemeral port with the target group; the instances' "
            "security group must admit the load balancer on 32768-65535"
        )
    return (
        f"clients that reach the containers on host port {', '.join(map(str, ports))} directly "
        "must find them through a load balancer or service discovery instead"
    )


# --- placement constraints and zones ----------------------------------------------------------


def plan_placement(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Add subnets in the instances' zones, or give the instances the constraint's attribute."""
    active = [i for i in snapshot.capacity.container_instances if i.status == "ACTIVE"]
    if not active:
        return None
    zones = _zone_fix(finding, snapshot, lookups, active)
    return zones if zones is not None else _attribute_fix(finding, snapshot, active)


def _zone_fix(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups, active: list[ContainerInstance]
) -> Proposal | None:
    """An awsvpc service whose subnets are in no zone that has an instance: add such subnets."""
    network = snapshot.service.network
    current = [s for s in lookups.vpc_subnets if network and s.id in network.subnets]
    have = {i.availability_zone for i in active if i.availability_zone}
    if network is None or not current or not have or have & {s.availability_zone for s in current}:
        return None
    added = [s for zone in sorted(have) if (s := _subnet_in(snapshot, lookups, current, zone))]
    if not added:
        return None
    before = awsvpc(network)
    after = awsvpc(network, subnets=[*network.subnets, *(s.id for s in added)])
    return make_action(
        finding.code, f"Add subnet(s) {', '.join(s.id for s in added)} in "
        f"{', '.join(sorted(s.availability_zone for s in added))}, where the container "
        "instances run, and redeploy", "A2",
        (network_update(snapshot, after),), rollback=(network_update(snapshot, before),),
        diff=config_diff("service.networkConfiguration", before, after),
        expected_effect="each task's network interface can go in its instance's zone; the tasks "
        "are placed",
        risk="tasks may also run in the added subnets, which have the same route out of the VPC",
    )  # fmt: skip


def _subnet_in(
    snapshot: ServiceSnapshot, lookups: Lookups, current: list[Subnet], zone: str
) -> Subnet | None:
    """The equivalent subnet of the VPC in `zone` with the most free addresses."""
    found = [
        s for s in lookups.vpc_subnets
        if s.availability_zone == zone and s not in current and equivalent(snapshot, s, current)
    ]  # fmt: skip
    return max(found, key=lambda s: s.available_ips or 0, default=None)


def _attribute_fix(
    finding: Finding, snapshot: ServiceSnapshot, active: list[ContainerInstance]
) -> Proposal | None:
    """PutAttributes of a memberOf constraint's `attribute:name == value` on every instance.

    Only when no instance carries the attribute at all: then nothing else relies on it. When
    some carry other values, the attribute splits the fleet and a person decides.
    """
    wanted = _required_attributes(snapshot)
    if not wanted or any(n.startswith("ecs.") for n, _ in wanted):
        return None
    if any(all(i.attribute(n) == v for n, v in wanted) for i in active):
        return None
    used = sorted({f"{n}={i.attribute(n)}" for i in active for n, _ in wanted if i.attribute(n)})
    if used:
        required = " and ".join(f"{n}={v}" for n, v in wanted)
        return (
            f"PLACEMENT_CONSTRAINT_UNSATISFIABLE: the service requires {required}, but instances "
            f"carry {', '.join(used)}: "
            "give the intended instances the attribute (ECS_INSTANCE_ATTRIBUTES in their user "
            "data) or relax the service's placementConstraints."
        )
    return _put_attributes(finding, snapshot, active, wanted)


def _required_attributes(snapshot: ServiceSnapshot) -> list[tuple[str, str]]:
    """(name, value) of the memberOf `attribute:name == value` terms joined by `and`.

    Empty when an expression says anything else (or, ranges, built-ins): not guessed at.
    """
    wanted: list[tuple[str, str]] = []
    for constraint in snapshot.service.placement_constraints:
        if constraint.type != "memberOf":
            continue
        for term in _AND.split((constraint.expression or "").strip()):
            match = _EQUALS.match(term.strip())
            if match is None:
                return []
            wanted.append((match.group(1), match.group(2)))
    return list(dict.fromkeys(wanted))


def _put_attributes(
    finding: Finding,
    snapshot: ServiceSnapshot,
    active: list[ContainerInstance],
    wanted: list[tuple[str, str]],
) -> Proposal:
    entries = [  # a full ARN as targetId needs no targetType
        {"name": n, "value": v, "targetId": i.arn} for i in active for n, v in wanted
    ]
    batches = [
        entries[k : k + ATTRIBUTES_PER_CALL] for k in range(0, len(entries), ATTRIBUTES_PER_CALL)
    ]
    cluster = snapshot.cluster_arn
    steps = tuple(
        ApiCall("ecs", "PutAttributes", {"cluster": cluster, "attributes": b}) for b in batches
    )
    rollback = tuple(
        ApiCall("ecs", "DeleteAttributes", {"cluster": cluster, "attributes": b}) for b in batches
    )
    label = ", ".join(f"{n}={v}" for n, v in wanted)
    ids = [i.ec2_instance_id or i.arn for i in active]
    return make_action(
        finding.code, f"Put attribute {label} on the cluster's {len(active)} container "
        "instance(s), as the service's placement constraint requires", "A2", steps,
        rollback=rollback,
        diff=config_diff("container instance attributes", {i: {} for i in ids},
                         {i: dict(wanted) for i in ids}),
        expected_effect="the instances satisfy the memberOf constraint and the tasks are placed",
        risk="every service constrained to this attribute may now run on these instances; "
        "instances launched later lack it unless their user data sets ECS_INSTANCE_ATTRIBUTES",
    )  # fmt: skip

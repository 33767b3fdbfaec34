"""Planners for Availability Zones: Fargate capacity in the service's zones, load balancer zones.

Both fixes use subnets that already exist in the service's VPC (Lookups.vpc_subnets): creating
a subnet means choosing a CIDR block and routes, which is a person's call (A3). A subnet
stands in for another when it has the same way out of the VPC and the same network ACL.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_network import LoadBalancer, Subnet
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, force_deploy, make_action
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.plan import ApiCall, Step
from ecs_medic.remedies.plan_lookup import (
    equivalent,
    has_room,
    needed_ips,
    network_update,
    served_zones,
    service_balancers,
)
from ecs_medic.remedies.plan_network import awsvpc

ALB_MIN_FREE_IPS = 8  # ELB: "at least 8 free IP addresses" in each load balancer subnet
ALB_MAX_PREFIX = 27  # ELB: each subnet's CIDR block is at least a /27


# --- FARGATE_CAPACITY_UNAVAILABLE ---------------------------------------------------------------


def plan_fargate_zones(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Add one existing subnet in each other zone the load balancer serves, and redeploy.

    Fargate's refusal names no zone, so every zone the service uses counts as without
    capacity. An added subnet is like the current ones (same VPC, way out and network ACL)
    and has room for a full surge; it is never in a zone the service's load balancers do
    not serve, where its tasks would be Target.NotInUse. The current subnets stay, so the
    service spreads back when capacity returns; the rollback restores the old subnets.
    """
    network = snapshot.service.network
    if network is None or not lookups.vpc_subnets:
        return None
    current = [s for s in lookups.vpc_subnets if s.id in network.subnets]
    used = {s.availability_zone for s in current}
    like = [
        s for s in lookups.vpc_subnets
        if s.availability_zone not in used and alike(snapshot, s, current) and has_room(snapshot, s)
    ]  # fmt: skip
    served = served_zones(snapshot)
    added = one_per_zone(s for s in like if served is None or s.availability_zone in served)
    if not current or not added:
        return _no_other_zone(snapshot, current, like, served)
    chosen = [*network.subnets, *(s.id for s in added)]
    before, after = awsvpc(network), awsvpc(network, subnets=chosen)
    zones = ", ".join(s.availability_zone for s in added)
    return make_action(
        finding.code, f"Add subnets in {zones} to the service and redeploy", "A2",
        (network_update(snapshot, after),), rollback=(network_update(snapshot, before),),
        diff=config_diff("service.networkConfiguration", before, after),
        expected_effect=f"Fargate places the tasks in {zones}, where it has capacity",
        risk="tasks also run in other zones, in existing subnets with the same way out",
    )  # fmt: skip


def _no_other_zone(
    snapshot: ServiceSnapshot, current: list[Subnet], like: list[Subnet], served: set[str] | None
) -> str:
    """Say what a person must do when no existing subnet in another zone will do."""
    zones = ", ".join(sorted({s.availability_zone for s in current})) or "its zones"
    vpc = current[0].vpc_id if current else "the service's VPC"
    spot = "FARGATE_SPOT" in snapshot.service.capacity_provider_strategy
    fallback = (
        "add a FARGATE (on-demand) base next to FARGATE_SPOT in the capacity provider strategy"
        if spot else "retry later"
    )  # fmt: skip
    if like:
        names = ", ".join(f"{s.id} ({s.availability_zone})" for s in one_per_zone(like))
        return (
            f"FARGATE_CAPACITY_UNAVAILABLE: {names} could take the tasks, but the load balancer "
            f"serves only {', '.join(sorted(served or ()))}: enable those zones on it (elbv2 "
            f"set-subnets with a public subnet there) and add the subnets, or {fallback}."
        )
    return (
        f"FARGATE_CAPACITY_UNAVAILABLE: {vpc} has no subnet outside {zones} with the same route "
        f"out, network ACL and at least {needed_ips(snapshot)} free addresses; create one in "
        f"another zone"
        f"{' the load balancer serves' if served is not None else ''} and add it to the "
        f"service's subnets, or {fallback}."
    )


# --- LB_AZ_NOT_ENABLED --------------------------------------------------------------------------


def plan_lb_zones(finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups) -> Proposal | None:
    """Enable the service's zones on its load balancers (SetSubnets), then redeploy.

    Each ALB keeps its subnets and gains one existing subnet in each zone it is missing,
    like its current ones (same way out, so public for an internet-facing ALB) with the
    /27 and 8 free addresses ELB needs. A zone with no such subnet is removed from the
    service's subnets instead: its tasks never pass a health check (S9) and serve nothing,
    while a new subnet needs a CIDR block only a person can choose. When that would leave
    the service no subnet, or the balancer is not an ALB, a precise recommendation.
    """
    network = snapshot.service.network
    balancers = service_balancers(snapshot)
    if network is None or not balancers or not lookups.vpc_subnets:
        return None
    task_subnets = [s for s in lookups.vpc_subnets if s.id in network.subnets]
    wanted = {s.availability_zone for s in task_subnets}
    enable = {lb.arn: _additions(snapshot, lb, wanted, lookups) for lb in balancers}
    served = set.intersection(
        *({*lb.availability_zones, *_zones(enable[lb.arn])} for lb in balancers)
    )
    unserved = sorted(wanted - served)
    keep = [s.id for s in task_subnets if s.availability_zone not in unserved]
    blocked = [
        lb for lb in balancers if lb.type != "application" and wanted - {*lb.availability_zones}
    ]
    if blocked or not keep:
        return _lb_recommendation(balancers, unserved, blocked)
    steps: list[Step] = [_set_subnets(lb, [*lb.subnet_ids, *ids]) for lb in balancers
                         if (ids := [s.id for s in enable[lb.arn]])]  # fmt: skip
    rollback = [_set_subnets(lb, list(lb.subnet_ids)) for lb in balancers if enable[lb.arn]]
    if unserved:
        before, after = awsvpc(network), awsvpc(network, subnets=keep)
        steps.append(network_update(snapshot, after))
        rollback.append(network_update(snapshot, before))
    else:
        steps.append(force_deploy(snapshot))
    return make_action(
        finding.code, _lb_title(balancers, enable, unserved), "A2", tuple(steps),
        rollback=tuple(rollback), diff=_lb_diff(balancers, enable, network.subnets, keep),
        expected_effect="every task runs in a zone its load balancer serves; targets turn healthy",
        risk=_lb_risk(unserved),
    )  # fmt: skip


def _additions(
    snapshot: ServiceSnapshot, lb: LoadBalancer, wanted: set[str], lookups: Lookups
) -> list[Subnet]:
    """One subnet like the ALB's own in each wanted zone it does not serve (ALBs only)."""
    if lb.type != "application":
        return []
    own = [s for s in lookups.vpc_subnets if s.id in lb.subnet_ids]
    missing = wanted - set(lb.availability_zones)
    return one_per_zone(
        s for s in lookups.vpc_subnets
        if s.availability_zone in missing and alike(snapshot, s, own) and _fits_alb(s)
    )  # fmt: skip


def _fits_alb(subnet: Subnet) -> bool:
    """ELB's documented minimum: a /27 or larger block with at least 8 free addresses."""
    free = subnet.available_ips is None or subnet.available_ips >= ALB_MIN_FREE_IPS
    if subnet.cidr is None:
        return free
    return free and ipaddress.ip_network(subnet.cidr, strict=False).prefixlen <= ALB_MAX_PREFIX


def _set_subnets(lb: LoadBalancer, subnets: list[str]) -> ApiCall:
    return ApiCall("elbv2", "SetSubnets", {"LoadBalancerArn": lb.arn, "Subnets": subnets})


def _lb_title(
    balancers: list[LoadBalancer], enable: dict[str, list[Subnet]], unserved: list[str]
) -> str:
    parts = [
        f"enable {', '.join(_zones(enable[lb.arn]))} on {lb.name}"
        for lb in balancers if enable[lb.arn]
    ]  # fmt: skip
    if unserved:
        parts.append(f"remove the service's subnets in {', '.join(unserved)}")
    if not parts:  # the subnets changed since: only the tasks still run in the old zones
        return "Redeploy: every service subnet is in a zone the load balancer serves now"
    text = "; ".join(parts)
    return f"{text[:1].upper()}{text[1:]} and redeploy"


def _lb_diff(
    balancers: list[LoadBalancer],
    enable: dict[str, list[Subnet]],
    subnets: tuple[str, ...],
    keep: list[str],
) -> str:
    before: dict[str, object] = {f"{lb.name}.Subnets": list(lb.subnet_ids) for lb in balancers}
    after: dict[str, object] = {
        f"{lb.name}.Subnets": [*lb.subnet_ids, *(s.id for s in enable[lb.arn])] for lb in balancers
    }
    if list(subnets) != keep:
        before["service.subnets"], after["service.subnets"] = list(subnets), keep
    return config_diff("load balancer and service subnets", before, after)


def _lb_risk(unserved: list[str]) -> str:
    risk = "the load balancer gets nodes in more zones (cross-zone traffic and its cost may change)"
    if unserved:
        risk += f"; the service no longer runs in {', '.join(unserved)}"
    return risk


def _lb_recommendation(
    balancers: list[LoadBalancer],
    unserved: list[str],
    blocked: list[LoadBalancer],
) -> str:
    """What a person must do: create a subnet for the load balancer, or move the service."""
    if blocked:
        names = ", ".join(f"{lb.name} ({lb.type or 'unknown type'})" for lb in blocked)
        return (
            f"LB_AZ_NOT_ENABLED: {names} cannot be given more zones by ecs-medic; recreate it "
            "with subnets in every zone the service uses, or restrict the service's subnets to "
            f"{', '.join(sorted({z for lb in balancers for z in lb.availability_zones}))}."
        )
    vpc = balancers[0].vpc_id or "the VPC"
    return (
        f"LB_AZ_NOT_ENABLED: the service runs only in {', '.join(unserved)}, and {vpc} has no "
        f"subnet there like {', '.join(lb.name for lb in balancers)}'s own (same route out, a "
        f"/{ALB_MAX_PREFIX} or larger with {ALB_MIN_FREE_IPS} free addresses): create one and "
        "add it with elbv2 set-subnets, or move the service to subnets in "
        f"{', '.join(sorted({z for lb in balancers for z in lb.availability_zones}))}."
    )


# --- shared -------------------------------------------------------------------------------------


def alike(snapshot: ServiceSnapshot, subnet: Subnet, current: list[Subnet]) -> bool:
    """Same VPC and way out as `current` (plan_lookup.equivalent), and the same network ACL."""
    acls = {_acl(snapshot, s) for s in current}
    return equivalent(snapshot, subnet, current) and acls == {_acl(snapshot, subnet)}


def _acl(snapshot: ServiceSnapshot, subnet: Subnet) -> str | None:
    acl = snapshot.network.network_acl_for(subnet.id)
    return acl.id if acl else None


def one_per_zone(subnets: Iterable[Subnet]) -> list[Subnet]:
    """The subnet with the most free addresses in each zone, zones in order."""
    best: dict[str, Subnet] = {}
    for subnet in subnets:
        held = best.get(subnet.availability_zone)
        if held is None or (subnet.available_ips or 0) > (held.available_ips or 0):
            best[subnet.availability_zone] = subnet
    return [best[z] for z in sorted(best)]


def _zones(subnets: Iterable[Subnet]) -> list[str]:
    return sorted({s.availability_zone for s in subnets})

"""Reading the network view: routes, NAT, endpoints, security groups and NACLs of a subnet.

Pure helpers shared by the networking and load-balancer analyzers. Each question answers
True, False or None (not collected), so a missing source is never read as "open" or "closed".
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from ecs_medic.aws.snapshot import NetworkView
from ecs_medic.aws.snapshot_network import NaclEntry, Route, RouteTable, SecurityGroup, SgRule

ANYWHERE = "0.0.0.0/0"
PUBLIC_PROBE = "52.94.0.1"  # any public address: where ECR, S3 and CloudWatch answer via NAT/IGW
HTTPS = 443
EPHEMERAL_PROBE = 32768  # a return port inside 1024-65535


def default_route(table: RouteTable) -> Route | None:
    """The table's 0.0.0.0/0 route, if it has one."""
    return next((r for r in table.routes if r.destination_cidr == ANYWHERE), None)


def route_target(route: Route) -> str:
    """The id the route sends traffic to."""
    targets = (
        route.nat_gateway_id,
        route.gateway_id,
        route.transit_gateway_id,
        route.network_interface_id,
        route.vpc_peering_connection_id,
    )
    return next((t for t in targets if t), "none")


def describe_route(table: RouteTable) -> str:
    """'route table rtb-1: 0.0.0.0/0 -> nat-2 (active)', or says there is no default route."""
    route = default_route(table)
    if route is None:
        return f"route table {table.id} has no 0.0.0.0/0 route (local routes only)"
    state = f" ({route.state})" if route.state else ""
    return f"route table {table.id}: 0.0.0.0/0 -> {route_target(route)}{state}"


def egress_rules_allow(groups: Iterable[SecurityGroup], port: int) -> bool:
    """Tell whether any of the groups lets TCP `port` out to some destination."""
    return any(
        rule.covers_port(port) and _has_destination(rule) for g in groups for rule in g.egress
    )


def _has_destination(rule: SgRule) -> bool:
    """Tell whether the rule names any destination at all."""
    return bool(rule.cidrs or rule.ipv6_cidrs or rule.prefix_list_ids or rule.source_group_ids)


def ingress_admits(
    groups: Iterable[SecurityGroup],
    port: int,
    source_groups: Iterable[str],
    source_cidrs: Iterable[str] = (),
) -> bool:
    """Tell whether the groups admit TCP `port` from one of the source groups or CIDRs."""
    sources = set(source_groups)
    cidrs = [c for c in source_cidrs if c]
    for rule in (r for g in groups for r in g.ingress if r.covers_port(port)):
        if sources & set(rule.source_group_ids) or rule.prefix_list_ids:
            return True
        if any(_overlaps(allowed, c) for allowed in rule.cidrs for c in cidrs or [ANYWHERE]):
            return True
    return False


def _overlaps(allowed: str, source: str) -> bool:
    """Tell whether the rule's CIDR contains the source CIDR (or any of it)."""
    try:
        return ipaddress.ip_network(allowed, strict=False).overlaps(
            ipaddress.ip_network(source, strict=False)
        )
    except ValueError:
        return False


def nacl_allows(entries: Iterable[NaclEntry], *, egress: bool, port: int, address: str) -> bool:
    """Evaluate the NACL as AWS does: the lowest-numbered matching rule decides; none means deny."""
    wanted = sorted((e for e in entries if e.egress == egress), key=lambda e: e.rule_number)
    for entry in wanted:
        if _nacl_matches(entry, port, address):
            return entry.action.lower() == "allow"
    return False


def _nacl_matches(entry: NaclEntry, port: int, address: str) -> bool:
    """Tell whether a NACL entry applies to TCP traffic on `port` to or from `address`."""
    if entry.protocol not in ("-1", "6", "tcp"):
        return False
    ranged = entry.protocol != "-1" and entry.from_port is not None and entry.to_port is not None
    if ranged and not (entry.from_port or 0) <= port <= (entry.to_port or 0):
        return False
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(entry.cidr or "", strict=False)
    except ValueError:
        return False


def nacl_blocks_https(network: NetworkView, subnet_id: str, address: str) -> str | None:
    """Say how the subnet's NACL blocks HTTPS to `address` or its replies; None if it does not."""
    acl = network.network_acl_for(subnet_id)
    if acl is None or not acl.entries:
        return None
    if not nacl_allows(acl.entries, egress=True, port=HTTPS, address=address):
        return f"network ACL {acl.id} denies outbound TCP 443 to {address}"
    if not nacl_allows(acl.entries, egress=False, port=EPHEMERAL_PROBE, address=address):
        return f"network ACL {acl.id} denies inbound return traffic (TCP 1024-65535) from {address}"
    return None


def vpc_cidr(network: NetworkView, vpc_id: str | None) -> str | None:
    """The VPC's CIDR block, if collected."""
    vpc = next((v for v in network.vpcs if v.id == vpc_id), None)
    return vpc.cidr if vpc else None


def probe_address(cidr: str | None) -> str:
    """An address inside the CIDR (where interface endpoints live), else a public one."""
    if not cidr:
        return PUBLIC_PROBE
    try:
        return str(next(ipaddress.ip_network(cidr, strict=False).hosts()))
    except (ValueError, StopIteration):
        return PUBLIC_PROBE


def endpoint_suffix(service_name: str) -> str:
    """'ecr.dkr' from 'com.amazonaws.eu-west-1.ecr.dkr' (the part after the region)."""
    parts = service_name.split(".")
    return ".".join(parts[3:]) if len(parts) > 3 else service_name

"""The network around the service: subnets, VPC, routes, gateways, endpoints, NACLs, SGs, LBs.

Order of reads: the task subnets name the VPC; everything VPC-wide is then read at once,
filtered by VPC; the target groups name the load balancers; the task, load balancer and
interface-endpoint security groups are read last, in one call, beside the VPC's DNS
attributes (only when interface endpoints rely on them).
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from typing import Any

from ecs_medic.aws import parsing_network as parse
from ecs_medic.aws.collect.reader import Reader, unique
from ecs_medic.aws.snapshot import NetworkView, Service, TargetGroup
from ecs_medic.aws.snapshot_network import (
    IdleInterface,
    InternetGateway,
    Listener,
    LoadBalancer,
    NatGateway,
    NetworkAcl,
    RouteTable,
    SecurityGroup,
    Subnet,
    Vpc,
    VpcEndpoint,
)

LOW_IPS = 16  # below this many free IPs a subnet is worth a look for leaked ENIs


@dataclass(frozen=True, slots=True)
class _VpcParts:
    vpc: Vpc | None
    route_tables: tuple[RouteTable, ...]
    nat_gateways: tuple[NatGateway, ...]
    internet_gateways: tuple[InternetGateway, ...]
    endpoints: tuple[VpcEndpoint, ...]
    acls: tuple[NetworkAcl, ...]


def collect_network(
    reader: Reader, service: Service, target_groups: Future[tuple[TargetGroup, ...]]
) -> NetworkView:
    """Read the service's network path; each failed read is a gap."""
    task_subnet_ids = list(service.network.subnets) if service.network else []
    task_subnets = _subnets(reader, task_subnet_ids)
    vpc_id = _vpc_id(task_subnets, target_groups.result())
    vpc_reads = _start_vpc_reads(reader, vpc_id) if vpc_id else {}
    idle_f = reader.submit(_idle_interfaces, reader, short_of_ips(service, task_subnets))
    balancers = _load_balancers(reader, target_groups.result())
    listeners_f = reader.submit(_listeners, reader, balancers, target_groups.result())
    parts = _vpc_parts({key: f.result() or {} for key, f in vpc_reads.items()})
    known = {s.id for s in task_subnets}
    lb_subnet_ids = [s for lb in balancers for s in lb.subnet_ids if s not in known]
    lb_subnets_f = reader.submit(_subnets, reader, unique(lb_subnet_ids))
    groups = unique(
        [
            *(service.network.security_groups if service.network else ()),
            *(g for lb in balancers for g in lb.security_groups),
            *(
                g
                for e in parts.endpoints
                if e.endpoint_type == "Interface"
                for g in e.security_group_ids
            ),
        ]
    )
    dns_f = reader.submit(_with_dns, reader, parts)
    security_groups = _security_groups(reader, groups)
    vpc = dns_f.result()
    return NetworkView(
        vpcs=(vpc,) if vpc else (),
        subnets=task_subnets + lb_subnets_f.result(),
        route_tables=parts.route_tables,
        nat_gateways=parts.nat_gateways,
        internet_gateways=parts.internet_gateways,
        vpc_endpoints=parts.endpoints,
        security_groups=security_groups,
        network_acls=parts.acls,
        load_balancers=balancers,
        listeners=listeners_f.result(),
        idle_interfaces=idle_f.result(),
    )


def short_of_ips(service: Service, subnets: Sequence[Subnet]) -> list[str]:
    """Task subnets with fewer free IPs than a full rollout of the service may need."""
    surge = service.desired_count * (service.deployment_config.maximum_percent or 200) // 100
    floor = max(LOW_IPS, surge)
    return [s.id for s in subnets if s.available_ips is not None and s.available_ips < floor]


def _idle_interfaces(reader: Reader, subnet_ids: list[str]) -> tuple[IdleInterface, ...]:
    """ENIs attached to nothing in these subnets: leaked ones hold the IPs tasks need."""
    if not subnet_ids:
        return ()
    filters = [
        {"Name": "subnet-id", "Values": subnet_ids},
        {"Name": "status", "Values": ["available"]},
    ]
    response = reader.call(
        "ec2", "DescribeNetworkInterfaces", {"Filters": filters}, ",".join(subnet_ids)
    )
    interfaces = (response or {}).get("NetworkInterfaces", ())
    return tuple(parse.parse_idle_interface(i) for i in interfaces)


def _with_dns(reader: Reader, parts: _VpcParts) -> Vpc | None:
    """The VPC with its DNS attributes, read only when interface endpoints depend on them."""
    vpc = parts.vpc
    if vpc is None or not any(e.endpoint_type == "Interface" for e in parts.endpoints):
        return vpc
    answers = [
        reader.call("ec2", "DescribeVpcAttribute", {"VpcId": vpc.id, "Attribute": a}, vpc.id)
        for a in ("enableDnsSupport", "enableDnsHostnames")
    ]
    return replace(
        vpc,
        dns_support=parse.parse_vpc({"VpcId": vpc.id}, answers[0], None).dns_support,
        dns_hostnames=parse.parse_vpc({"VpcId": vpc.id}, None, answers[1]).dns_hostnames,
    )


def _vpc_id(subnets: Sequence[Subnet], target_groups: Sequence[TargetGroup]) -> str | None:
    """The VPC of the task subnets, else of the target groups (bridge and host mode)."""
    ids = [s.vpc_id for s in subnets] + [g.vpc_id for g in target_groups if g.vpc_id]
    return ids[0] if ids else None


def _subnets(reader: Reader, ids: list[str]) -> tuple[Subnet, ...]:
    if not ids:
        return ()
    response = reader.call("ec2", "DescribeSubnets", {"SubnetIds": ids}, ",".join(ids))
    return tuple(parse.parse_subnet(s) for s in (response or {}).get("Subnets", ()))


def _start_vpc_reads(reader: Reader, vpc_id: str) -> dict[str, Future[dict[str, Any] | None]]:
    """Start every VPC-wide read at once in the call pool."""
    in_vpc = [{"Name": "vpc-id", "Values": [vpc_id]}]
    calls: dict[str, tuple[str, dict[str, Any]]] = {
        "vpc": ("DescribeVpcs", {"VpcIds": [vpc_id]}),
        "routes": ("DescribeRouteTables", {"Filters": in_vpc}),
        "nat": ("DescribeNatGateways", {"Filter": in_vpc}),
        "igw": (
            "DescribeInternetGateways",
            {"Filters": [{"Name": "attachment.vpc-id", "Values": [vpc_id]}]},
        ),
        "endpoints": ("DescribeVpcEndpoints", {"Filters": in_vpc}),
        "acls": ("DescribeNetworkAcls", {"Filters": in_vpc}),
    }
    return {
        key: reader.submit(reader.call, "ec2", operation, params, vpc_id)
        for key, (operation, params) in calls.items()
    }


def _vpc_parts(got: dict[str, dict[str, Any]]) -> _VpcParts:
    """The VPC-wide answers parsed; a missing answer (a gap) leaves its part empty."""
    if not got:
        return _VpcParts(None, (), (), (), (), ())
    vpcs = got["vpc"].get("Vpcs") or []
    return _VpcParts(
        vpc=parse.parse_vpc(vpcs[0], None, None) if vpcs else None,
        route_tables=tuple(
            parse.parse_route_table(t) for t in got["routes"].get("RouteTables", ())
        ),
        nat_gateways=tuple(parse.parse_nat_gateway(n) for n in got["nat"].get("NatGateways", ())),
        internet_gateways=tuple(
            parse.parse_internet_gateway(g) for g in got["igw"].get("InternetGateways", ())
        ),
        endpoints=tuple(
            parse.parse_vpc_endpoint(e) for e in got["endpoints"].get("VpcEndpoints", ())
        ),
        acls=tuple(parse.parse_network_acl(a) for a in got["acls"].get("NetworkAcls", ())),
    )


def _load_balancers(
    reader: Reader, target_groups: Sequence[TargetGroup]
) -> tuple[LoadBalancer, ...]:
    arns = unique(a for g in target_groups for a in g.load_balancer_arns)
    if not arns:
        return ()
    response = reader.call(
        "elbv2", "DescribeLoadBalancers", {"LoadBalancerArns": arns}, ",".join(arns)
    )
    return tuple(parse.parse_load_balancer(b) for b in (response or {}).get("LoadBalancers", ()))


def _listeners(
    reader: Reader, balancers: Sequence[LoadBalancer], target_groups: Sequence[TargetGroup]
) -> tuple[Listener, ...]:
    """Listeners of each load balancer; rules only where default actions miss our groups."""
    ours = {g.arn for g in target_groups}
    found: list[Listener] = []
    for balancer in balancers:
        params = {"LoadBalancerArn": balancer.arn}
        response = reader.call("elbv2", "DescribeListeners", params, balancer.arn) or {}
        for entry in response.get("Listeners", ()):
            listener = parse.parse_listener(entry)
            if not ours & set(listener.target_group_arns):
                listener = parse.parse_listener(entry, _rules(reader, listener.arn))
            found.append(listener)
    return tuple(found)


def _rules(reader: Reader, listener_arn: str) -> list[dict[str, object]]:
    response = reader.call("elbv2", "DescribeRules", {"ListenerArn": listener_arn}, listener_arn)
    return list((response or {}).get("Rules", ()))


def _security_groups(reader: Reader, ids: list[str]) -> tuple[SecurityGroup, ...]:
    if not ids:
        return ()
    response = reader.call("ec2", "DescribeSecurityGroups", {"GroupIds": ids}, ",".join(ids))
    return tuple(parse.parse_security_group(g) for g in (response or {}).get("SecurityGroups", ()))

"""Turn EC2 and ELBv2 network JSON (boto3 or MCP shapes) into the network snapshot types."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ecs_medic.aws.parsing import Json
from ecs_medic.aws.snapshot_network import (
    IdleInterface,
    InternetGateway,
    Listener,
    LoadBalancer,
    NaclEntry,
    NatGateway,
    NetworkAcl,
    Route,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
    VpcEndpoint,
)


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _flag(value: Any) -> bool | None:
    """A boolean from `true`, `"true"` or an EC2 attribute `{"Value": true}`."""
    if isinstance(value, dict):
        value = value.get("Value")
    if value is None:
        return None
    if isinstance(value, str):
        return value.lower() == "true"
    return bool(value)


def _tuple(values: Iterable[Any] | None, key: str) -> tuple[str, ...]:
    return tuple(str(v[key]) for v in values or () if v.get(key))


def parse_subnet(d: Json) -> Subnet:
    """One entry of DescribeSubnets."""
    return Subnet(
        id=d["SubnetId"],
        vpc_id=d.get("VpcId", ""),
        availability_zone=d.get("AvailabilityZone", ""),
        cidr=d.get("CidrBlock"),
        available_ips=_int(d.get("AvailableIpAddressCount")),
        map_public_ip_on_launch=bool(_flag(d.get("MapPublicIpOnLaunch"))),
    )


def parse_vpc(d: Json, dns_support: Json | None, dns_hostnames: Json | None) -> Vpc:
    """A DescribeVpcs entry with the two DescribeVpcAttribute answers (None: not read)."""
    return Vpc(
        id=d["VpcId"],
        cidr=d.get("CidrBlock"),
        dns_support=_flag((dns_support or {}).get("EnableDnsSupport")),
        dns_hostnames=_flag((dns_hostnames or {}).get("EnableDnsHostnames")),
    )


def parse_route(d: Json) -> Route:
    """One route of a route table."""
    return Route(
        destination_cidr=d.get("DestinationCidrBlock") or d.get("DestinationIpv6CidrBlock"),
        destination_prefix_list=d.get("DestinationPrefixListId"),
        gateway_id=d.get("GatewayId"),
        nat_gateway_id=d.get("NatGatewayId"),
        transit_gateway_id=d.get("TransitGatewayId"),
        network_interface_id=d.get("NetworkInterfaceId"),
        vpc_peering_connection_id=d.get("VpcPeeringConnectionId"),
        state=d.get("State"),
    )


def parse_route_table(d: Json) -> RouteTable:
    """One entry of DescribeRouteTables."""
    associations = d.get("Associations") or ()
    return RouteTable(
        id=d["RouteTableId"],
        vpc_id=d.get("VpcId", ""),
        routes=tuple(parse_route(r) for r in d.get("Routes") or ()),
        subnet_ids=_tuple(associations, "SubnetId"),
        is_main=any(_flag(a.get("Main")) for a in associations),
    )


def parse_nat_gateway(d: Json) -> NatGateway:
    """One entry of DescribeNatGateways."""
    return NatGateway(
        id=d["NatGatewayId"],
        subnet_id=d.get("SubnetId", ""),
        state=d.get("State", ""),
        vpc_id=d.get("VpcId"),
    )


def parse_internet_gateway(d: Json) -> InternetGateway:
    """One entry of DescribeInternetGateways."""
    attached = [a for a in d.get("Attachments") or () if a.get("State") in (None, "available")]
    return InternetGateway(id=d["InternetGatewayId"], vpc_ids=_tuple(attached, "VpcId"))


def parse_vpc_endpoint(d: Json) -> VpcEndpoint:
    """One entry of DescribeVpcEndpoints."""
    return VpcEndpoint(
        id=d["VpcEndpointId"],
        service_name=d.get("ServiceName", ""),
        endpoint_type=d.get("VpcEndpointType", ""),
        state=d.get("State"),
        vpc_id=d.get("VpcId"),
        private_dns_enabled=_flag(d.get("PrivateDnsEnabled")),
        subnet_ids=tuple(d.get("SubnetIds") or ()),
        route_table_ids=tuple(d.get("RouteTableIds") or ()),
        security_group_ids=_tuple(d.get("Groups"), "GroupId"),
        policy_document=d.get("PolicyDocument"),
    )


def parse_sg_rule(d: Json) -> SgRule:
    """One IpPermissions entry (ingress or egress)."""
    return SgRule(
        protocol=str(d.get("IpProtocol", "-1")),
        from_port=_int(d.get("FromPort")),
        to_port=_int(d.get("ToPort")),
        cidrs=_tuple(d.get("IpRanges"), "CidrIp"),
        ipv6_cidrs=_tuple(d.get("Ipv6Ranges"), "CidrIpv6"),
        prefix_list_ids=_tuple(d.get("PrefixListIds"), "PrefixListId"),
        source_group_ids=_tuple(d.get("UserIdGroupPairs"), "GroupId"),
    )


def parse_security_group(d: Json) -> SecurityGroup:
    """One entry of DescribeSecurityGroups."""
    return SecurityGroup(
        id=d["GroupId"],
        name=d.get("GroupName", ""),
        vpc_id=d.get("VpcId"),
        ingress=tuple(parse_sg_rule(r) for r in d.get("IpPermissions") or ()),
        egress=tuple(parse_sg_rule(r) for r in d.get("IpPermissionsEgress") or ()),
    )


def parse_nacl_entry(d: Json) -> NaclEntry:
    """One network ACL entry."""
    ports = d.get("PortRange") or {}
    return NaclEntry(
        rule_number=int(d.get("RuleNumber", 0)),
        egress=bool(_flag(d.get("Egress"))),
        protocol=str(d.get("Protocol", "-1")),
        action=str(d.get("RuleAction", "")),
        cidr=d.get("CidrBlock") or d.get("Ipv6CidrBlock"),
        from_port=_int(ports.get("From")),
        to_port=_int(ports.get("To")),
    )


def parse_network_acl(d: Json) -> NetworkAcl:
    """One entry of DescribeNetworkAcls."""
    return NetworkAcl(
        id=d["NetworkAclId"],
        vpc_id=d.get("VpcId", ""),
        entries=tuple(parse_nacl_entry(e) for e in d.get("Entries") or ()),
        subnet_ids=_tuple(d.get("Associations"), "SubnetId"),
        is_default=bool(_flag(d.get("IsDefault"))),
    )


def parse_load_balancer(d: Json) -> LoadBalancer:
    """One entry of DescribeLoadBalancers."""
    zones = d.get("AvailabilityZones") or ()
    return LoadBalancer(
        arn=d["LoadBalancerArn"],
        name=d.get("LoadBalancerName", ""),
        type=d.get("Type"),
        scheme=d.get("Scheme"),
        state=(d.get("State") or {}).get("Code"),
        vpc_id=d.get("VpcId"),
        availability_zones=_tuple(zones, "ZoneName"),
        subnet_ids=_tuple(zones, "SubnetId"),
        security_groups=tuple(d.get("SecurityGroups") or ()),
    )


def forward_targets(actions: Iterable[Json]) -> tuple[str, ...]:
    """Target groups that listener or rule actions forward to (simple and weighted forms)."""
    arns: list[str] = []
    for action in actions:
        if action.get("TargetGroupArn"):
            arns.append(action["TargetGroupArn"])
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups") or ()
        arns.extend(g["TargetGroupArn"] for g in groups if g.get("TargetGroupArn"))
    return tuple(dict.fromkeys(arns))


def parse_listener(d: Json, rules: Iterable[Json] = ()) -> Listener:
    """A DescribeListeners entry, with what its DescribeRules rules forward to when read."""
    targets = forward_targets(d.get("DefaultActions") or ())
    targets += forward_targets(a for r in rules for a in r.get("Actions") or ())
    return Listener(
        arn=d["ListenerArn"],
        load_balancer_arn=d.get("LoadBalancerArn", ""),
        port=_int(d.get("Port")),
        protocol=d.get("Protocol"),
        target_group_arns=tuple(dict.fromkeys(targets)),
    )


def parse_idle_interface(d: Json) -> IdleInterface:
    """One entry of DescribeNetworkInterfaces (filtered on status=available)."""
    return IdleInterface(
        id=d["NetworkInterfaceId"],
        subnet_id=d.get("SubnetId", ""),
        description=d.get("Description", ""),
        interface_type=d.get("InterfaceType"),
    )

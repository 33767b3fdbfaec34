"""Snapshot types for the network path of a service: VPC, subnets, routes, SGs, NACLs, LBs."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Vpc:
    """A VPC and the DNS attributes tasks and endpoints depend on."""

    id: str
    cidr: str | None = None
    dns_support: bool | None = None
    dns_hostnames: bool | None = None


@dataclass(frozen=True, slots=True)
class Subnet:
    """A subnet a task or load balancer lives in."""

    id: str
    vpc_id: str
    availability_zone: str
    cidr: str | None = None
    available_ips: int | None = None
    map_public_ip_on_launch: bool = False


@dataclass(frozen=True, slots=True)
class Route:
    """One route; exactly one target field is set."""

    destination_cidr: str | None = None
    destination_prefix_list: str | None = None
    gateway_id: str | None = None  # igw-..., vgw-..., vpce-... (gateway endpoints), "local"
    nat_gateway_id: str | None = None
    transit_gateway_id: str | None = None
    network_interface_id: str | None = None
    vpc_peering_connection_id: str | None = None
    state: str | None = None  # active | blackhole


@dataclass(frozen=True, slots=True)
class RouteTable:
    """A route table and the subnets explicitly associated with it."""

    id: str
    vpc_id: str
    routes: tuple[Route, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    is_main: bool = False


@dataclass(frozen=True, slots=True)
class NatGateway:
    """A NAT gateway and its state."""

    id: str
    subnet_id: str
    state: str  # pending | available | failed | deleting | deleted
    vpc_id: str | None = None


@dataclass(frozen=True, slots=True)
class InternetGateway:
    """An internet gateway and the VPCs it is attached to."""

    id: str
    vpc_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class VpcEndpoint:
    """An interface or gateway VPC endpoint."""

    id: str
    service_name: str  # com.amazonaws.<region>.ecr.dkr
    endpoint_type: str  # Interface | Gateway
    state: str | None = None
    vpc_id: str | None = None
    private_dns_enabled: bool | None = None
    subnet_ids: tuple[str, ...] = ()
    route_table_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    policy_document: str | None = None


@dataclass(frozen=True, slots=True)
class SgRule:
    """One security group permission (ingress or egress); -1 protocol means all traffic."""

    protocol: str  # tcp | udp | icmp | -1
    from_port: int | None = None
    to_port: int | None = None
    cidrs: tuple[str, ...] = ()
    ipv6_cidrs: tuple[str, ...] = ()
    prefix_list_ids: tuple[str, ...] = ()
    source_group_ids: tuple[str, ...] = ()

    def covers_port(self, port: int) -> bool:
        """Whether this rule admits TCP traffic on `port`."""
        if self.protocol == "-1":
            return True
        if self.protocol not in ("tcp", "6"):
            return False
        low = -1 if self.from_port is None else self.from_port
        high = 65535 if self.to_port is None else self.to_port
        return low == -1 or low <= port <= high


@dataclass(frozen=True, slots=True)
class SecurityGroup:
    """A security group with its rules."""

    id: str
    name: str
    vpc_id: str | None = None
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = ()


@dataclass(frozen=True, slots=True)
class NaclEntry:
    """One network ACL entry."""

    rule_number: int
    egress: bool
    protocol: str  # -1 | 6 | 17 ...
    action: str  # allow | deny
    cidr: str | None = None
    from_port: int | None = None
    to_port: int | None = None


@dataclass(frozen=True, slots=True)
class NetworkAcl:
    """A network ACL and the subnets it applies to."""

    id: str
    vpc_id: str
    entries: tuple[NaclEntry, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    is_default: bool = False


@dataclass(frozen=True, slots=True)
class LoadBalancer:
    """An ELBv2 load balancer in front of the service."""

    arn: str
    name: str
    type: str | None = None  # application | network
    scheme: str | None = None
    state: str | None = None
    vpc_id: str | None = None
    availability_zones: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Listener:
    """A listener and the target groups its default actions and rules forward to."""

    arn: str
    load_balancer_arn: str
    port: int | None = None
    protocol: str | None = None
    target_group_arns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class IdleInterface:
    """An ENI in status "available": it holds a subnet IP while attached to nothing."""

    id: str
    subnet_id: str
    description: str = ""
    interface_type: str | None = None

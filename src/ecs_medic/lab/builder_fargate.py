"""Builds the Fargate parts of a scenario's `account:` section (lab/account_spec.py).

The account's Fargate quota and the zones without capacity live where moto keeps the
account (lab/_moto_fargate.py); the task subnet variants `zone-a` (only the private subnet
in us-east-1a) and `three-zones` (a third pair of subnets in us-east-1c that the load
balancer was never extended to) are made through the AWS API like the builder's network.
"""

from __future__ import annotations

from typing import Any

from ecs_medic.lab import _moto_fargate
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab.account_spec import FargateSpec


def apply(account: str, region: str, cluster: str, spec: FargateSpec) -> None:
    """Set the Fargate quota and the zones without capacity for the scenario's cluster."""
    scope = Scope(account, region)
    if spec.vcpu_quota is not None:
        _moto_fargate.set_quota(scope, _moto_fargate.VCPU_QUOTA, spec.vcpu_quota, cluster)
    if spec.no_capacity_zones:
        _moto_fargate.set_no_capacity_zones(scope, cluster, spec.no_capacity_zones)
    if spec.eni_burst is not None:
        _moto_fargate.set_eni_burst(scope, cluster, spec.eni_burst)


def third_zone_subnets(ec2: Any, network: dict[str, Any], cluster: str, region: str) -> list[str]:
    """Private subnets in a, b and a new c; a public subnet in c the ALB does not use."""
    vpc = network["vpc"]
    base = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"].rsplit(".", 2)[0]
    zone = f"{region}c"
    public = _subnet(ec2, vpc, f"{base}.2.0/24", zone, f"{cluster}-public-c")
    private = _subnet(ec2, vpc, f"{base}.12.0/24", zone, f"{cluster}-private-c")
    ec2.modify_subnet_attribute(SubnetId=public, MapPublicIpOnLaunch={"Value": True})
    _share_route_table(ec2, network["public"][0], public)
    _share_route_table(ec2, network["private"][0], private)
    network["public_c"] = public
    return [*network["private"], private]


def _subnet(ec2: Any, vpc: str, cidr: str, zone: str, name: str) -> str:
    subnet = ec2.create_subnet(
        VpcId=vpc,
        CidrBlock=cidr,
        AvailabilityZone=zone,
        TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "Name", "Value": name}]}],
    )
    return str(subnet["Subnet"]["SubnetId"])


def _share_route_table(ec2: Any, like: str, subnet: str) -> None:
    """Associate `subnet` with the route table of the subnet `like`."""
    by_subnet = [{"Name": "association.subnet-id", "Values": [like]}]
    table = ec2.describe_route_tables(Filters=by_subnet)["RouteTables"][0]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)

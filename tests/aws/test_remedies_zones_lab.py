"""Zone fixes applied to the lab through boto3: the subnet they pick, healing, and rollback."""

from __future__ import annotations

import boto3
import pytest

from ecs_medic.analyzers.registry import analyze
from ecs_medic.aws.collector import Collector
from ecs_medic.aws.direct_transport import DirectGateway
from ecs_medic.context.local import LocalContext, ServiceQuery
from ecs_medic.lab import Lab
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.lookups import look_up
from ecs_medic.remedies.planners import build_plan
from ecs_medic.remedies.verify import restored_checks, service_clock, wait_until_healthy

pytestmark = pytest.mark.lab

SPEED = 200.0  # simulated seconds per wall second


def names(gateway: DirectGateway, subnet_ids: list[str]) -> list[str]:
    """The Name tags of these subnets, in order."""
    found = gateway.call("ec2", "DescribeSubnets", {"SubnetIds": subnet_ids})["Subnets"]
    by_id = {
        s["SubnetId"]: next(t["Value"] for t in s["Tags"] if t["Key"] == "Name") for s in found
    }
    return [by_id[i] for i in subnet_ids]


@pytest.mark.parametrize(
    ("scenario", "code", "added"),
    [
        ("fargate-capacity-unavailable", "FARGATE_CAPACITY_UNAVAILABLE", ["prod-private-b"]),
        ("lb-zone-not-enabled", "LB_AZ_NOT_ENABLED", ["prod-public-c"]),
    ],
)
def test_zone_fix_adds_the_right_subnet_heals_and_rolls_back(scenario, code, added, tmp_path):
    """The one like subnet is added, the service verifies healthy, the rollback restores all."""
    with Lab.start([scenario]) as lab:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
        gateway = DirectGateway(session, lab.region, endpoint_url=lab.endpoint_url)
        target = LocalContext(gateway, lab.region).resolve(ServiceQuery("web", "prod"))
        collector = Collector(gateway)
        before = collector.collect(target)
        findings = list(analyze(before).findings)
        [action] = build_plan(findings, before, look_up(gateway, findings, before)).actions
        subnets = (
            action.steps[0].params.get("Subnets")
            or (action.steps[0].params["networkConfiguration"]["awsvpcConfiguration"]["subnets"])
        )
        applier = Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t-zones"))
        assert applier.apply(action).ok
        lab.run_in_background(speed=SPEED)
        verification = wait_until_healthy(
            lambda: collector.collect(target), service_clock(before), frozenset({code}),
            timeout_s=90, poll_s=0.5, confirm=lambda: collector.collect(target),
        )  # fmt: skip
        assert applier.roll_back(action).ok
        after = collector.collect(target)
        assert (code, added) == (action.code, names(gateway, subnets[-1:]))
    assert verification.ok, verification.checks
    assert [] == [c for c in restored_checks(before, after) if not c.ok]


def test_without_a_public_subnet_in_the_zone_the_service_leaves_it_and_heals(tmp_path):
    """No public subnet in us-east-1c: the plan drops private c from the service instead."""
    with Lab.start(["lb-zone-not-enabled"]) as lab:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
        gateway = DirectGateway(session, lab.region, endpoint_url=lab.endpoint_url)
        public_c = gateway.call(
            "ec2", "DescribeSubnets",
            {"Filters": [{"Name": "tag:Name", "Values": ["prod-public-c"]}]},
        )["Subnets"][0]["SubnetId"]  # fmt: skip
        gateway.call("ec2", "DeleteSubnet", {"SubnetId": public_c})
        target = LocalContext(gateway, lab.region).resolve(ServiceQuery("web", "prod"))
        collector = Collector(gateway)
        before = collector.collect(target)
        findings = list(analyze(before).findings)
        [action] = build_plan(findings, before, look_up(gateway, findings, before)).actions
        config = action.steps[0].params["networkConfiguration"]["awsvpcConfiguration"]
        kept = names(gateway, config["subnets"])
        assert Applier(gateway, AuditLog(tmp_path / "audit.jsonl", "t-drop")).apply(action).ok
        lab.run_in_background(speed=SPEED)
        verification = wait_until_healthy(
            lambda: collector.collect(target), service_clock(before),
            frozenset({"LB_AZ_NOT_ENABLED"}), timeout_s=90, poll_s=0.5,
            confirm=lambda: collector.collect(target),
        )  # fmt: skip
    assert (["ecs:UpdateService"], ["prod-private-a", "prod-private-b"]) == (
        [s.source for s in action.steps],
        sorted(kept),
    )
    assert verification.ok, verification.checks


def test_set_subnets_refuses_a_full_subnet_and_two_subnets_in_one_zone():
    """ELB's refusals: InvalidSubnet under 8 free addresses, one subnet per zone."""
    with Lab.start(["lb-zone-not-enabled"]) as lab:
        session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
        ec2 = session.client("ec2", endpoint_url=lab.endpoint_url, region_name=lab.region)
        elbv2 = session.client("elbv2", endpoint_url=lab.endpoint_url, region_name=lab.region)
        balancer = elbv2.describe_load_balancers()["LoadBalancers"][0]
        own = [z["SubnetId"] for z in balancer["AvailabilityZones"]]
        vpc = balancer["VpcId"]
        full = ec2.create_subnet(
            VpcId=vpc, CidrBlock="10.0.250.0/28", AvailabilityZone=f"{lab.region}d"
        )["Subnet"]["SubnetId"]
        for _ in range(5):  # a /28 has 11 usable addresses: 6 stay free
            ec2.create_network_interface(SubnetId=full)
        served = balancer["AvailabilityZones"][0]["ZoneName"]
        spare = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.251.0/24", AvailabilityZone=served)
        spare = spare["Subnet"]["SubnetId"]
        errors = []
        for subnets in ([*own, full], [*own, spare]):
            try:
                elbv2.set_subnets(LoadBalancerArn=balancer["LoadBalancerArn"], Subnets=subnets)
            except elbv2.exceptions.ClientError as exc:
                errors.append(exc.response["Error"]["Code"])
        kept = elbv2.describe_load_balancers()["LoadBalancers"][0]["AvailabilityZones"]
    assert (["InvalidSubnet", "InvalidConfigurationRequest"], own) == (
        errors,
        [z["SubnetId"] for z in kept],
    )

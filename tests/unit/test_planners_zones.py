"""Zone planners on hand-built snapshots: Fargate capacity elsewhere, zones the ALB serves."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    ALB_SG,
    IGW,
    LB_ARN,
    NAT,
    REGION,
    VPC,
    allow_all_acl,
    network_view,
    service,
    snapshot,
)
from fake_gateway import FakeGateway

from ecs_medic.aws.snapshot import NetworkConfig, ServiceSnapshot
from ecs_medic.aws.snapshot_network import LoadBalancer, NetworkAcl, Route, RouteTable, Subnet
from ecs_medic.context.expected import ExpectedSpec
from ecs_medic.findings import make_finding
from ecs_medic.remedies.lookups import Lookups, look_up
from ecs_medic.remedies.plan import Action, ApiCall, RemediationPlan
from ecs_medic.remedies.plan_lookup import plan_subnets
from ecs_medic.remedies.plan_network import plan_public_ip
from ecs_medic.remedies.plan_zones import plan_fargate_zones, plan_lb_zones
from ecs_medic.remedies.planners import build_plan
from ecs_medic.remedies.planton_plan import for_planton
from ecs_medic.remedies.verify import restored_checks

CAPACITY = make_finding("FARGATE_CAPACITY_UNAVAILABLE", summary="s", evidence=[], remediation="r")
LB_ZONE = make_finding("LB_AZ_NOT_ENABLED", summary="s", evidence=[], remediation="r")


def private(zone: str, free: int = 200) -> Subnet:
    return Subnet(f"subnet-priv-{zone}", VPC, f"{REGION}{zone}", f"10.20.{ord(zone)}.0/24", free)


def public(zone: str, free: int = 250, cidr: str | None = None) -> Subnet:
    block = cidr or f"10.20.{ord(zone) + 100}.0/24"
    return Subnet(f"subnet-pub-{zone}", VPC, f"{REGION}{zone}", block, free, True)


def alb(*zones: str, kind: str = "application") -> LoadBalancer:
    """ledger-alb, internet-facing, in the public subnets of `zones`."""
    return LoadBalancer(
        LB_ARN, "ledger-alb", kind, "internet-facing", "active", VPC,
        tuple(f"{REGION}{z}" for z in zones), tuple(f"subnet-pub-{z}" for z in zones), (ALB_SG,),
    )  # fmt: skip


def vpc(
    subnets: tuple[Subnet, ...], *, task_zones: str, balancer: LoadBalancer | None
) -> tuple[ServiceSnapshot, Lookups]:
    """ledger-api in the private subnets of `task_zones`; every subnet of the VPC looked up."""
    privates = tuple(s.id for s in subnets if not s.map_public_ip_on_launch)
    publics = tuple(s.id for s in subnets if s.map_public_ip_on_launch)
    tables = (
        RouteTable("rtb-private", VPC, (Route("0.0.0.0/0", nat_gateway_id=NAT),), privates),
        RouteTable("rtb-public", VPC, (Route("0.0.0.0/0", gateway_id=IGW),), publics),
    )
    ids = tuple(f"subnet-priv-{z}" for z in task_zones)
    acl = replace(allow_all_acl(), subnet_ids=tuple(s.id for s in subnets))
    view = network_view(
        subnets=tuple(s for s in subnets if s.id in ids), route_tables=tables,
        network_acls=(acl,), load_balancers=(balancer,) if balancer else (),
    )  # fmt: skip
    svc = replace(service(), network=NetworkConfig(ids, ("sg-task",), "DISABLED"))
    if balancer is None:
        svc = replace(svc, load_balancers=())
    return snapshot(service=svc, network=view), Lookups(vpc_subnets=subnets)


def subnets_of(call: ApiCall) -> list[str]:
    return list(call.params["networkConfiguration"]["awsvpcConfiguration"]["subnets"])


THREE_ZONES = (*(private(z) for z in "abc"), *(public(z) for z in "abc"))


# --- FARGATE_CAPACITY_UNAVAILABLE ---------------------------------------------------------------


def test_capacity_adds_the_private_subnet_in_the_other_zone_the_alb_serves():
    """Pinned to a: private b joins (not c, which the ALB lacks; not public b) and rolls back."""
    shot, lookups = vpc(THREE_ZONES, task_zones="a", balancer=alb("a", "b"))
    action = plan_fargate_zones(CAPACITY, shot, lookups)
    assert isinstance(action, Action)
    assert (["subnet-priv-a", "subnet-priv-b"], ["subnet-priv-a"], True) == (
        subnets_of(action.steps[0]),
        subnets_of(action.rollback[0]),
        action.steps[0].params["forceNewDeployment"],
    )
    assert (
        "DISABLED"
        == (action.steps[0].params["networkConfiguration"]["awsvpcConfiguration"]["assignPublicIp"])
    )


def test_capacity_without_a_load_balancer_adds_one_subnet_in_each_other_zone():
    """No ALB to reach: b and c both join, one subnet each, the one with most free addresses."""
    roomier = replace(private("c", 4000), id="subnet-priv-c2", cidr="10.20.200.0/20")
    shot, lookups = vpc((*THREE_ZONES, roomier), task_zones="a", balancer=None)
    action = plan_fargate_zones(CAPACITY, shot, lookups)
    assert isinstance(action, Action)
    assert ["subnet-priv-a", "subnet-priv-b", "subnet-priv-c2"] == subnets_of(action.steps[0])


def test_capacity_skips_a_subnet_without_room_for_the_surge():
    """3 tasks at 200 % need 6 addresses: a private b with 5 free is not added."""
    subnets = (private("a"), private("b", free=5), *(public(z) for z in "ab"))
    shot, lookups = vpc(subnets, task_zones="a", balancer=alb("a", "b"))
    found = plan_fargate_zones(CAPACITY, shot, lookups)
    assert isinstance(found, str)
    assert f"no subnet outside {REGION}a" in found
    assert "at least 6 free addresses" in found


def test_capacity_skips_a_subnet_behind_another_network_acl():
    """A private subnet whose NACL differs may block what the current one allows."""
    shot, lookups = vpc(THREE_ZONES, task_zones="a", balancer=None)
    own = replace(shot.network.network_acls[0], subnet_ids=("subnet-priv-a", "subnet-priv-c"))
    strict = NetworkAcl("acl-strict", VPC, (), ("subnet-priv-b",))
    shot = replace(shot, network=replace(shot.network, network_acls=(own, strict)))
    action = plan_fargate_zones(CAPACITY, shot, lookups)
    assert isinstance(action, Action)
    assert ["subnet-priv-a", "subnet-priv-c"] == subnets_of(action.steps[0])


def test_capacity_only_outside_the_alb_zones_is_a_recommendation_to_enable_them_first():
    """Private c would do, but the ALB serves only a and b: adding it would strand tasks."""
    subnets = (private("a"), private("c"), public("a"), public("b"))
    shot, lookups = vpc(subnets, task_zones="a", balancer=alb("a", "b"))
    found = plan_fargate_zones(CAPACITY, shot, lookups)
    assert isinstance(found, str)
    assert f"subnet-priv-c ({REGION}c)" in found
    assert "set-subnets" in found


def test_capacity_with_no_other_subnet_on_spot_recommends_an_on_demand_base():
    """Nothing to add and a Spot-only strategy: create a subnet, or add FARGATE beside Spot."""
    subnets = (private("a"), public("a"), public("b"))
    shot, lookups = vpc(subnets, task_zones="a", balancer=alb("a", "b"))
    shot = replace(
        shot, service=replace(shot.service, capacity_provider_strategy=("FARGATE_SPOT",))
    )
    found = plan_fargate_zones(CAPACITY, shot, lookups)
    assert isinstance(found, str)
    assert (VPC in found, "FARGATE (on-demand) base" in found) == (True, True)


def test_exhausted_subnets_never_move_to_a_zone_the_alb_does_not_serve():
    """SUBNET_IP_EXHAUSTED shares the rule: a roomy private c is no way out for an a/b ALB."""
    subnets = (private("a", free=0), private("b", free=0), private("c"), public("a"), public("b"))
    exhausted = make_finding("SUBNET_IP_EXHAUSTED", summary="s", evidence=[], remediation="r")
    shot, lookups = vpc(subnets, task_zones="ab", balancer=alb("a", "b"))
    assert plan_subnets(exhausted, shot, lookups) is None
    shot, lookups = vpc(subnets, task_zones="ab", balancer=alb("a", "b", "c"))
    action = plan_subnets(exhausted, shot, lookups)
    assert isinstance(action, Action)
    assert ["subnet-priv-c"] == subnets_of(action.steps[0])


# --- LB_AZ_NOT_ENABLED --------------------------------------------------------------------------


def test_lb_zone_is_enabled_with_the_public_subnet_there_then_redeployed():
    """Tasks in a, b, c; the ALB in a, b: SetSubnets adds public c; the rollback removes it."""
    shot, lookups = vpc(THREE_ZONES, task_zones="abc", balancer=alb("a", "b"))
    action = plan_lb_zones(LB_ZONE, shot, lookups)
    assert isinstance(action, Action)
    key = {"LoadBalancerArn": LB_ARN}
    assert [
        ApiCall("elbv2", "SetSubnets", key | {"Subnets": ["subnet-pub-a", "subnet-pub-b",
                                                          "subnet-pub-c"]}),
        ("ecs", "UpdateService", True),
    ] == [action.steps[0], (action.steps[1].service, action.steps[1].operation,
                            action.steps[1].params["forceNewDeployment"])]  # fmt: skip
    assert [
        ApiCall("elbv2", "SetSubnets", key | {"Subnets": ["subnet-pub-a", "subnet-pub-b"]})
    ] == list(action.rollback)


def test_lb_zone_already_left_by_the_subnets_is_a_redeploy():
    """Tasks still run in c, but the service's subnets are all in a and b now: redeploy."""
    shot, lookups = vpc(THREE_ZONES, task_zones="ab", balancer=alb("a", "b"))
    action = plan_lb_zones(LB_ZONE, shot, lookups)
    assert isinstance(action, Action)
    assert (["ecs:UpdateService"], True, ()) == (
        [s.source for s in action.steps],
        action.steps[0].params["forceNewDeployment"],
        action.rollback,
    )
    assert action.title.startswith("Redeploy")


def test_lb_zone_without_a_public_subnet_drops_that_zone_from_the_service():
    """Only private c exists: the internet-facing ALB never gets it; the service leaves c."""
    subnets = (*(private(z) for z in "abc"), public("a"), public("b"))
    shot, lookups = vpc(subnets, task_zones="abc", balancer=alb("a", "b"))
    action = plan_lb_zones(LB_ZONE, shot, lookups)
    assert isinstance(action, Action)
    assert [("ecs", "UpdateService")] == [(s.service, s.operation) for s in action.steps]
    assert (["subnet-priv-a", "subnet-priv-b"], [f"subnet-priv-{z}" for z in "abc"]) == (
        subnets_of(action.steps[0]),
        subnets_of(action.rollback[0]),
    )


def test_lb_zone_subnet_smaller_than_a_slash_27_is_not_given_to_the_alb():
    """ELB wants a /27 or larger: a /28 public c is no candidate; the service leaves c."""
    subnets = (*(private(z) for z in "abc"), public("a"), public("b"),
               public("c", free=11, cidr="10.20.199.0/28"))  # fmt: skip
    shot, lookups = vpc(subnets, task_zones="abc", balancer=alb("a", "b"))
    action = plan_lb_zones(LB_ZONE, shot, lookups)
    assert isinstance(action, Action)
    assert all(s.operation != "SetSubnets" for s in action.steps)


def test_lb_zone_with_no_subnet_and_nothing_left_is_a_precise_recommendation():
    """The service runs only in c, where no public subnet exists: create one or move it."""
    subnets = (private("c"), public("a"), public("b"))
    shot, lookups = vpc(subnets, task_zones="c", balancer=alb("a", "b"))
    found = plan_lb_zones(LB_ZONE, shot, lookups)
    assert isinstance(found, str)
    assert (
        f"LB_AZ_NOT_ENABLED: the service runs only in {REGION}c, and {VPC} has no subnet there"
        in found
    )
    assert f"set-subnets, or move the service to subnets in {REGION}a, {REGION}b." in found


def test_lb_zone_on_a_network_load_balancer_is_a_recommendation():
    """ecs-medic only adds zones to application load balancers."""
    shot, lookups = vpc(THREE_ZONES, task_zones="abc", balancer=alb("a", "b", kind="network"))
    found = plan_lb_zones(LB_ZONE, shot, lookups)
    assert isinstance(found, str)
    assert "ledger-alb (network)" in found


def test_both_codes_read_the_vpc_subnets_before_planning():
    """The lookup reads DescribeSubnets in the service's VPC, and each plan gets its action."""
    listed = [
        {"SubnetId": s.id, "VpcId": VPC, "AvailabilityZone": s.availability_zone,
         "CidrBlock": s.cidr, "AvailableIpAddressCount": s.available_ips,
         "MapPublicIpOnLaunch": s.map_public_ip_on_launch}
        for s in THREE_ZONES
    ]  # fmt: skip
    gateway = FakeGateway({("ec2", "DescribeSubnets"): {"Subnets": listed}})
    for finding, zones in ((CAPACITY, "a"), (LB_ZONE, "abc")):
        shot, _ = vpc(THREE_ZONES, task_zones=zones, balancer=alb("a", "b"))
        shot = replace(shot, network=replace(shot.network, subnets=THREE_ZONES))
        lookups = look_up(gateway, [finding], shot)
        assert (6, finding.code) == (
            len(lookups.vpc_subnets),
            build_plan([finding], shot, lookups).actions[0].code,
        )
    assert [{"Filters": [{"Name": "vpc-id", "Values": [VPC]}]}] * 2 == [c[2] for c in gateway.calls]


# --- rollback check -----------------------------------------------------------------------------


def test_rollback_check_sees_an_extra_service_subnet_and_an_extra_alb_subnet():
    """A rollback that left the added subnets in place is not "restored"; the same set is."""
    before, _ = vpc(THREE_ZONES, task_zones="ab", balancer=alb("a", "b"))
    moved, _ = vpc(THREE_ZONES, task_zones="abc", balancer=alb("a", "b", "c"))
    reordered, _ = vpc(THREE_ZONES, task_zones="ba", balancer=alb("b", "a"))
    checks = {c.name: c.ok for c in restored_checks(before, moved)}
    assert (False, False) == (
        checks["network configuration restored"],
        checks["load balancer subnets restored"],
    )
    assert all(c.ok for c in restored_checks(before, reordered))


# --- on a Planton-managed service -----------------------------------------------------------------


def test_on_planton_the_added_subnet_is_a_spec_change_and_a_public_ip_flip_still_is_not():
    """Keeping assignPublicIp is no change Planton cannot express; turning it on still is."""
    shot, lookups = vpc(THREE_ZONES, task_zones="a", balancer=alb("a", "b"))
    spec = ExpectedSpec("org/prod/web", "res-1", subnets=("subnet-priv-a",))
    zones = plan_fargate_zones(CAPACITY, shot, lookups)
    flip = plan_public_ip(replace(CAPACITY, code="NO_PUBLIC_IP_IN_PUBLIC_SUBNET"), shot)
    assert isinstance(zones, Action)
    assert isinstance(flip, Action)
    plan = for_planton(RemediationPlan(actions=(zones, flip)), spec)
    [action] = plan.actions
    assert (
        {
            "network.subnets": ["subnet-priv-a", "subnet-priv-b"],
            "network.security_groups": ["sg-task"],
        },
        {"forceNewDeployment": True},
    ) == (
        action.steps[0].params["changes"],
        {k: v for k, v in action.steps[1].params.items() if k not in ("cluster", "service")},
    )
    assert "changes assignPublicIp" in plan.recommendations[0]

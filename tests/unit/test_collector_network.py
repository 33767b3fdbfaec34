"""The network view: what is read for the service's path, and how it is batched."""

from __future__ import annotations

from fake_account import LB, LISTENER, OTHER_TG, TARGET, TG, VPC, account
from fake_gateway import denied

from ecs_medic.aws.collector import Collector


def test_all_security_groups_are_read_in_one_call():
    """Task, load balancer and interface-endpoint groups in one DescribeSecurityGroups."""
    gateway = account()
    snapshot = Collector(gateway).collect(TARGET)
    calls = [p for _, op, p in gateway.calls if op == "DescribeSecurityGroups"]
    assert [["sg-task", "sg-alb", "sg-endpoints"]] == [p["GroupIds"] for p in calls]
    assert ["sg-task", "sg-alb", "sg-endpoints"] == [g.id for g in snapshot.network.security_groups]


def test_vpc_wide_reads_are_filtered_by_the_services_vpc():
    """Route tables, NAT and internet gateways, endpoints and NACLs come from the task VPC."""
    gateway = account()
    Collector(gateway).collect(TARGET)
    filters = {
        op: (p.get("Filters") or p.get("Filter"))[0]["Values"]
        for _, op, p in gateway.calls
        if op
        in (
            "DescribeRouteTables",
            "DescribeNatGateways",
            "DescribeInternetGateways",
            "DescribeVpcEndpoints",
            "DescribeNetworkAcls",
        )
    }
    assert {op: [VPC] for op in filters} == filters
    assert 5 == len(filters)


def test_subnet_route_and_gateway_state_are_visible():
    """A private subnet's explicit table, its blackholed NAT route and the failed NAT."""
    network = Collector(account()).collect(TARGET).network
    table = network.route_table_for("subnet-a1")
    assert table is not None
    assert ("rtb-private", "nat-1", "blackhole") == (
        table.id,
        table.routes[0].nat_gateway_id,
        table.routes[0].state,
    )
    assert "rtb-main" == getattr(network.route_table_for("subnet-b2"), "id", None)
    assert ["failed"] == [n.state for n in network.nat_gateways]
    assert [("igw-1", (VPC,))] == [(g.id, g.vpc_ids) for g in network.internet_gateways]


def test_vpc_dns_attributes_and_endpoints_are_read():
    """enableDnsSupport / enableDnsHostnames and the endpoint's private DNS flag."""
    network = Collector(account()).collect(TARGET).network
    assert [(VPC, "10.1.0.0/16", True, False)] == [
        (v.id, v.cidr, v.dns_support, v.dns_hostnames) for v in network.vpcs
    ]
    endpoint = network.vpc_endpoints[0]
    assert ("com.amazonaws.eu-west-1.ecr.dkr", "Interface", False, ("sg-endpoints",)) == (
        endpoint.service_name,
        endpoint.endpoint_type,
        endpoint.private_dns_enabled,
        endpoint.security_group_ids,
    )


def test_nacl_entries_keep_direction_ports_and_action():
    """The deny on egress 443 survives parsing with its rule number."""
    acl = Collector(account()).collect(TARGET).network.network_acl_for("subnet-a1")
    assert acl is not None
    assert [(90, True, "6", "deny", 443, 443)] == [
        (e.rule_number, e.egress, e.protocol, e.action, e.from_port, e.to_port) for e in acl.entries
    ]


def test_listener_rules_are_read_when_the_default_action_misses_the_service():
    """The default action forwards elsewhere; a weighted rule forwards to the service's group."""
    network = Collector(account()).collect(TARGET).network
    assert [(LISTENER, LB, 443, (OTHER_TG, TG))] == [
        (li.arn, li.load_balancer_arn, li.port, li.target_group_arns) for li in network.listeners
    ]


def test_listener_rules_are_not_read_when_the_default_action_forwards_to_the_service():
    """One call less when the listener's default action already names the target group."""
    gateway = account()
    listeners = gateway.answers["elbv2", "DescribeListeners"]
    assert isinstance(listeners, dict)
    listeners["Listeners"][0]["DefaultActions"] = [{"Type": "forward", "TargetGroupArn": TG}]
    Collector(gateway).collect(TARGET)
    assert "DescribeRules" not in {op for _, op, _ in gateway.calls}


def test_load_balancer_subnets_are_added_to_the_task_subnets():
    """The ALB's public subnet is described too, so its AZ and NACL can be compared."""
    network = Collector(account()).collect(TARGET).network
    assert [("subnet-a1", False), ("subnet-b2", False), ("subnet-pub1", True)] == [
        (s.id, s.map_public_ip_on_launch) for s in network.subnets
    ]
    assert [("eu-west-1a",)] == [lb.availability_zones for lb in network.load_balancers]


def test_denied_subnets_leave_the_vpc_from_the_target_group():
    """Without DescribeSubnets the VPC still comes from the target group; one gap."""
    gateway = account(**{"ec2:DescribeSubnets": denied("ec2", "DescribeSubnets")})
    snapshot = Collector(gateway).collect(TARGET)
    assert [VPC] == [v.id for v in snapshot.network.vpcs]
    assert {"ec2:DescribeSubnets"} == {g.source for g in snapshot.gaps}


def test_service_without_load_balancer_reads_no_elbv2():
    """No target groups: no ELBv2 call at all."""
    gateway = account()
    answer = gateway.answers["ecs", "DescribeServices"]
    assert isinstance(answer, dict)
    answer["services"][0]["loadBalancers"] = []
    snapshot = Collector(gateway).collect(TARGET)
    assert set() == {s for s, _, _ in gateway.calls if s == "elbv2"}
    assert ((), ()) == (snapshot.network.load_balancers, snapshot.network.listeners)


def test_subnets_short_of_ips_are_searched_for_idle_interfaces():
    """3 free IPs each: available ENIs in the task subnets are listed in one call."""
    gateway = account()
    network = Collector(gateway).collect(TARGET).network
    (request,) = [p for _, op, p in gateway.calls if op == "DescribeNetworkInterfaces"]
    assert [
        {"Name": "subnet-id", "Values": ["subnet-a1", "subnet-b2"]},
        {"Name": "status", "Values": ["available"]},
    ] == request["Filters"]
    assert [("eni-leak", "subnet-a1")] == [(i.id, i.subnet_id) for i in network.idle_interfaces]


def test_subnets_with_room_are_not_searched_for_idle_interfaces():
    """Plenty of free IPs: no DescribeNetworkInterfaces call."""
    gateway = account()
    subnets = gateway.answers["ec2", "DescribeSubnets"]
    assert callable(subnets)
    gateway.answers["ec2", "DescribeSubnets"] = lambda p: {
        "Subnets": [{**s, "AvailableIpAddressCount": 250} for s in subnets(p)["Subnets"]]
    }
    Collector(gateway).collect(TARGET)
    assert "DescribeNetworkInterfaces" not in {op for _, op, _ in gateway.calls}


def test_dns_attributes_are_not_read_without_interface_endpoints():
    """Only interface endpoints' private DNS depends on them: no endpoint, no call."""
    gateway = account(**{"ec2:DescribeVpcEndpoints": {"VpcEndpoints": []}})
    network = Collector(gateway).collect(TARGET).network
    assert "DescribeVpcAttribute" not in {op for _, op, _ in gateway.calls}
    assert [(None, None)] == [(v.dns_support, v.dns_hostnames) for v in network.vpcs]

"""The collector against the running lab through boto3: every view filled, calls counted.

One lab serves several scenarios (each in its own cluster), so the collector meets the same
moto answers the CLI does. Gaps from operations moto lacks are allowed only where listed.
"""

from __future__ import annotations

from collections.abc import Iterator

import boto3
import pytest

from ecs_medic.aws.collector import Collector
from ecs_medic.aws.direct_transport import DirectGateway
from ecs_medic.aws.gateway import CountingGateway
from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.lab import Lab
from ecs_medic.lab_settings import lab_target

pytestmark = pytest.mark.lab
SCENARIOS = ["healthy", "kms-decrypt-denied", "vpc-endpoint-private-dns-off", "sg-blocks-alb"]


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab.start(SCENARIOS) as started:
        yield started


def collect(lab: Lab, scenario: str) -> tuple[ServiceSnapshot, CountingGateway]:
    """Collect one scenario's service with a fresh gateway."""
    env = lab.env()
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=lab.region,
    )
    gateway = CountingGateway(DirectGateway(session, lab.region, endpoint_url=lab.endpoint_url))
    target = lab_target(lab, scenario)
    return Collector(gateway).collect(target), gateway


def test_healthy_service_fills_every_view_without_gaps(lab):
    """Network path, roles and simulation, log group, cluster and metrics; no gap."""
    snapshot, _ = collect(lab, "healthy")
    network, access, capacity = snapshot.network, snapshot.access, snapshot.capacity
    assert () == snapshot.gaps
    assert (1, 4, 1, 1, 2, 1, 1) == (
        len(network.vpcs),
        len(network.subnets),  # two task subnets, two load balancer subnets
        len(network.nat_gateways),
        len(network.internet_gateways),
        len(network.security_groups),
        len(network.load_balancers),
        len(network.listeners),
    )
    task_subnet = snapshot.service.network.subnets[0] if snapshot.service.network else ""
    table = network.route_table_for(task_subnet)
    assert table is not None
    assert any(r.nat_gateway_id for r in table.routes)
    assert network.network_acl_for(task_subnet) is not None
    assert ["execution", "task", "service-linked"] == [r.purpose for r in access.roles]
    assert access.service_linked_role_exists is True
    assert [True] * 6 == [d.allowed for d in access.decisions]
    assert [True] == [g.exists for g in access.log_groups]
    assert capacity.cluster is not None
    assert ("containerInsights", "enabled") in capacity.cluster.settings
    assert ["CPUUtilization", "MemoryUtilization"] == [m.name for m in capacity.metrics]


def test_healthy_service_costs_exactly_these_calls(lab):
    """38 calls: each source once, batched, and nothing the service does not need."""
    _, gateway = collect(lab, "healthy")
    assert {
        "application-autoscaling:DescribeScalableTargets": 1,
        "cloudtrail:LookupEvents": 3,  # RegisterTaskDefinition, CreateService, UpdateService
        "cloudwatch:GetMetricData": 1,
        "ec2:DescribeInternetGateways": 1,
        "ec2:DescribeNatGateways": 1,
        "ec2:DescribeNetworkAcls": 1,
        "ec2:DescribeRouteTables": 1,
        "ec2:DescribeSecurityGroups": 1,
        "ec2:DescribeSubnets": 2,
        "ec2:DescribeVpcEndpoints": 1,
        "ec2:DescribeVpcs": 1,
        "ecr:BatchGetImage": 1,
        "ecs:DescribeClusters": 1,
        "ecs:DescribeServices": 1,
        "ecs:DescribeTaskDefinition": 1,
        "ecs:DescribeTasks": 1,
        "ecs:ListTasks": 2,
        "elbv2:DescribeListeners": 1,
        "elbv2:DescribeLoadBalancers": 1,
        "elbv2:DescribeTargetGroups": 1,
        "elbv2:DescribeTargetHealth": 1,
        "iam:GetRole": 3,
        "iam:ListAttachedRolePolicies": 3,
        "iam:ListRolePolicies": 3,
        "iam:SimulatePrincipalPolicy": 1,
        "logs:DescribeLogGroups": 1,
        "logs:GetLogEvents": 2,
    } == dict(gateway.operations)
    assert 38 == gateway.api_calls


def test_customer_key_of_a_secret_is_simulated_and_denied(lab):
    """The secret exists with a customer key; kms:Decrypt on it is not allowed."""
    snapshot, _ = collect(lab, "kms-decrypt-denied")
    (secret,) = snapshot.access.secrets
    assert (True, "secretsmanager", "DB_PASSWORD") == (secret.exists, secret.kind, secret.name)
    assert secret.kms_key_id is not None
    decrypts = [d for d in snapshot.access.decisions if d.action == "kms:Decrypt"]
    assert [(False, "secret DB_PASSWORD")] == [(d.allowed, d.purpose) for d in decrypts]
    reads = [d for d in snapshot.access.decisions if d.action == "secretsmanager:GetSecretValue"]
    assert [True] == [d.allowed for d in reads]


def test_interface_endpoint_and_its_security_group_are_collected(lab):
    """ecr.dkr with Private DNS off, and the endpoint's SG read with the task's."""
    network = collect(lab, "vpc-endpoint-private-dns-off")[0].network
    dkr = [e for e in network.vpc_endpoints if e.service_name.endswith(".ecr.dkr")]
    assert [("Interface", False)] == [(e.endpoint_type, e.private_dns_enabled) for e in dkr]
    assert [(True, True)] == [(v.dns_support, v.dns_hostnames) for v in network.vpcs]
    groups = {g.id for g in network.security_groups}
    assert set(dkr[0].security_group_ids) <= groups
    assert [] == [t for t in network.route_tables for r in t.routes if r.nat_gateway_id]


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_failing_or_not_every_family_is_read(lab, scenario):
    """Each scenario gets its network, access and capacity views; gaps only where moto lacks."""
    snapshot, _ = collect(lab, scenario)
    assert snapshot.network.security_groups
    assert snapshot.access.roles
    assert snapshot.capacity.cluster is not None
    assert [] == [g.source for g in snapshot.gaps]  # the lab stubs what moto lacks

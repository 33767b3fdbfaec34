"""Parsing the new families' JSON in the shapes boto3, the AWS CLI and the raw API return."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from ecs_medic.aws import parsing_access, parsing_capacity, parsing_network
from ecs_medic.aws.snapshot_capacity import TrackingPolicy

TRUST = {
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": ["ecs-tasks.amazonaws.com", "ec2.amazonaws.com"]},
            "Action": ["sts:AssumeRole", "sts:TagSession"],
        },
        {"Effect": "Deny", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:*"},
    ]
}


@pytest.mark.parametrize(
    "document", [TRUST, json.dumps(TRUST), quote(json.dumps(TRUST))], ids=["dict", "json", "url"]
)
def test_trust_policy_is_read_from_every_shape(document):
    """A dict (boto3), JSON text (CLI) or URL-encoded text (raw IAM) give the same principals."""
    assert ("ecs-tasks.amazonaws.com", "ec2.amazonaws.com") == parsing_access.trusted_services(
        document
    )


def test_unreadable_policy_document_trusts_nobody():
    """Garbage is no trust at all, not a crash."""
    assert () == parsing_access.trusted_services("%7Bnot json")


def test_resource_specific_results_become_one_decision_each():
    """EvaluationResults with ResourceSpecificResults expand per resource."""
    response = {
        "EvaluationResults": [
            {
                "EvalActionName": "secretsmanager:GetSecretValue",
                "EvalResourceName": "*",
                "EvalDecision": "implicitDeny",
                "ResourceSpecificResults": [
                    {"EvalResourceName": "arn:s1", "EvalResourceDecision": "allowed"},
                    {"EvalResourceName": "arn:s2", "EvalResourceDecision": "explicitDeny"},
                ],
            }
        ]
    }
    decisions = parsing_access.parse_decisions("arn:role", response)
    assert [("arn:s1", True), ("arn:s2", False)] == [(d.resource, d.allowed) for d in decisions]


def test_single_platform_manifest_has_no_platform_list():
    """A plain image manifest does not name its platform; only indexes do."""
    manifest = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
    }
    assert parsing_access.parse_manifest("img", json.dumps(manifest)) is None


def test_docker_manifest_list_keeps_variants():
    """linux/arm64/v8 keeps its variant so an analyzer can tell arm variants apart."""
    manifest = {
        "mediaType": "application/vnd.docker.distribution.manifest.list.v2+json",
        "manifests": [
            {"platform": {"os": "linux", "architecture": "amd64"}},
            {"platform": {"os": "linux", "architecture": "arm64", "variant": "v8"}},
        ],
    }
    parsed = parsing_access.parse_manifest("img", manifest)
    assert parsed is not None
    assert ("linux/amd64", "linux/arm64/v8") == parsed.platforms


@pytest.mark.parametrize("key", [None, "alias/aws/secretsmanager", "arn:aws:kms:r:1:alias/aws/ssm"])
def test_aws_managed_keys_are_not_customer_keys(key):
    """Only customer-managed keys need kms:Decrypt on the execution role."""
    assert parsing_access.customer_key(key) is None


def test_vpc_attribute_flags_accept_text():
    """`{"Value": "true"}` from a text transport reads as True."""
    vpc = parsing_network.parse_vpc(
        {"VpcId": "vpc-1"},
        {"EnableDnsSupport": {"Value": "true"}},
        {"EnableDnsHostnames": {"Value": "false"}},
    )
    assert (True, False) == (vpc.dns_support, vpc.dns_hostnames)


def test_detached_internet_gateway_names_no_vpc():
    """A gateway whose attachment is detaching does not serve the VPC."""
    gateway = parsing_network.parse_internet_gateway(
        {"InternetGatewayId": "igw-1", "Attachments": [{"VpcId": "vpc-1", "State": "detaching"}]}
    )
    assert () == gateway.vpc_ids


def test_ipv6_only_route_keeps_its_destination():
    """A ::/0 route to an egress-only gateway is not lost."""
    route = parsing_network.parse_route({"DestinationIpv6CidrBlock": "::/0", "GatewayId": "eigw-1"})
    assert ("::/0", "eigw-1") == (route.destination_cidr, route.gateway_id)


def test_asg_name_comes_from_the_arn():
    """The name follows autoScalingGroupName/ in the ARN."""
    assert "my-asg" == parsing_capacity.asg_name(
        "arn:aws:autoscaling:r:1:autoScalingGroup:uuid:autoScalingGroupName/my-asg"
    )


def test_scaling_activity_time_accepts_epoch_and_text():
    """StartTime as epoch seconds (JSON) and ISO text both parse to the same instant."""
    epoch = parsing_capacity.parse_scaling_activity(
        {"StatusCode": "Successful", "StartTime": 1795687200}
    )
    text = parsing_capacity.parse_scaling_activity(
        {"StatusCode": "Successful", "StartTime": "2026-11-26T10:00:00Z"}
    )
    assert epoch.start_time == text.start_time


def test_scalable_target_keeps_the_names_of_the_suspended_flags():
    found = parsing_capacity.parse_scalable_target(
        {
            "MinCapacity": 2,
            "MaxCapacity": 6,
            "SuspendedState": {
                "DynamicScalingInSuspended": True,
                "DynamicScalingOutSuspended": False,
                "ScheduledScalingSuspended": True,
            },
        }
    )
    expected = ("DynamicScalingInSuspended", "ScheduledScalingSuspended")
    assert (True, expected) == (found.suspended, found.suspended_flags)


def test_target_tracking_policies_name_their_metric_and_target():
    tracking = {
        "PolicyName": "cpu70",
        "TargetTrackingScalingPolicyConfiguration": {
            "TargetValue": 70.0,
            "PredefinedMetricSpecification": {
                "PredefinedMetricType": "ECSServiceAverageCPUUtilization"
            },
        },
    }
    step = {"PolicyName": "steps", "StepScalingPolicyConfiguration": {}}
    assert TrackingPolicy("cpu70", "ECSServiceAverageCPUUtilization", 70.0) == (
        parsing_capacity.parse_tracking_policy(tracking)
    )
    assert parsing_capacity.parse_tracking_policy(step) is None


def test_a_scale_in_alarm_in_alarm_does_not_call_for_capacity():
    """Target tracking's AlarmLow in ALARM means low load; only the high alarm counts."""
    response = {
        "MetricAlarms": [
            {
                "AlarmName": "high",
                "StateValue": "ALARM",
                "ComparisonOperator": "GreaterThanThreshold",
            },
            {"AlarmName": "low", "StateValue": "ALARM", "ComparisonOperator": "LessThanThreshold"},
            {"AlarmName": "calm", "StateValue": "OK", "ComparisonOperator": "GreaterThanThreshold"},
        ],
        "CompositeAlarms": [{"AlarmName": "both", "StateValue": "ALARM"}],
    }
    assert ("high", "both") == parsing_capacity.alarms_in_alarm(response)

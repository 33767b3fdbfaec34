"""Collecting a snapshot through a gateway: the service, tasks, logs, images, gaps and cost."""

from __future__ import annotations

from collections import Counter

import pytest
from fake_account import (
    IMAGE,
    TARGET,
    TD,
    TD_PREVIOUS,
    account,
    not_found,
    server_error,
)
from fake_gateway import denied

from ecs_medic.aws.collector import Collector
from ecs_medic.errors import AwsAccessError


def test_denied_source_becomes_a_gap_and_the_rest_is_collected():
    """AccessDenied on target health is recorded; tasks and logs still arrive."""
    gateway = account(**{"elbv2:DescribeTargetHealth": denied("elbv2", "DescribeTargetHealth")})
    snapshot = Collector(gateway).collect(TARGET)
    assert [("elbv2:DescribeTargetHealth", "AccessDenied")] == [
        (g.source, g.reason) for g in snapshot.gaps
    ]
    assert 137 == snapshot.stopped_tasks[0].containers[0].exit_code
    assert [("svc/app/aaa111", "heap at 98%"), ("svc/envoy/aaa111", "heap at 98%")] == sorted(
        (e.log_stream, e.message) for e in snapshot.logs_for_task("aaa111")
    )


def test_logs_are_read_from_the_failed_tasks_awslogs_streams():
    """One stream per awslogs container of the failed task: <prefix>/<container>/<task id>."""
    gateway = account()
    Collector(gateway).collect(TARGET)
    streams = [p["logStreamName"] for _, op, p in gateway.calls if op == "GetLogEvents"]
    assert ["svc/app/aaa111", "svc/envoy/aaa111"] == sorted(streams)


def test_missing_log_stream_is_not_a_gap():
    """A task that never started has no stream; ResourceNotFound is not a failed source."""
    gateway = account(
        **{"logs:GetLogEvents": not_found("logs", "GetLogEvents", "ResourceNotFoundException")}
    )
    snapshot = Collector(gateway).collect(TARGET)
    assert ((), ()) == (snapshot.gaps, snapshot.log_events)


def test_previous_revision_is_collected_for_comparison():
    """Revision 6 is read next to revision 7, the last good candidate."""
    snapshot = Collector(account()).collect(TARGET)
    assert [TD, TD_PREVIOUS] == [td.arn for td in snapshot.task_definitions]


def test_missing_previous_revision_is_neither_a_definition_nor_a_gap():
    """DescribeTaskDefinition's ClientException for a deleted revision is an answer."""
    gateway = account()
    answer = gateway.answers["ecs", "DescribeTaskDefinition"]
    assert callable(answer)
    gateway.answers["ecs", "DescribeTaskDefinition"] = lambda p: (
        answer(p) if p["taskDefinition"] == TD else answer({"taskDefinition": "gone"})
    )
    snapshot = Collector(gateway).collect(TARGET)
    assert ([TD], ()) == ([td.arn for td in snapshot.task_definitions], snapshot.gaps)


def test_missing_ecr_tag_is_evidence_not_a_gap():
    """A BatchGetImage failure ImageNotFound marks the image missing; no gap."""
    gateway = account(
        **{
            "ecr:BatchGetImage": {
                "images": [],
                "failures": [
                    {
                        "imageId": {"imageTag": "2.0.1"},
                        "failureCode": "ImageNotFound",
                        "failureReason": "Requested image not found",
                    }
                ],
            }
        }
    )
    snapshot = Collector(gateway).collect(TARGET)
    assert [(IMAGE, False, "ImageNotFoundException", "ecr:BatchGetImage")] == [
        (i.image, i.exists, i.error_code, i.source) for i in snapshot.images
    ]
    assert () == snapshot.gaps


def test_missing_repository_is_evidence_not_a_gap():
    """RepositoryNotFoundException marks every image of the repository missing."""
    error = not_found("ecr", "BatchGetImage", "RepositoryNotFoundException")
    snapshot = Collector(account(**{"ecr:BatchGetImage": error})).collect(TARGET)
    assert [(False, "RepositoryNotFoundException")] == [
        (i.exists, i.error_code) for i in snapshot.images
    ]
    assert () == snapshot.gaps


def test_unreadable_registry_is_a_gap_not_a_missing_image():
    """A denied BatchGetImage leaves the image unchecked rather than reported missing."""
    snapshot = Collector(account(**{"ecr:BatchGetImage": denied("ecr", "BatchGetImage")})).collect(
        TARGET
    )
    assert ((), ["ecr:BatchGetImage"]) == (snapshot.images, [g.source for g in snapshot.gaps])


def test_image_index_platforms_are_kept_without_attestations():
    """An OCI index's platforms become the manifest; unknown/unknown entries are dropped."""
    snapshot = Collector(account()).collect(TARGET)
    assert [(IMAGE, ("linux/arm64",))] == [
        (m.image, m.platforms) for m in snapshot.access.manifests
    ]


def test_environment_and_secret_values_never_enter_the_snapshot():
    """Only names are kept, and no call that returns a value is made."""
    gateway = account()
    snapshot = Collector(gateway).collect(TARGET)
    operations = {op for _, op, _ in gateway.calls}
    assert "hunter2" not in repr(snapshot)
    assert set() == operations & {"GetSecretValue", "GetParameters", "GetParameter"}
    assert not any("WithDecryption" in p for _, _, p in gateway.calls)


def test_unreadable_service_is_an_access_error():
    """Without the service itself there is nothing to diagnose: exit 3."""
    gateway = account(**{"ecs:DescribeServices": denied("ecs", "DescribeServices")})
    with pytest.raises(AwsAccessError, match="ecs:DescribeServices"):
        Collector(gateway).collect(TARGET)


def test_operations_moto_lacks_become_gaps():
    """HTTP 500 for SimulatePrincipalPolicy and ListServiceDeployments: gaps, no crash."""
    gateway = account(
        **{
            "iam:SimulatePrincipalPolicy": server_error("iam", "SimulatePrincipalPolicy"),
            "ecs:ListServiceDeployments": server_error("ecs", "ListServiceDeployments"),
        }
    )
    snapshot = Collector(gateway).collect(TARGET)
    assert ["ecs:ListServiceDeployments", "iam:SimulatePrincipalPolicy"] == sorted(
        g.source for g in snapshot.gaps
    )
    assert ((), ()) == (snapshot.access.decisions, snapshot.capacity.circuit_breakers)


def test_one_fargate_service_costs_these_calls():
    """Every source once, batched; nothing for EC2 capacity or autoscaling without a target."""
    gateway = account()
    Collector(gateway).collect(TARGET)
    assert {
        "application-autoscaling:DescribeScalableTargets": 1,
        "cloudtrail:LookupEvents": 3,  # RegisterTaskDefinition, CreateService, UpdateService
        "cloudwatch:GetMetricData": 1,
        "ec2:DescribeInternetGateways": 1,
        "ec2:DescribeNatGateways": 1,
        "ec2:DescribeNetworkInterfaces": 1,  # the task subnets have 3 free IPs each
        "ec2:DescribeNetworkAcls": 1,
        "ec2:DescribeRouteTables": 1,
        "ec2:DescribeSecurityGroups": 1,
        "ec2:DescribeSubnets": 2,  # task subnets, then the load balancer's
        "ec2:DescribeVpcAttribute": 2,
        "ec2:DescribeVpcEndpoints": 1,
        "ec2:DescribeVpcs": 1,
        "ecr:BatchGetImage": 1,
        "ecs:DescribeClusters": 1,
        "ecs:DescribeServiceDeployments": 1,
        "ecs:DescribeServices": 1,
        "ecs:DescribeTaskDefinition": 2,  # current and previous revision
        "ecs:DescribeTasks": 1,
        "ecs:ListServiceDeployments": 1,
        "ecs:ListTasks": 2,
        "elbv2:DescribeListeners": 1,
        "elbv2:DescribeLoadBalancers": 1,
        "elbv2:DescribeRules": 1,
        "elbv2:DescribeTargetGroups": 1,
        "elbv2:DescribeTargetHealth": 1,
        "iam:GetRole": 3,  # execution, task, service-linked
        "iam:ListAttachedRolePolicies": 3,
        "iam:ListRolePolicies": 3,
        "iam:SimulatePrincipalPolicy": 1,
        "logs:DescribeLogGroups": 1,
        "logs:GetLogEvents": 2,
        "secretsmanager:DescribeSecret": 2,  # one per secret, not per reference
        "ssm:DescribeParameters": 1,
    } == dict(Counter(f"{s}:{op}" for s, op, _ in gateway.calls))

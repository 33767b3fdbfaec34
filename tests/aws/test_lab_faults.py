"""Injected faults: one operation answers with AWS's own error, in its own protocol."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from ecs_medic.lab import LabError
from ecs_medic.lab.faults import Fault

pytestmark = pytest.mark.lab


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as err:
        call()
    return err.value.response["Error"]["Code"], err.value.response["ResponseMetadata"][
        "HTTPStatusCode"
    ]


def test_deny_answers_each_protocol_with_its_access_denied(lab_factory):
    """JSON (ECS), query (ELBv2) and EC2 each get the error code that service really sends."""
    aws = lab_factory("healthy")
    for fault in ("ecs:DescribeTaskDefinition", "elbv2:DescribeTargetGroups", "logs:GetLogEvents"):
        aws.lab.inject(fault)
    assert ("AccessDeniedException", 400) == error_of(
        lambda: aws.ecs.describe_task_definition(taskDefinition="web")
    )
    assert ("AccessDenied", 403) == error_of(aws.elbv2.describe_target_groups)
    assert ("AccessDeniedException", 400) == error_of(
        lambda: aws.logs.get_log_events(logGroupName="/ecs/web", logStreamName="x")
    )


def test_other_operations_and_cleared_faults_pass(lab_factory):
    """Only the named operation fails, and only until the faults are cleared."""
    aws = lab_factory("healthy")
    aws.lab.inject("ecs:DescribeServices=Throttling")
    assert ("ThrottlingException", 400) == error_of(aws.service)
    assert aws.ecs.list_clusters()["clusterArns"]
    aws.lab.clear_faults()
    assert "web" == aws.service()["serviceName"]


@pytest.mark.parametrize("text", ["DescribeServices", "ecs:", "ecs:DescribeServices=Boom"])
def test_bad_fault_text_is_refused_with_the_format(text):
    """A malformed fault says how to write one."""
    with pytest.raises(LabError, match=r"service:Operation\[=AccessDenied\|Throttling\]"):
        Fault.parse(text)

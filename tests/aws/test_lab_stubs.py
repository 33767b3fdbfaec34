"""The lab's answers where moto 5.2.5 sends HTTP 500, over boto3 and the AWS MCP servers.

Task protection, service deployments and scaling activities.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.mcp_transport import open_mcp_gateway
from ecs_medic.lab import Lab
from ecs_medic.lab_settings import export_lab_env, lab_settings

pytestmark = pytest.mark.lab
CLUSTER, SERVICE = "prod", "web"
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """A release the circuit breaker failed and rolled back: three deployments in its history."""
    started = Lab.start(["bad-release-rolled-back"])
    yield started
    started.stop()


def client(lab: Lab, name: str) -> object:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=lab.region
    )
    return session.client(name, endpoint_url=lab.endpoint_url)  # type: ignore[call-overload]


def plain(value: Any) -> Any:
    """A response with its times as epoch seconds (boto3 parses them, the MCP servers do not)."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items() if k != "ResponseMetadata"}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return round(value.timestamp(), 3)
    if isinstance(value, str) and ISO.match(value):
        return round(datetime.fromisoformat(value).timestamp(), 3)
    return value


def test_service_deployments_show_the_rollback_and_the_breaker_counts(lab):
    """The failed release is ROLLBACK_SUCCESSFUL with its breaker TRIGGERED at threshold 3."""
    ecs = client(lab, "ecs")
    listed = ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE)["serviceDeployments"]
    assert ["ROLLBACK_SUCCESSFUL", "SUCCESSFUL"] == [d["status"] for d in listed]
    assert listed[0]["createdAt"] > listed[1]["createdAt"]
    arns = [d["serviceDeploymentArn"] for d in listed]
    found = ecs.describe_service_deployments(serviceDeploymentArns=[*arns, "arn:aws:ecs:nope"])
    failed, good = found["serviceDeployments"]
    breaker = failed["deploymentCircuitBreaker"]
    assert ("TRIGGERED", 3) == (breaker["status"], breaker["threshold"])
    assert breaker["failureCount"] >= 3
    assert "circuit breaker" in failed["rollback"]["reason"]
    assert good["targetServiceRevision"]["runningTaskCount"] == 0  # replaced by the rollback
    assert [{"arn": "arn:aws:ecs:nope", "reason": "MISSING"}] == found["failures"]


def test_service_deployments_filter_on_status_and_refuse_an_unknown_service(lab):
    ecs = client(lab, "ecs")
    only = ecs.list_service_deployments(cluster=CLUSTER, service=SERVICE, status=["SUCCESSFUL"])
    assert ["SUCCESSFUL"] == [d["status"] for d in only["serviceDeployments"]]
    with pytest.raises(ClientError) as raised:
        ecs.list_service_deployments(cluster=CLUSTER, service="nope")
    assert "ServiceNotFoundException" == raised.value.response["Error"]["Code"]


def test_task_protection_is_kept_and_expires_in_simulated_time(lab):
    ecs = client(lab, "ecs")
    task = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"][0]
    before = ecs.get_task_protection(cluster=CLUSTER, tasks=[task, "nope"])
    assert [False] == [p["protectionEnabled"] for p in before["protectedTasks"]]
    assert ["TASK_NOT_VALID"] == [f["reason"] for f in before["failures"]]

    set_ = ecs.update_task_protection(
        cluster=CLUSTER, tasks=[task], protectionEnabled=True, expiresInMinutes=10
    )["protectedTasks"][0]
    assert set_["protectionEnabled"] is True
    assert set_["expirationDate"].timestamp() == pytest.approx(lab.now + 600, abs=1)
    lab.advance(300)
    assert ecs.get_task_protection(cluster=CLUSTER, tasks=[task])["protectedTasks"][0][
        "protectionEnabled"
    ]
    lab.advance(310)
    after = ecs.get_task_protection(cluster=CLUSTER, tasks=[task])["protectedTasks"][0]
    assert after["protectionEnabled"] is False
    assert "expirationDate" not in after


def test_task_protection_refuses_an_expiry_beyond_48_hours(lab):
    ecs = client(lab, "ecs")
    task = ecs.list_tasks(cluster=CLUSTER, serviceName=SERVICE)["taskArns"][0]
    with pytest.raises(ClientError) as raised:
        ecs.update_task_protection(
            cluster=CLUSTER, tasks=[task], protectionEnabled=True, expiresInMinutes=2881
        )
    assert "InvalidParameterException" == raised.value.response["Error"]["Code"]


def test_scaling_activities_of_a_service_without_a_scalable_target_are_empty(lab):
    scaling = client(lab, "application-autoscaling")
    found = scaling.describe_scaling_activities(
        ServiceNamespace="ecs", ResourceId=f"service/{CLUSTER}/{SERVICE}"
    )
    assert [] == found["ScalingActivities"]


def test_the_mcp_servers_get_the_same_answers_as_boto3(lab, tmp_path: Path):
    """The AWS MCP servers reach the lab through AWS_ENDPOINT_URL and hit the same stubs."""
    saved = dict(os.environ)
    export_lab_env(lab)
    try:
        direct = DirectGateway(make_session(None), lab.region, endpoint_url=lab.endpoint_url)
        settings = lab_settings(
            lab,
            transport="mcp",
            state_dir=tmp_path,
        )
        gateway = open_mcp_gateway(settings, direct, lab.region)
        try:
            task = direct.call("ecs", "ListTasks", {"cluster": CLUSTER, "serviceName": SERVICE})
            reads = [
                ("ecs", "ListServiceDeployments", {"cluster": CLUSTER, "service": SERVICE}),
                ("ecs", "GetTaskProtection", {"cluster": CLUSTER, "tasks": task["taskArns"]}),
                ("application-autoscaling", "DescribeScalingActivities",
                 {"ServiceNamespace": "ecs", "ResourceId": f"service/{CLUSTER}/{SERVICE}"}),
            ]  # fmt: skip
            for service, operation, params in reads:
                assert plain(direct.call(service, operation, params)) == plain(
                    gateway.call(service, operation, params)
                ), operation
            assert ("mcp", ()) == (gateway.transport, gateway.gaps)
        finally:
            gateway.close()
    finally:
        os.environ.clear()
        os.environ.update(saved)


def test_service_quotas_of_other_service_codes_are_left_to_moto(lab):
    """The lab answers GetServiceQuota for the fargate service code only; moto keeps vpc's."""
    quotas: Any = client(lab, "service-quotas")
    fargate = quotas.list_service_quotas(ServiceCode="fargate")["Quotas"]
    assert ["L-3032A538"] == [q["QuotaCode"] for q in fargate]
    code = quotas.list_aws_default_service_quotas(ServiceCode="vpc")["Quotas"][0]["QuotaCode"]
    found = quotas.get_service_quota(ServiceCode="vpc", QuotaCode=code)["Quota"]
    assert ("vpc", code) == (found["ServiceCode"], found["QuotaCode"])

"""The healthy scenario: steady state, healthy targets, no failure evidence anywhere."""

from __future__ import annotations

import pytest
from lab_client import LabAws, started_lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def aws():
    yield from started_lab("healthy")


def test_running_equals_desired(aws: LabAws):
    """Two tasks run and none is pending."""
    service = aws.service()
    assert (2, 2, 0) == (service["desiredCount"], service["runningCount"], service["pendingCount"])
    assert 2 == len(aws.tasks("RUNNING"))


def test_primary_deployment_completed(aws: LabAws):
    """The only deployment is PRIMARY and COMPLETED with no failed tasks."""
    deployments = aws.service()["deployments"]
    assert ["PRIMARY"] == [d["status"] for d in deployments]
    assert ("COMPLETED", 0) == (deployments[0]["rolloutState"], deployments[0]["failedTasks"])


def test_steady_state_event(aws: LabAws):
    """The newest event says the service reached a steady state."""
    assert "(service web) has reached a steady state." == aws.messages()[0]


def test_events_carry_id_and_time(aws: LabAws):
    """Every event has an id and a createdAt, newest first."""
    events = aws.service()["events"]
    assert all(e["id"] and e["createdAt"] for e in events)
    times = [e["createdAt"] for e in events]
    assert times == sorted(times, reverse=True)


def test_targets_healthy(aws: LabAws):
    """Both running tasks are healthy targets, registered by their private IPs."""
    assert [{"State": "healthy"}] * 2 == aws.target_health()
    ips = {
        d["Target"]["Id"]
        for d in aws.elbv2.describe_target_health(TargetGroupArn=aws.target_group_arn())[
            "TargetHealthDescriptions"
        ]
    }
    assert ips == {
        t["containers"][0]["networkInterfaces"][0]["privateIpv4Address"] for t in aws.tasks()
    }


def test_no_stopped_tasks(aws: LabAws):
    """Nothing stopped, so there is no failure signature to find."""
    assert [] == aws.tasks("STOPPED")


def test_running_task_shape(aws: LabAws):
    """A running task shows what describe_tasks shows on Fargate."""
    task = aws.tasks()[0]
    assert ("RUNNING", "RUNNING", "service:web") == (
        task["lastStatus"],
        task["desiredStatus"],
        task["group"],
    )
    assert task["startedBy"] == aws.primary()["id"]
    assert task["startedAt"] > task["createdAt"]
    assert "stopCode" not in task
    details = {d["name"]: d["value"] for d in task["attachments"][0]["details"]}
    assert details["privateIPv4Address"].startswith("10.0.1")
    assert (
        details["subnetId"]
        in aws.service()["networkConfiguration"]["awsvpcConfiguration"]["subnets"]
    )
    container = task["containers"][0]
    assert ("web", "RUNNING") == (container["name"], container["lastStatus"])
    assert container["image"].endswith(".dkr.ecr.us-east-1.amazonaws.com/web:1.4.2")


def test_startup_logs(aws: LabAws):
    """Each task writes its startup lines to ecs/web/<task-id>."""
    assert "Listening on 0.0.0.0:8080" in aws.log_messages(aws.tasks()[0])


def test_service_configuration(aws: LabAws):
    """The service keeps its circuit breaker and load balancer configuration."""
    service = aws.service()
    breaker = service["deploymentConfiguration"]["deploymentCircuitBreaker"]
    assert {"enable": True, "rollback": True} == breaker
    assert 8080 == service["loadBalancers"][0]["containerPort"]

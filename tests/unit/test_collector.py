"""Collecting a snapshot through a gateway: parsing, gaps, and what is fetched."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from fake_gateway import FakeGateway, denied

from ecs_medic.aws.collector import Collector
from ecs_medic.aws.gateway import ErrorKind, GatewayError
from ecs_medic.context.target import Target
from ecs_medic.errors import AwsAccessError

REGION = "eu-west-1"
ACCOUNT = "210987654321"
CLUSTER = f"arn:aws:ecs:{REGION}:{ACCOUNT}:cluster/payments"
SERVICE = f"arn:aws:ecs:{REGION}:{ACCOUNT}:service/payments/ledger-api"
TD = f"arn:aws:ecs:{REGION}:{ACCOUNT}:task-definition/ledger-api:7"
TG = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/ledger/0123456789abcdef"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ledger:2.0.1"
TARGET = Target("ledger-api", SERVICE, CLUSTER, REGION, ACCOUNT)


def task(task_id: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "taskArn": f"arn:aws:ecs:{REGION}:{ACCOUNT}:task/payments/{task_id}",
        "taskDefinitionArn": TD,
        "lastStatus": status,
        "desiredStatus": status,
        "group": "service:ledger-api",
        "containers": [{"name": "app", "exitCode": extra.pop("exit_code", None)}],
        **extra,
    }


def account() -> FakeGateway:
    """One failing service behind a target group, one OOM-killed task, logs."""
    stopped = task(
        "aaa111",
        "STOPPED",
        stopCode="EssentialContainerExited",
        stoppedReason="Essential container in task exited",
        stoppedAt=datetime(2026, 11, 26, 10, 0, tzinfo=UTC),
        exit_code=137,
    )

    def list_tasks(params: dict[str, Any]) -> dict[str, Any]:
        assert params["serviceName"] == "ledger-api"
        arn = (
            stopped["taskArn"]
            if params["desiredStatus"] == "STOPPED"
            else task("bbb222", "RUNNING")["taskArn"]
        )
        return {"taskArns": [arn]}

    def describe_tasks(params: dict[str, Any]) -> dict[str, Any]:
        known = {t["taskArn"]: t for t in (stopped, task("bbb222", "RUNNING"))}
        return {"tasks": [known[a] for a in params["tasks"]]}

    return FakeGateway(
        {
            ("ecs", "DescribeServices"): {
                "services": [
                    {
                        "serviceName": "ledger-api",
                        "serviceArn": SERVICE,
                        "clusterArn": CLUSTER,
                        "status": "ACTIVE",
                        "desiredCount": 2,
                        "runningCount": 1,
                        "pendingCount": 0,
                        "taskDefinition": TD,
                        "loadBalancers": [
                            {"targetGroupArn": TG, "containerName": "app", "containerPort": 9000}
                        ],
                        "deployments": [
                            {"id": "ecs-svc/1", "status": "PRIMARY", "taskDefinition": TD}
                        ],
                        "events": [
                            {"id": "e1", "createdAt": "2026-11-26T10:00:00Z", "message": "hello"}
                        ],
                    }
                ]
            },
            ("ecs", "ListTasks"): list_tasks,
            ("ecs", "DescribeTasks"): describe_tasks,
            ("ecs", "DescribeTaskDefinition"): {
                "taskDefinition": {
                    "taskDefinitionArn": TD,
                    "family": "ledger-api",
                    "revision": 7,
                    "memory": "512",
                    "containerDefinitions": [
                        {
                            "name": "app",
                            "image": IMAGE,
                            "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}],
                            "logConfiguration": {
                                "logDriver": "awslogs",
                                "options": {
                                    "awslogs-group": "/svc/ledger",
                                    "awslogs-stream-prefix": "svc",
                                },
                            },
                        }
                    ],
                }
            },
            ("elbv2", "DescribeTargetGroups"): {
                "TargetGroups": [{"TargetGroupArn": TG, "TargetGroupName": "ledger"}]
            },
            ("elbv2", "DescribeTargetHealth"): denied("elbv2", "DescribeTargetHealth"),
            ("ecr", "DescribeImages"): GatewayError(
                "ecr:DescribeImages", ErrorKind.NOT_FOUND, "ImageNotFoundException", "not found"
            ),
            ("logs", "GetLogEvents"): {
                "events": [{"timestamp": 1764151200000, "message": "heap at 98%\n"}]
            },
        }
    )


def test_denied_source_becomes_a_gap_and_the_rest_is_collected():
    """AccessDenied on target health is recorded; tasks and logs still arrive."""
    snapshot = Collector(account()).collect(TARGET)
    assert [("elbv2:DescribeTargetHealth", "AccessDenied")] == [
        (g.source, g.reason) for g in snapshot.gaps
    ]
    assert len(snapshot.stopped_tasks) == 1
    assert snapshot.stopped_tasks[0].containers[0].exit_code == 137


def test_logs_are_read_from_the_failed_tasks_awslogs_stream():
    """The stream is <prefix>/<container>/<task id>, newest events, no trailing newline."""
    gateway = account()
    snapshot = Collector(gateway).collect(TARGET)
    log_calls = [p for s, op, p in gateway.calls if op == "GetLogEvents"]
    assert [
        {
            "logGroupName": "/svc/ledger",
            "logStreamName": "svc/app/aaa111",
            "startFromHead": False,
            "limit": 50,
        }
    ] == log_calls
    assert ["heap at 98%"] == [e.message for e in snapshot.logs_for_task("aaa111")]


def test_missing_ecr_image_is_evidence_not_a_gap():
    """ImageNotFoundException marks the image missing; it is not a failed source."""
    snapshot = Collector(account()).collect(TARGET)
    assert [(IMAGE, False, "ImageNotFoundException")] == [
        (i.image, i.exists, i.error_code) for i in snapshot.images
    ]


def test_environment_values_never_enter_the_snapshot():
    """Only environment variable names are kept from a task definition."""
    snapshot = Collector(account()).collect(TARGET)
    assert "hunter2" not in repr(snapshot)
    assert snapshot.task_definitions[0].containers[0].environment_names == ("DB_PASSWORD",)


def test_unreadable_service_is_an_access_error():
    """Without the service itself there is nothing to diagnose: exit 3."""
    gateway = account()
    gateway.answers["ecs", "DescribeServices"] = denied("ecs", "DescribeServices")
    with pytest.raises(AwsAccessError, match="ecs:DescribeServices"):
        Collector(gateway).collect(TARGET)


def test_one_service_costs_a_bounded_number_of_calls():
    """Service, 2 task lists, 1 task definition, 1 TG, 1 health, 1 describe, 1 image, 1 log."""
    gateway = account()
    Collector(gateway).collect(TARGET)
    assert gateway.api_calls == 9

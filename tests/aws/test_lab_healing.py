"""Fixes through the AWS API heal the oom service; a wrong fix does not."""

from __future__ import annotations

from typing import Any

import pytest
from lab_client import LabAws

pytestmark = pytest.mark.lab


def _steady(aws: LabAws) -> bool:
    service = aws.service()
    primary = aws.primary()
    return (
        service["runningCount"] == service["desiredCount"] == 2
        and primary["rolloutState"] == "COMPLETED"
        and len(service["deployments"]) == 1
        and aws.target_health() == [{"State": "healthy"}] * 2
    )


def _revision_with_memory(aws: LabAws, memory: str) -> str:
    current = aws.service()["taskDefinition"]
    definition: dict[str, Any] = aws.ecs.describe_task_definition(taskDefinition=current)[
        "taskDefinition"
    ]
    keep = (
        "family",
        "networkMode",
        "requiresCompatibilities",
        "cpu",
        "executionRoleArn",
        "taskRoleArn",
        "containerDefinitions",
        "runtimePlatform",
    )
    registered = aws.ecs.register_task_definition(
        **{k: definition[k] for k in keep if k in definition}, memory=memory
    )
    return registered["taskDefinition"]["taskDefinitionArn"]


def test_more_memory_reaches_steady_state(lab_factory):
    """A revision with 1024 MiB and update_service: steady state, healthy targets, no new OOM."""
    aws: LabAws = lab_factory("oom")
    arn = _revision_with_memory(aws, "1024")
    aws.ecs.update_service(cluster="prod", service="web", taskDefinition=arn)
    deployment = aws.primary()
    assert (arn, "IN_PROGRESS") == (deployment["taskDefinition"], deployment["rolloutState"])

    aws.lab.advance(600)

    assert _steady(aws)
    assert deployment["id"] == aws.primary()["id"]
    assert "(service web) has reached a steady state." in aws.messages()[:3]
    new_stops = [t for t in aws.tasks("STOPPED") if t["startedBy"] == deployment["id"]]
    assert [] == new_stops
    replaced = [t for t in aws.tasks("STOPPED") if t["taskDefinitionArn"] != arn]
    assert all(
        t["stopCode"] in ("EssentialContainerExited", "ServiceSchedulerInitiated") for t in replaced
    )


def test_force_new_deployment_keeps_oom_killing(lab_factory):
    """Redeploying the same revision starts a new deployment whose tasks are OOM-killed too."""
    aws: LabAws = lab_factory("oom")
    before = aws.primary()["id"]
    aws.ecs.update_service(cluster="prod", service="web", forceNewDeployment=True)
    deployment = aws.primary()
    assert deployment["id"] != before

    aws.lab.advance(600)

    assert not _steady(aws)
    assert "FAILED" == aws.primary()["rolloutState"]
    mine = [t for t in aws.tasks("STOPPED") if t["startedBy"] == deployment["id"]]
    assert len(mine) >= 3
    assert {137} == {t["containers"][0]["exitCode"] for t in mine}


def test_a_fix_of_app_crash_environment_heals(lab_factory):
    """A revision that sets DATABASE_URL heals app-crash; the config, not a flag, decided."""
    aws: LabAws = lab_factory("app-crash")
    current = aws.service()["taskDefinition"]
    definition = aws.ecs.describe_task_definition(taskDefinition=current)["taskDefinition"]
    containers = definition["containerDefinitions"]
    containers[0]["environment"].append({"name": "DATABASE_URL", "value": "postgres://db:5432/web"})
    arn = aws.ecs.register_task_definition(
        family=definition["family"],
        networkMode="awsvpc",
        requiresCompatibilities=["FARGATE"],
        cpu=definition["cpu"],
        memory=definition["memory"],
        executionRoleArn=definition["executionRoleArn"],  # Fargate refuses ECR images without
        containerDefinitions=containers,
    )["taskDefinition"]["taskDefinitionArn"]
    aws.ecs.update_service(cluster="prod", service="web", taskDefinition=arn)
    aws.lab.advance(600)
    assert _steady(aws)


def test_pushing_the_missing_tag_heals(lab_factory):
    """put_image of the missing tag lets the next tasks pull; the service settles."""
    aws: LabAws = lab_factory("image-not-found")
    manifest = aws.ecr.batch_get_image(repositoryName="web", imageIds=[{"imageTag": "1.4.2"}])
    body = manifest["images"][0]["imageManifest"]
    aws.ecr.put_image(repositoryName="web", imageManifest=body, imageTag="1.4.3")
    aws.lab.advance(600)
    service = aws.service()
    assert (2, 2) == (service["runningCount"], service["desiredCount"])
    assert [{"State": "healthy"}] * 2 == aws.target_health()
    assert "(service web) has reached a steady state." in aws.messages()[:3]

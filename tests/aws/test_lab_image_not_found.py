"""The image-not-found scenario: the task definition's tag is not in ECR (IMAGE_PULL_NOT_FOUND)."""

from __future__ import annotations

import pytest
from lab_client import LabAws, started_lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def aws():
    yield from started_lab("image-not-found")


def test_stopped_tasks_cannot_pull(aws: LabAws):
    """Tasks stop with TaskFailedToStart and the Fargate CannotPullContainerError text."""
    image = "123456789012.dkr.ecr.us-east-1.amazonaws.com/web:1.4.3"
    expected = (
        "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
        f"failed to resolve ref {image}: not found"
    )
    stopped = aws.tasks("STOPPED")
    assert len(stopped) >= 3
    for task in stopped:
        assert ("TaskFailedToStart", expected) == (task["stopCode"], task["stoppedReason"])
        assert expected == task["containers"][0]["reason"]
        assert "exitCode" not in task["containers"][0]
        assert "startedAt" not in task


def test_ecr_has_no_such_tag(aws: LabAws):
    """ECR answers ImageNotFoundException for the missing tag and finds the pushed one."""
    with pytest.raises(aws.ecr.exceptions.ImageNotFoundException):
        aws.ecr.describe_images(repositoryName="web", imageIds=[{"imageTag": "1.4.3"}])
    found = aws.ecr.describe_images(repositoryName="web", imageIds=[{"imageTag": "1.4.2"}])
    assert ["1.4.2"] == found["imageDetails"][0]["imageTags"]


def test_nothing_runs(aws: LabAws):
    """No task ever reaches RUNNING and no target is registered."""
    service = aws.service()
    assert (0, 2) == (service["runningCount"], service["desiredCount"])
    assert [] == aws.target_health()


def test_deployment_failed(aws: LabAws):
    """The circuit breaker marks the deployment FAILED."""
    assert "FAILED" == aws.primary()["rolloutState"]

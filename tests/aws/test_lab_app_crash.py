"""The app-crash scenario: DATABASE_URL is missing, the app exits 1 (ESSENTIAL_CONTAINER_EXIT)."""

from __future__ import annotations

import pytest
from lab_client import LabAws, started_lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def aws():
    yield from started_lab("app-crash")


def test_stopped_tasks_exit_1(aws: LabAws):
    """Tasks stop with exit code 1, EssentialContainerExited and no OOM reason."""
    stopped = aws.tasks("STOPPED")
    assert len(stopped) >= 3
    for task in stopped:
        assert ("EssentialContainerExited", "Essential container in task exited") == (
            task["stopCode"],
            task["stoppedReason"],
        )
        assert 1 == task["containers"][0]["exitCode"]
        assert "reason" not in task["containers"][0]


def test_crash_line_in_logs(aws: LabAws):
    """The task's stream ends with the line that explains the exit."""
    lines = aws.log_messages(aws.tasks("STOPPED")[0])
    assert "Error: required environment variable DATABASE_URL is not set" == lines[-1]
    assert "Listening on 0.0.0.0:8080" not in lines


def test_deployment_failed(aws: LabAws):
    """The breaker trips; running stays below desired."""
    assert "FAILED" == aws.primary()["rolloutState"]
    assert aws.service()["runningCount"] < 2 or not all(
        h["State"] == "healthy" for h in aws.target_health()
    )

"""The oom scenario: 700 MiB of heap in a 512 MiB task is OOM-killed (OOM_KILLED)."""

from __future__ import annotations

import pytest
from lab_client import LabAws, started_lab

pytestmark = pytest.mark.lab
OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"


@pytest.fixture(scope="module")
def aws():
    yield from started_lab("oom")


def test_stopped_tasks_show_oom(aws: LabAws):
    """Stopped tasks carry exit 137, the OOM reason and EssentialContainerExited."""
    stopped = aws.tasks("STOPPED")
    assert len(stopped) >= 3
    for task in stopped:
        container = task["containers"][0]
        assert (137, OOM_REASON) == (container["exitCode"], container["reason"])
        assert ("EssentialContainerExited", "Essential container in task exited") == (
            task["stopCode"],
            task["stoppedReason"],
        )
        assert task["stoppedAt"] >= task["stoppingAt"] > task["startedAt"]


def test_circuit_breaker_failed(aws: LabAws):
    """The tasks die before they turn healthy, so the first deployment trips the breaker."""
    primary = aws.primary()
    assert "FAILED" == primary["rolloutState"]
    assert "ECS deployment circuit breaker: tasks failed to start." == primary["rolloutStateReason"]
    assert primary["failedTasks"] >= 3
    assert (
        f"(service web) (deployment {primary['id']}) deployment failed: tasks failed to start."
        in aws.messages()
    )


def test_no_rollback_without_a_good_deployment(aws: LabAws):
    """There is no earlier COMPLETED deployment, so nothing is rolled back."""
    assert ["PRIMARY"] == [d["status"] for d in aws.service()["deployments"]]
    assert not any("rolling back" in m for m in aws.messages())


def test_heap_grows_in_the_logs(aws: LabAws):
    """The killed task's stream shows the heap growing toward the limit."""
    lines = aws.log_messages(aws.tasks("STOPPED")[0])
    assert any("heap used 486 MiB" in line for line in lines)


def test_replacements_keep_coming(aws: LabAws):
    """The scheduler keeps replacing killed tasks."""
    assert sum(1 for m in aws.messages() if "has started 2 tasks" in m) >= 3
    assert aws.service()["desiredCount"] == 2

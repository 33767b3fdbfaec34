"""How the lab renders the scheduler's deployments for ecs:DescribeServiceDeployments."""

from __future__ import annotations

from dataclasses import dataclass

from ecs_medic.lab.live import LiveService
from ecs_medic.lab.service_deployments import SUPERSEDED, Where, render
from ecs_medic.lab.stubs_json import _within

WHERE = Where("us-east-1", "123456789012", "prod", "web", "arn:aws:ecs:::service/prod/web")


@dataclass
class Record:
    id: str
    created_at: float
    rollout_state: str = "IN_PROGRESS"
    rollout_reason: str = ""
    failed_tasks: int = 0
    rollback: tuple[str, float] | None = None
    is_rollback: bool = False
    task_definition: str = "arn:td/1"

    @property
    def updated_at(self) -> float:
        return self.created_at + 10


def live(*, breaker: bool = True) -> LiveService:
    return LiveService(
        arn=WHERE.service_arn, name="web", cluster="prod", desired=4, task_definition="td",
        deployment_id=None, load_balancers=(), subnets=(), security_groups=(),
        assign_public_ip="DISABLED", circuit_breaker=breaker, rollback=breaker,
        minimum_healthy_percent=100, maximum_percent=200, grace_period_s=0,
        platform_version=None, launch_type="FARGATE",
    )  # fmt: skip


def statuses(history: list[Record], *, breaker: bool = True) -> list[tuple[str, str]]:
    entries = render(history, live(breaker=breaker), WHERE, lambda _: (1, 0), 3)
    return [(e["status"], e["deploymentCircuitBreaker"]["status"]) for e in entries]


def test_a_rollback_is_reported_on_the_deployment_that_failed():
    failed = Record("ecs-svc/2", 200, "FAILED", "circuit breaker", 3, ("ecs-svc/3", 250))
    history = [
        Record("ecs-svc/1", 100, "COMPLETED"),
        failed,
        Record("ecs-svc/3", 250, "IN_PROGRESS", is_rollback=True),
    ]
    assert [("ROLLBACK_IN_PROGRESS", "TRIGGERED"), ("SUCCESSFUL", "MONITORING_COMPLETE")] == (
        statuses(history)
    )
    history[2].rollout_state = "COMPLETED"
    entries = render(history, live(), WHERE, lambda _: (1, 0), 3)
    assert "ROLLBACK_SUCCESSFUL" == entries[0]["status"]
    assert entries[0]["rollback"]["serviceRevisionArn"].endswith("service-revision/prod/web/3")
    assert entries[0]["sourceServiceRevisions"][0]["arn"].endswith("/prod/web/1")
    assert (3, 3) == (
        entries[0]["deploymentCircuitBreaker"]["failureCount"],
        entries[0]["deploymentCircuitBreaker"]["threshold"],
    )


def test_a_superseded_rollout_is_stopped_and_the_newest_in_progress():
    history = [Record("ecs-svc/1", 100), Record("ecs-svc/2", 200)]
    entries = render(history, live(breaker=False), WHERE, lambda _: (2, 1), 3)
    assert [("IN_PROGRESS", ""), ("STOPPED", SUPERSEDED)] == [
        (e["status"], e["statusReason"]) for e in entries
    ]
    assert "finishedAt" not in entries[0]
    assert (4, 2, 1) == tuple(
        entries[0]["targetServiceRevision"][k]
        for k in ("requestedTaskCount", "runningTaskCount", "pendingTaskCount")
    )
    assert ["DISABLED", "DISABLED"] == [e["deploymentCircuitBreaker"]["status"] for e in entries]


def test_a_failure_without_rollback_is_stopped():
    history = [Record("ecs-svc/1", 100, "FAILED", "circuit breaker", 3)]
    assert [("STOPPED", "TRIGGERED")] == statuses(history)


def test_created_at_window_is_exclusive_on_both_ends():
    assert _within(150, {"after": 100, "before": 200})
    assert not _within(100, {"after": 100})
    assert not _within(200, {"before": 200})
    assert _within(1, {})

"""The health-check-path-wrong scenario: /healthz answers 404 (TG_HEALTHCHECK_FAILING)."""

from __future__ import annotations

import pytest
from lab_client import LabAws, started_lab

pytestmark = pytest.mark.lab
CODES = "Health checks failed with these codes: [404]"


@pytest.fixture(scope="module")
def aws():
    yield from started_lab("health-check-path-wrong")


def test_unhealthy_event(aws: LabAws):
    """ECS reports the task's port as unhealthy in the target group, with the 404."""
    group = aws.target_group_arn()
    pattern = f"(port 8080) is unhealthy in (target-group {group}) due to (reason {CODES})."
    assert any(m.startswith("(service web) (task ") and m.endswith(pattern) for m in aws.messages())


def test_stopped_for_elb_health_checks(aws: LabAws):
    """The scheduler stops unhealthy tasks with the ELB reason and ServiceSchedulerInitiated."""
    reason = f"Task failed ELB health checks in (target-group {aws.target_group_arn()})"
    stopped = aws.tasks("STOPPED")
    assert len(stopped) >= 3
    assert {("ServiceSchedulerInitiated", reason)} == {
        (t["stopCode"], t["stoppedReason"]) for t in stopped
    }
    stop_events = [
        m
        for m in aws.messages()
        if m.startswith("(service web) has stopped 1 running tasks: (task ")
    ]
    assert stop_events


def test_targets_turn_unhealthy_with_response_code_mismatch(aws: LabAws):
    """describe_target_health shows ResponseCodeMismatch and the 404 while tasks cycle."""
    wanted = {"State": "unhealthy", "Reason": "Target.ResponseCodeMismatch", "Description": CODES}
    assert aws.advance_until(lambda: wanted in aws.target_health(), limit_s=180)


def test_app_logs_the_404(aws: LabAws):
    """The app's stream shows the load balancer's checks of /healthz answered 404."""
    lines = aws.log_messages(aws.tasks("STOPPED")[0])
    assert '"GET /healthz HTTP/1.1" 404 "ELB-HealthChecker/2.0"' in lines


def test_fixing_the_path_heals(aws: LabAws):
    """modify_target_group to /health is read on the next check: steady state follows."""
    aws.elbv2.modify_target_group(TargetGroupArn=aws.target_group_arn(), HealthCheckPath="/health")

    def healthy() -> bool:
        service = aws.service()
        return service["runningCount"] == 2 and aws.target_health() == [{"State": "healthy"}] * 2

    assert aws.advance_until(healthy, limit_s=600)
    aws.lab.advance(10)
    assert "(service web) has reached a steady state." == aws.messages()[0]

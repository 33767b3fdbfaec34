"""Image, networking, IAM, secrets and logging scenarios: evidence, fix and wrong fix.

For each scenario, data from its file drives three checks against a fresh lab: the catalogue's
evidence is visible through boto3; its `fix_steps`, applied through the AWS API, reach the
healthy steady state; its `wrong_fix_steps` leave the same failure signature on new tasks.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from lab_client import LabAws

from ecs_medic.lab import Lab
from ecs_medic.lab.scenario import Scenario, load_scenario
from ecs_medic.lab.steps import Target, apply_steps

pytestmark = [pytest.mark.lab, pytest.mark.slow]  # a sweep over many scenarios: `make test-all`

SCENARIOS = [
    "no-egress-image-pull",
    "no-public-ip-public-subnet",
    "task-egress-blocked",
    "vpc-endpoint-private-dns-off",
    "ecr-layers-s3-unreachable",
    "image-pull-auth",
    "secrets-fetch-denied",
    "secret-not-found",
    "kms-decrypt-denied",
    "log-group-missing",
    "log-delivery-denied",
    "arch-mismatch",
    "ephemeral-storage-full",
    "role-trust-invalid",
    "task-role-permission-denied",
    "private-registry-creds",
    "image-pull-rate-limited",
    "subnet-ip-exhausted",
    "service-linked-role-missing",
    "unsupported-az-subnet",
    "nacl-blocks-egress",
    "ssm-parameter-missing",
    "ssm-endpoint-policy",
    "ecr-repository-policy-deny",
]
HEALTHY = ["healthy-private-endpoints"]
AFTER_FIX_S = 360


def _start(name: str, warmup_s: float = 200) -> Iterator[tuple[LabAws, Scenario]]:
    with Lab.start([name], warmup_s=warmup_s) as lab:
        yield LabAws.connect(lab), load_scenario(name)


@pytest.fixture(params=SCENARIOS)
def failing(request: pytest.FixtureRequest) -> Iterator[tuple[LabAws, Scenario]]:
    yield from _start(request.param)


def _stopped(aws: LabAws, deployment: str | None = None) -> list[dict[str, Any]]:
    tasks = aws.tasks("STOPPED")
    return [t for t in tasks if deployment is None or t.get("startedBy") == deployment]


def _shows(
    aws: LabAws, scenario: Scenario, tasks: list[dict[str, Any]], events: list[str] | None = None
) -> list[str]:
    """The evidence items of the scenario that the tasks, events or logs do not show."""
    events = aws.messages() if events is None else events
    missing = []
    for item in scenario.evidence:
        text = str(item.value)
        if item.kind == "stopped_reason":
            seen = any(text in (t.get("stoppedReason") or "") for t in tasks)
        elif item.kind == "stop_code":
            seen = any(text == t.get("stopCode") for t in tasks)
        elif item.kind == "container_reason":
            seen = any(text in (c.get("reason") or "") for t in tasks for c in t["containers"])
        elif item.kind == "event":
            seen = any(text in m for m in events)
        elif item.kind == "exit_code":
            seen = any(c.get("exitCode") == item.value for t in tasks for c in t["containers"])
        elif item.kind == "log":
            seen = any(text in line for t in tasks for line in aws.log_messages(t))
        else:
            seen = False
        if not seen:
            missing.append(f"{item.kind}: {text}")
    return missing


def _steady(aws: LabAws) -> bool:
    service = aws.service()
    healthy = all(h["State"] == "healthy" for h in aws.target_health())
    return (
        service["runningCount"] == service["desiredCount"]
        and aws.primary()["rolloutState"] == "COMPLETED"
        and len(service["deployments"]) == 1
        and "has reached a steady state" in " ".join(aws.messages()[:5])
        and healthy
    )


_SESSION = boto3.session.Session(  # one session for every lab: models are parsed once
    aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
)
_STEP_CLIENTS = ("ecs", "ec2", "elbv2", "ecr", "autoscaling", "application-autoscaling")


def _apply(aws: LabAws, steps: Any) -> None:
    cluster, service = aws.lab.targets[0][1:]
    endpoint = aws.lab.endpoint_url
    clients = {n: _SESSION.client(n, endpoint_url=endpoint) for n in _STEP_CLIENTS}
    apply_steps(Target(cluster, service, clients), steps)


def test_the_catalogue_evidence_is_visible(failing: tuple[LabAws, Scenario]):
    """Stopped tasks (or events, or logs) carry every evidence string the scenario lists."""
    aws, scenario = failing
    assert scenario.evidence
    assert [] == _shows(aws, scenario, _stopped(aws))
    assert not _steady(aws)
    assert 0 == aws.service()["runningCount"] or scenario.expected == "TASK_ROLE_PERMISSION_DENIED"


@pytest.mark.parametrize("name", SCENARIOS)
def test_the_fix_reaches_a_steady_state(name: str):
    """The scenario's fix steps, through boto3, converge: running == desired, healthy, COMPLETED."""
    for aws, scenario in _start(name):
        assert scenario.fix_steps
        _apply(aws, scenario.fix_steps)
        aws.lab.advance(AFTER_FIX_S)
        assert _steady(aws), aws.messages()[:5]
        deployment = aws.primary()["id"]
        assert [] == [t["stoppedReason"] for t in _stopped(aws, deployment)]


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_wrong_fix_keeps_the_failure_signature(name: str):
    """After the plausible wrong fix, new tasks fail with the same evidence and nothing settles."""
    for aws, scenario in _start(name):
        assert scenario.wrong_fix_steps
        before = aws.primary()["id"]
        old_events = {e["id"] for e in aws.service()["events"]}
        _apply(aws, scenario.wrong_fix_steps)
        aws.lab.advance(AFTER_FIX_S)
        assert not _steady(aws)
        deployment = aws.primary()["id"]
        fresh = _stopped(aws, deployment) if deployment != before else _stopped(aws)
        new_events = [e["message"] for e in aws.service()["events"] if e["id"] not in old_events]
        assert fresh or all(item.kind == "event" for item in scenario.evidence)
        assert [] == _shows(aws, scenario, fresh, new_events)


@pytest.mark.parametrize("name", HEALTHY)
def test_a_healthy_variant_settles_without_failed_starts(name: str):
    """With every path, permission and resource in place, tasks start and the service settles."""
    for aws, scenario in _start(name):
        assert scenario.expected is None
        assert _steady(aws), aws.messages()[:5]
        assert [] == [
            t["stoppedReason"] for t in _stopped(aws) if t["stopCode"] == "TaskFailedToStart"
        ]

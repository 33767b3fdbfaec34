"""Fargate placement, quota and throttling, load-balancer zone, refused-deployment scenarios.

One lab per scenario serves all three checks in sequence, to keep the suite fast: the
catalogue's evidence shows; the plausible wrong fix leaves the same signature on what happens
after it; the scenario's fix, applied after that through the AWS API, reaches the standard
steady state and the signature stops.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from lab_client import LabAws
from scenario_harness import apply, assert_fix_heals, missing, steady

from ecs_medic.lab import Lab
from ecs_medic.lab.scenario import load_scenario

pytestmark = pytest.mark.lab

SCENARIOS = [
    "fargate-vcpu-quota",
    "fargate-capacity-unavailable",
    "lb-zone-not-enabled",
    "scheduler-throttled",
]
# AWS refuses CI's change outright (CloudTrail has the error); the service runs on unchanged.
REFUSED = [
    "invalid-task-size",
    "exec-role-missing",
    "tg-target-type-instance",
    "platform-version-mismatch",
]
WRONG_FIX_S = 600.0  # simulated time the wrong fix gets to (not) converge


@pytest.fixture
def started(request: pytest.FixtureRequest) -> Iterator[LabAws]:
    """A lab running the scenario named by the test's parameter."""
    with Lab.start([request.param], warmup_s=240) as lab:
        yield LabAws.connect(lab)


@pytest.mark.slow  # tests/aws/test_lab_sweep.py runs the same three checks in make test
@pytest.mark.parametrize("started", SCENARIOS, indirect=True)
def test_evidence_then_wrong_fix_keeps_failing_then_fix_heals(started: LabAws) -> None:
    """Evidence shows; the wrong fix keeps the signature; the fix reaches steady state."""
    aws = started
    name = aws.lab.targets[0][0]
    scenario = load_scenario(name)
    assert [] == missing(aws, scenario, since=0)

    changed_at = apply(aws, name, "wrong_fix")
    aws.lab.advance(WRONG_FIX_S)
    assert [] == missing(aws, scenario, since=changed_at)
    assert not steady(aws)

    assert_fix_heals(aws, scenario)


@pytest.mark.parametrize("started", REFUSED, indirect=True)
def test_refused_change_wrong_fix_is_refused_again_fix_lands(started: LabAws) -> None:
    """AWS's refusal shows in CloudTrail; the wrong fix is refused too; the fix deploys."""
    aws = started
    name = aws.lab.targets[0][0]
    scenario = load_scenario(name)
    assert [] == missing(aws, scenario, since=0)
    before = _deployed(aws)

    changed_at = apply(aws, name, "wrong_fix")
    aws.lab.advance(120)
    assert [] == missing(aws, scenario, since=changed_at)
    assert before == _deployed(aws)

    assert_fix_heals(aws, scenario)
    assert before != _deployed(aws)


def _deployed(aws: LabAws) -> tuple[str, tuple[str, ...], str]:
    """What a deployment changes: the revision, the target groups, the platform version."""
    service = aws.service()
    groups = tuple(lb["targetGroupArn"] for lb in service["loadBalancers"])
    return service["taskDefinition"], groups, service.get("platformVersion", "")


@pytest.mark.parametrize("started", ["fargate-vcpu-quota"], indirect=True)
def test_service_quotas_shows_and_raises_the_fargate_vcpu_quota(started: LabAws) -> None:
    """GetServiceQuota reads the account's applied value; an increase applies at once."""
    quotas = _client(started, "service-quotas")
    read = lambda: quotas.get_service_quota(ServiceCode="fargate", QuotaCode="L-3032A538")  # noqa: E731
    assert 4.0 == read()["Quota"]["Value"]

    reply = quotas.request_service_quota_increase(
        ServiceCode="fargate", QuotaCode="L-3032A538", DesiredValue=16.0
    )

    assert "APPROVED" == reply["RequestedQuota"]["Status"]
    assert 16.0 == read()["Quota"]["Value"]
    with pytest.raises(quotas.exceptions.IllegalArgumentException):
        quotas.request_service_quota_increase(
            ServiceCode="fargate", QuotaCode="L-3032A538", DesiredValue=8.0
        )


def _client(aws: LabAws, name: str) -> Any:
    env = aws.lab.env()
    return boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_REGION"],
    ).client(name, endpoint_url=env["AWS_ENDPOINT_URL"])  # type: ignore[call-overload]

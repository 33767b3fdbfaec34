"""Load balancer, runtime and deployment scenarios: evidence, a healing fix, a wrong fix.

Each scenario file carries its evidence, `fix_steps` and `wrong_fix_steps` as data; this
module runs the same three checks over all of them (tests/aws/scenario_harness.py).
"""

from __future__ import annotations

import pytest
from lab_client import LabAws
from scenario_harness import SETTLE_S, apply, missing, signature, steady

from ecs_medic.lab.scenario import load_scenario

pytestmark = [pytest.mark.lab, pytest.mark.slow]  # a sweep over many scenarios: `make test-all`

SCENARIOS = [
    "sg-blocks-alb",
    "port-mismatch-tg",
    "grace-too-short",
    "container-healthcheck-failing",
    "entrypoint-not-found",
    "crash-segfault",
    "desired-count-zero",
    "deployment-config-blocks",
    "stale-image-not-redeployed",
    "sigterm-not-handled",
    "bad-release-rolled-back",
    "deployment-stuck",
    "tg-not-attached",
]
HEALTHY = ["healthy-sidecar", "healthy-no-lb", "healthy-rolling-deploy", "healthy-scaled-in"]
EXPECTED_STOP = ("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ")


@pytest.mark.parametrize("name", SCENARIOS)
def test_shows_the_catalogue_evidence_then_heals_with_the_fix(lab_factory, name):
    """The catalogue's evidence is visible; the fix through the AWS API reaches steady state."""
    aws: LabAws = lab_factory(name)
    scenario = load_scenario(name)
    assert [] == missing(aws, scenario, since=0)

    apply(aws, name, "fix")

    assert aws.advance_until(lambda: steady(aws), limit_s=SETTLE_S)
    healed_at = aws.lab.now
    aws.lab.advance(60)
    assert [] == signature(aws, scenario, since=healed_at)
    assert steady(aws)


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_plausible_wrong_fix_keeps_the_failure_signature(lab_factory, name):
    """After the wrong fix the service is still not healthy and fails the same way."""
    aws: LabAws = lab_factory(name)
    scenario = load_scenario(name)
    changed_at = apply(aws, name, "wrong_fix")

    aws.lab.advance(SETTLE_S)

    assert [] == missing(aws, scenario, since=changed_at)


@pytest.mark.parametrize("name", HEALTHY)
def test_healthy_variants_show_no_failure_evidence(lab_factory, name):
    """Steady, healthy, and every stopped task is an expected stop that exited 0 or 143."""
    aws: LabAws = lab_factory(name)
    assert steady(aws)
    stopped = aws.tasks("STOPPED")
    stops = {(t["stopCode"], t["stoppedReason"][: len(EXPECTED_STOP[1])]) for t in stopped}
    assert stops <= {EXPECTED_STOP}
    assert {c.get("exitCode") for t in stopped for c in t["containers"]} <= {0, 143}
    messages = " ".join(aws.messages())
    for phrase in ("unhealthy", "unable to", "failed", "rolling back"):
        assert phrase not in messages

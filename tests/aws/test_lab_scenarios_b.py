"""Load balancer, runtime and deployment scenarios: evidence, a healing fix, a wrong fix.

Each scenario file carries its evidence, `fix_steps` and `wrong_fix_steps` as data; this
module runs the same three checks over all of them (tests/aws/scenario_harness.py).
"""

from __future__ import annotations

import pytest
from lab_client import LabAws
from scenario_harness import SETTLE_S, apply, missing, signature, steady

from ecs_medic.lab.scenario import load_scenario

pytestmark = pytest.mark.lab

SCENARIOS = [
    "sg-blocks-alb",
    "port-mismatch-tg",
    "grace-too-short",
    "container-healthcheck-failing",
    "entrypoint-not-found",
    "crash-segfault",
]


@pytest.mark.parametrize("name", SCENARIOS)
def test_shows_the_catalogue_evidence_then_heals_with_the_fix(lab_factory, name):
    """The catalogue's evidence is visible; the fix through the AWS API reaches steady state."""
    aws: LabAws = lab_factory(name)
    scenario = load_scenario(name)
    assert [] == missing(aws, scenario, since=0)
    assert not steady(aws)

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

    assert not steady(aws)
    assert [] == missing(aws, scenario, since=changed_at)

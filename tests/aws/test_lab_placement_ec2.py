"""EC2 launch type and placement scenarios: evidence, a healing fix, a wrong fix, a healthy one.

Two labs serve every scenario at once, each scenario in its own cluster: one shows the
evidence and then takes every scenario's `fix_steps`, the other takes the `wrong_fix_steps`.
The checks are the shared harness's (tests/aws/scenario_harness.py), pointed at one cluster.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from lab_client import LabAws
from scenario_harness import apply, missing, signature, steady

from ecs_medic.lab import Lab
from ecs_medic.lab.scenario import load_scenario

pytestmark = [pytest.mark.lab, pytest.mark.slow]  # test_lab_sweep.py covers these in make test

SCENARIOS = [
    "no-container-instances",
    "insufficient-cpu-ec2",
    "insufficient-memory-ec2",
    "host-port-conflict",
    "placement-constraint-unsatisfiable",
    "ec2-subnet-zone-mismatch",
    "agent-disconnected",
    "capacity-provider-no-scaling",
]
HEALTHY = ["healthy-ec2", "healthy-ec2-bridge"]
WARMUP_S = 200.0
SETTLE_EC2_S = 480.0  # the slowest fix (an instance boots, tasks pass 3 health checks) needs ~170


def _lab(names: list[str]) -> Iterator[dict[str, LabAws]]:
    with Lab.start(names, warmup_s=WARMUP_S) as lab:
        aws = LabAws.connect(lab)
        yield {name: aws.on(cluster) for name, cluster, _ in lab.targets}


@pytest.fixture(scope="module")
def fixed() -> Iterator[tuple[dict[str, LabAws], dict[str, list[Any]], float]]:
    """Every scenario: its evidence first, then its fix, SETTLE_EC2_S and two more minutes."""
    for labs in _lab(SCENARIOS + HEALTHY):
        shown = {n: missing(labs[n], load_scenario(n), since=0, watch_s=0) for n in SCENARIOS}
        for name in SCENARIOS:
            apply(labs[name], name, "fix")
        lab = labs[SCENARIOS[0]].lab
        lab.advance(SETTLE_EC2_S)
        healed_at = lab.now
        lab.advance(120)
        yield labs, shown, healed_at


@pytest.fixture(scope="module")
def wrongly_fixed() -> Iterator[tuple[dict[str, LabAws], float]]:
    """Every failing scenario after its wrong fix and SETTLE_EC2_S simulated seconds."""
    for labs in _lab(SCENARIOS):
        changed_at = min(apply(labs[name], name, "wrong_fix") for name in SCENARIOS)
        labs[SCENARIOS[0]].lab.advance(SETTLE_EC2_S)
        yield labs, changed_at


@pytest.mark.parametrize("name", SCENARIOS)
def test_shows_the_catalogue_evidence_and_the_fix_heals(fixed, name):
    """The catalogue's evidence was visible; after the fix through the API the service settled."""
    labs, shown, healed_at = fixed
    aws = labs[name]
    assert load_scenario(name).evidence
    assert [] == shown[name]
    assert steady(aws), aws.messages()[:5]
    assert [] == signature(aws, load_scenario(name), since=healed_at)


@pytest.mark.parametrize("name", SCENARIOS)
def test_a_plausible_wrong_fix_keeps_the_failure_signature(wrongly_fixed, name):
    """After the wrong fix the service is not steady and new events show the same evidence."""
    labs, changed_at = wrongly_fixed
    aws = labs[name]
    assert not steady(aws)
    assert [] == missing(aws, load_scenario(name), since=changed_at, watch_s=0)


@pytest.mark.parametrize("name", HEALTHY)
def test_the_healthy_ec2_variant_places_every_task_and_settles(fixed, name):
    """Steady, every task on an ACTIVE container instance, no placement or failure event."""
    aws = fixed[0][name]
    assert steady(aws), aws.messages()[:5]
    tasks = aws.tasks("RUNNING")
    assert {t["launchType"] for t in tasks} == {"EC2"}
    assert all(t.get("containerInstanceArn") for t in tasks)
    assert aws.tasks("STOPPED") == []
    bridge = [c for t in tasks for c in t["containers"] if "networkBindings" in c]
    assert all(b["hostPort"] >= 32768 for c in bridge for b in c["networkBindings"])
    assert len(bridge) in (0, len(tasks))
    for phrase in ("unable to", "unhealthy", "failed"):
        assert not any(phrase in m for m in aws.messages())

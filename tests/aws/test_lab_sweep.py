"""Every scenario file: its evidence shows, the diagnosis names it, its fix heals, a plausible
wrong fix does not.

Issue 3's proof that failures follow from configuration, driven by the data in each file
(tests/aws/scenario_harness.py), and issue 4's top-1 accuracy on every scenario: the same lab
is diagnosed in process (boto3) before the fix, which costs well under a second where a lab of
its own would cost several (the CLI sweep in tests/e2e/test_diagnose_lab.py is `slow`).

A wrong fix and the fix each get a fresh lab: some wrong fixes change what a fix must then
undo (a forced deployment on full EC2 capacity deadlocks, as it does on AWS). Healthy variants
must settle with only the expected stops of the catalogue's section 9.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from lab_client import LabAws
from scenario_harness import SETTLE_S, apply, diagnose_in_process, missing, signature, steady

from ecs_medic.lab import Lab
from ecs_medic.lab.scenario import load_scenario, scenario_names

pytestmark = pytest.mark.lab

FAILING = [n for n in scenario_names() if load_scenario(n).expected is not None]
HEALTHY = [n for n in scenario_names() if load_scenario(n).expected is None]
EXPECTED_STOPS = ("ServiceSchedulerInitiated", "Scaling activity initiated by (deployment ")
BAD = ("critical", "high", "medium")
# Scenarios whose deployment symptom must be reported and linked to the crash that caused it
# (catalogue section 6: the breaker and a stuck rollout are symptoms, never the root).
LINKED_SYMPTOMS = {
    "bad-release-rolled-back": "CIRCUIT_BREAKER_ROLLBACK",
    "deployment-stuck": "DEPLOYMENT_STUCK",
}


@pytest.fixture
def lab(request: pytest.FixtureRequest) -> Iterator[LabAws]:
    with Lab.start([request.param]) as started:
        yield LabAws.connect(started)


def _name(request: pytest.FixtureRequest) -> str:
    return str(request.node.callspec.params["lab"])


@pytest.mark.parametrize("lab", FAILING, indirect=True)
def test_evidence_shows_the_diagnosis_names_it_and_the_fix_heals(
    lab: LabAws, request: pytest.FixtureRequest, tmp_path: Path
):
    """The catalogue's evidence and the expected root cause (its symptoms linked to it), then a
    steady state with the signature gone after the fix."""
    scenario = load_scenario(_name(request))
    assert scenario.evidence, "a failing scenario lists its evidence"
    assert scenario.fix_steps, "and the fix that heals it"
    report = diagnose_in_process(lab.lab, tmp_path)
    assert scenario.expected == (report.root_cause.code if report.root_cause else None)
    assert report.root_cause.evidence, "a root cause comes with its evidence"
    assert scenario.auto_level == report.root_cause.auto_level, "the fix level the catalogue gives"
    if scenario.name in LINKED_SYMPTOMS:
        linked = {f.code: f.caused_by for f in report.findings}
        assert scenario.expected == linked.get(LINKED_SYMPTOMS[scenario.name])
    assert [] == missing(lab, scenario, since=0)

    apply(lab, scenario.name, "fix")

    assert lab.advance_until(lambda: steady(lab), limit_s=SETTLE_S), lab.messages()[:5]
    healed_at = lab.lab.now
    # states such as an alarm clear after their evaluation periods (and scaling may move the
    # desired count meanwhile); a new failure never clears
    lab.advance_until(
        lambda: not signature(lab, scenario, since=healed_at) and steady(lab), limit_s=SETTLE_S
    )
    assert [] == signature(lab, scenario, since=healed_at)
    assert steady(lab)


@pytest.mark.parametrize("lab", FAILING, indirect=True)
def test_a_plausible_wrong_fix_shows_the_same_signature(
    lab: LabAws, request: pytest.FixtureRequest
):
    """After the wrong fix, the failure shows again (some failures, such as a rollback or a
    stale digest, look steady, so the signature is the judge, not the steady state)."""
    scenario = load_scenario(_name(request))
    assert scenario.wrong_fix_steps, "a failing scenario lists a plausible wrong fix"

    changed_at = apply(lab, scenario.name, "wrong_fix")

    assert [] == missing(lab, scenario, since=changed_at, watch_s=SETTLE_S)


@pytest.mark.parametrize("lab", HEALTHY, indirect=True)
def test_healthy_variant_settles_with_only_expected_stops(lab: LabAws, tmp_path: Path):
    """Steady and healthy; every stopped task is a deployment or scale-in stop exiting 0 or 143;
    the diagnosis finds nothing of medium severity or above."""
    report = diagnose_in_process(lab.lab, tmp_path)
    assert [] == [f.code for f in report.findings if f.severity.value in BAD]
    assert report.status == "healthy"
    assert steady(lab), lab.messages()[:5]
    stopped = lab.tasks("STOPPED")
    stops = {(t["stopCode"], t["stoppedReason"][: len(EXPECTED_STOPS[1])]) for t in stopped}
    assert stops <= {EXPECTED_STOPS}
    assert {c.get("exitCode") for t in stopped for c in t["containers"]} <= {0, 143}
    messages = " ".join(lab.messages())
    for phrase in ("unhealthy", "unable to", "failed", "rolling back"):
        assert phrase not in messages

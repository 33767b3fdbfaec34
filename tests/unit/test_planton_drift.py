"""PLANTON_SPEC_DRIFT and PLANTON_STACK_JOB_FAILED: Planton's spec as the expected state."""

from __future__ import annotations

from dataclasses import replace

from builders import IMAGE, SERVICE_ARN, SUBNETS, TASK_SG, TG_ARN, snapshot, td_arn

from ecs_medic.analyzers.drift import spec_drift, stack_job_failed
from ecs_medic.analyzers.registry import analyze
from ecs_medic.context.expected import ExpectedSpec, StackJob
from ecs_medic.findings import Severity

RESOURCE = "acme/prod/ledger-api"


def matching_spec(**changes: object) -> ExpectedSpec:
    """The spec that describes the builders' healthy ledger-api exactly."""
    spec = ExpectedSpec(
        resource=RESOURCE,
        cpu=512,
        memory=1024,
        image=IMAGE,
        port=9000,
        desired_count=3,
        health_check_path="/healthz",
        grace_period_s=0,
        subnets=tuple(reversed(SUBNETS)),  # order does not matter
        security_groups=(TASK_SG,),
    )
    return replace(spec, **changes)  # type: ignore[arg-type]


def test_no_planton_spec_means_no_drift_finding():
    """A service Planton does not manage is never reported as drifted."""
    assert [] == spec_drift(snapshot()) + stack_job_failed(snapshot())


def test_spec_equal_to_live_service_has_no_drift():
    """Every compared field equal (subnets in another order) gives no finding."""
    assert [] == spec_drift(snapshot(expected=matching_spec()))


def test_memory_and_count_drift_are_reported_with_both_values():
    """Planton says 2048 MiB and 2 tasks; AWS runs 1024 MiB and 3: one finding, two lines."""
    [finding] = spec_drift(snapshot(expected=matching_spec(memory=2048, desired_count=2)))
    details = {e.detail: (e.source, e.resource) for e in finding.evidence}
    assert "PLANTON_SPEC_DRIFT" == finding.code
    assert Severity.MEDIUM == finding.severity
    assert {
        "memory: Planton spec 2048, live 1024": ("ecs:DescribeTaskDefinition", td_arn()),
        "desired count: Planton spec 2, live 3": ("ecs:DescribeServices", SERVICE_ARN),
    } == details
    assert RESOURCE in finding.summary


def test_image_port_health_path_and_network_drift_each_count():
    """Image tag, container port, health path, subnets and security groups are compared."""
    spec = matching_spec(
        image=IMAGE.replace(":v42", ":v43"),
        port=8080,
        health_check_path="/health",
        subnets=("subnet-other",),
        security_groups=("sg-other",),
    )
    [finding] = spec_drift(snapshot(expected=spec))
    fields = sorted(e.detail.split(":", 1)[0] for e in finding.evidence)
    assert ["container port", "health check path", "image", "security groups", "subnets"] == fields
    assert TG_ARN in {e.resource for e in finding.evidence}


def test_fields_the_spec_leaves_out_are_not_compared():
    """A spec without cpu, memory or count (autoscaling owns the count) drifts on nothing."""
    spec = ExpectedSpec(resource=RESOURCE)
    assert [] == spec_drift(snapshot(expected=spec))


def test_failed_stack_job_is_evidence_with_its_error():
    """A failed update names the job, the operation and Planton's error sentence."""
    job = StackJob("sj-01", "update", "completed", "failed", ("update failed: quota exceeded",))
    [finding] = stack_job_failed(snapshot(expected=matching_spec(stack_job=job)))
    assert "PLANTON_STACK_JOB_FAILED" == finding.code
    assert "sj-01" in finding.summary
    assert "update failed: quota exceeded" in finding.summary
    assert ("planton:get_latest_stack_job", "sj-01") == (
        finding.evidence[0].source,
        finding.evidence[0].resource,
    )


def test_succeeded_stack_job_is_no_finding():
    """A succeeded stack job is normal."""
    job = StackJob("sj-02", "update", "completed", "succeeded")
    assert [] == stack_job_failed(snapshot(expected=matching_spec(stack_job=job)))


def test_registry_runs_the_drift_analyzers():
    """The registered analyzers report drift for a Planton-managed service."""
    codes = [f.code for f in analyze(snapshot(expected=matching_spec(cpu=1024))).findings]
    assert "PLANTON_SPEC_DRIFT" in codes

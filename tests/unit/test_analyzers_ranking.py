"""Ranking: the root cause comes first; symptoms carry caused_by and rank below it."""

from __future__ import annotations

from builders import (
    app_exit_task,
    failed_deployment,
    log,
    mismatch_target,
    oom_task,
    pull_task,
    service,
    snapshot,
)

from ecs_medic.analyzers import analyze
from ecs_medic.analyzers.ranking import rank
from ecs_medic.findings import Evidence, Severity, make_finding

E = (Evidence("ecs:DescribeTasks", "arn:task/1", "exit 1"),)


def finding(code, severity=Severity.HIGH, confidence=0.9, tasks=0):
    """A finding with just the fields that ranking reads."""
    return make_finding(
        code,
        summary=code,
        evidence=E,
        remediation="-",
        severity=severity,
        confidence=confidence,
        affected_tasks=tasks,
    )


def breaker_snapshot(*stopped):
    """The circuit breaker failed the deployment; the stopped tasks say why."""
    return snapshot(
        stopped_tasks=stopped, service=service(running=0, deployments=(failed_deployment(),))
    )


def test_oom_ranks_above_the_circuit_breaker_it_caused():
    """OOM is the root cause; the breaker follows with caused_by=OOM_KILLED."""
    findings = analyze(breaker_snapshot(oom_task(1), oom_task(2), oom_task(3))).findings
    assert [("OOM_KILLED", None), ("CIRCUIT_BREAKER_ROLLBACK", "OOM_KILLED")] == [
        (f.code, f.caused_by) for f in findings
    ]


def test_image_pull_explains_the_breaker():
    """A missing image is the cause of the failed deployment."""
    findings = analyze(breaker_snapshot(pull_task(1), pull_task(2))).findings
    assert ["IMAGE_PULL_NOT_FOUND", "CIRCUIT_BREAKER_ROLLBACK"] == [f.code for f in findings]
    assert "IMAGE_PULL_NOT_FOUND" == findings[1].caused_by


def test_breaker_alone_is_the_root_cause_without_caused_by():
    """With no explaining finding the breaker stays first and unlinked."""
    [only] = analyze(breaker_snapshot()).findings
    assert ("CIRCUIT_BREAKER_ROLLBACK", None) == (only.code, only.caused_by)


def test_cause_is_raised_to_the_severity_of_its_symptom():
    """A medium cause of a high symptom becomes high, so it can never rank below it."""
    ranked = rank([finding("CIRCUIT_BREAKER_ROLLBACK"), finding("OOM_KILLED", Severity.MEDIUM)])
    assert [("OOM_KILLED", Severity.HIGH), ("CIRCUIT_BREAKER_ROLLBACK", Severity.HIGH)] == [
        (f.code, f.severity) for f in ranked
    ]


def test_symptom_links_to_the_best_ranked_cause():
    """Of two causes, the breaker is linked to the more severe one."""
    ranked = rank(
        [
            finding("ESSENTIAL_CONTAINER_EXIT", Severity.MEDIUM),
            finding("CIRCUIT_BREAKER_ROLLBACK", Severity.MEDIUM),
            finding("TG_HEALTHCHECK_FAILING", Severity.CRITICAL),
        ]
    )
    assert "TG_HEALTHCHECK_FAILING" == ranked[-1].caused_by


def test_severity_outranks_confidence():
    """A critical finding comes before a more confident high one."""
    ranked = rank(
        [
            finding("OOM_KILLED", confidence=0.99),
            finding("TG_HEALTHCHECK_FAILING", Severity.CRITICAL, 0.6),
        ]
    )
    assert ["TG_HEALTHCHECK_FAILING", "OOM_KILLED"] == [f.code for f in ranked]


def test_a_cause_of_others_beats_a_plain_finding_of_equal_severity():
    """At equal severity the finding that explains a symptom comes first."""
    ranked = rank(
        [
            finding("DESIRED_COUNT_ZERO", confidence=0.99),
            finding("OOM_KILLED", confidence=0.8),
            finding("DEPLOYMENT_STUCK"),
        ]
    )
    assert ["OOM_KILLED", "DESIRED_COUNT_ZERO", "DEPLOYMENT_STUCK"] == [f.code for f in ranked]


def test_confidence_then_affected_tasks_break_ties():
    """Among equals, higher confidence wins, then more affected tasks."""
    ranked = rank(
        [
            finding("ESSENTIAL_CONTAINER_EXIT", confidence=0.8, tasks=9),
            finding("OOM_KILLED", confidence=0.8, tasks=2),
            finding("IMAGE_PULL_NOT_FOUND", confidence=0.95, tasks=1),
        ]
    )
    assert ["IMAGE_PULL_NOT_FOUND", "ESSENTIAL_CONTAINER_EXIT", "OOM_KILLED"] == [
        f.code for f in ranked
    ]


def test_more_affected_tasks_win_between_equally_sure_causes():
    """Two app exits with logs outrank one unhealthy target at the same severity."""
    crashed = (app_exit_task(1), app_exit_task(2))
    snap = snapshot(
        stopped_tasks=crashed,
        log_events=(log(crashed[0], "panic: nil map"),),
        target_health=(mismatch_target("10.0.1.11"),),
        service=service(running=1),
    )
    assert ["ESSENTIAL_CONTAINER_EXIT", "TG_HEALTHCHECK_FAILING"] == [
        f.code for f in analyze(snap).findings
    ]


def test_breaker_links_to_the_root_of_a_chain():
    """Breaker -> app exit -> task role: both symptoms point at the task role."""
    ranked = rank(
        [
            finding("CIRCUIT_BREAKER_ROLLBACK"),
            finding("ESSENTIAL_CONTAINER_EXIT", Severity.CRITICAL, 0.9),
            finding("TASK_ROLE_PERMISSION_DENIED", Severity.CRITICAL, 0.75),
        ]
    )
    assert [
        ("TASK_ROLE_PERMISSION_DENIED", None),
        ("ESSENTIAL_CONTAINER_EXIT", "TASK_ROLE_PERMISSION_DENIED"),
        ("CIRCUIT_BREAKER_ROLLBACK", "TASK_ROLE_PERMISSION_DENIED"),
    ] == [(f.code, f.caused_by) for f in ranked]


def test_a_failed_rollout_explains_stale_tasks_and_both_point_at_its_root():
    """Stale digest <- rolled-back deployment <- crash: the crash ranks first, the rest link."""
    ranked = rank(
        [
            finding("STALE_IMAGE_NOT_REDEPLOYED", Severity.MEDIUM, 0.99),
            finding("CIRCUIT_BREAKER_ROLLBACK", Severity.MEDIUM, 0.8),
            finding("RUNTIME_CRASH_SIGNAL", Severity.MEDIUM, 0.9),
        ]
    )
    assert [
        ("RUNTIME_CRASH_SIGNAL", None),
        ("STALE_IMAGE_NOT_REDEPLOYED", "RUNTIME_CRASH_SIGNAL"),
        ("CIRCUIT_BREAKER_ROLLBACK", "RUNTIME_CRASH_SIGNAL"),
    ] == [(f.code, f.caused_by) for f in ranked]


def test_stale_tasks_alone_are_the_root_cause():
    """With no failed rollout, the stale digest is the finding to act on."""
    [only] = rank([finding("STALE_IMAGE_NOT_REDEPLOYED", Severity.MEDIUM)])
    assert ("STALE_IMAGE_NOT_REDEPLOYED", None) == (only.code, only.caused_by)


def test_short_grace_is_a_consequence_of_a_target_group_behind_no_listener():
    """Tasks killed early by ELB checks of a group no listener serves: no grace period helps."""
    ranked = rank(
        [
            finding("HEALTH_CHECK_GRACE_TOO_SHORT", Severity.HIGH, 0.9, tasks=6),
            finding("TG_MISSING_OR_UNATTACHED", Severity.HIGH, 0.85),
        ]
    )
    assert [
        ("TG_MISSING_OR_UNATTACHED", None),
        ("HEALTH_CHECK_GRACE_TOO_SHORT", "TG_MISSING_OR_UNATTACHED"),
    ] == [(f.code, f.caused_by) for f in ranked]


def test_short_grace_alone_stays_the_root_cause():
    """Without a reason the targets cannot be reached, the grace period is the finding to fix."""
    [only] = rank([finding("HEALTH_CHECK_GRACE_TOO_SHORT")])
    assert ("HEALTH_CHECK_GRACE_TOO_SHORT", None) == (only.code, only.caused_by)

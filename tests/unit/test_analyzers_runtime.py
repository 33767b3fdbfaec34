"""OOM_KILLED, ESSENTIAL_CONTAINER_EXIT and SIGTERM_NOT_HANDLED."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    ESSENTIAL_EXITED,
    app_exit_task,
    container,
    deployment,
    log,
    oom_task,
    service,
    snapshot,
    task,
    task_definition,
)

from ecs_medic.analyzers.runtime import essential_container_exit, oom_killed, sigterm_not_handled
from ecs_medic.aws.snapshot import CapacityView, Task
from ecs_medic.aws.snapshot_capacity import MetricSummary
from ecs_medic.findings import Severity


def test_healthy_service_has_no_runtime_finding():
    """A service with no stopped tasks shows neither OOM nor application exits."""
    snap = snapshot()
    assert [] == oom_killed(snap) + essential_container_exit(snap)


def test_oom_summary_states_counts_exit_code_and_task_memory():
    """The OOM summary carries the numbers a person checks first."""
    snap = snapshot(stopped_tasks=(oom_task(1), oom_task(2)))
    [finding] = oom_killed(snap)
    assert (
        "2 of 2 stopped tasks were OOM-killed (exit 137) with 1024 MiB task memory"
        " and a 768 MiB limit on container app"
    ) == finding.summary


def test_oom_evidence_quotes_the_container_reason_and_memory_settings():
    """Evidence holds the verbatim OutOfMemoryError and the task-definition memory limits."""
    snap = snapshot(stopped_tasks=(oom_task(1),))
    details = [e.detail for e in oom_killed(snap)[0].evidence]
    assert any("OutOfMemoryError: Container killed due to memory usage" in d for d in details)
    assert "task memory 1024; container app memory 768, memoryReservation 512 (MiB)" in details


def test_oom_without_task_level_memory_on_ec2_names_the_container_limit():
    """On EC2 without task-level memory the container limit is what the summary names."""
    ec2_def = replace(task_definition(memory=None), requires_compatibilities=("EC2",))
    oom = replace(oom_task(1), launch_type="EC2")
    snap = snapshot(task_definitions=(ec2_def,), stopped_tasks=(oom,))
    assert oom_killed(snap)[0].summary.endswith("with a 768 MiB limit on container app")


def test_oom_severity_is_critical_when_nothing_runs():
    """No running task out of the desired count makes the OOM critical."""
    snap = snapshot(stopped_tasks=(oom_task(1),), running_tasks=())
    snap = replace(snap, service=replace(snap.service, running_count=0))
    assert Severity.CRITICAL == oom_killed(snap)[0].severity


def test_exit_137_without_an_oom_reason_is_not_oom():
    """Exit 137 alone (SIGKILL after stopTimeout, maintenance) is not called OOM."""
    killed = task(
        1,
        stopped_reason="Scaling activity initiated by (deployment ecs-svc/123)",
        containers=(container("app", 137),),
    )
    assert [] == oom_killed(snapshot(stopped_tasks=(killed,)))


def test_oom_is_not_reported_as_essential_container_exit():
    """An OOM-killed task belongs to OOM_KILLED only."""
    assert [] == essential_container_exit(snapshot(stopped_tasks=(oom_task(1), oom_task(2))))


def test_application_exit_names_the_essential_container_and_code():
    """Exit 1 of the essential app is found even though the sidecar is listed first."""
    snap = snapshot(stopped_tasks=(app_exit_task(1), app_exit_task(2), oom_task(3)))
    [finding] = essential_container_exit(snap)
    assert (
        "2 of 3 stopped tasks stopped because essential container app exited with code 1"
    ) == finding.summary
    assert 2 == finding.affected_tasks


def test_application_exit_quotes_up_to_three_error_log_lines_of_the_task():
    """The last error-looking lines of the failed task's app stream are the evidence."""
    failed = app_exit_task(1)
    lines = [
        "starting ledger-api 4.2",
        "ERROR connecting to db: timeout",
        "retrying",
        "ERROR connecting to db: timeout",
        "FATAL: DATABASE_URL is not set",
        "Traceback (most recent call last):",
    ]
    logs = tuple(log(failed, m, second=i) for i, m in enumerate(lines))
    snap = snapshot(stopped_tasks=(failed,), log_events=(*logs, log(failed, "error", "envoy")))
    details = [
        e.detail for e in essential_container_exit(snap)[0].evidence if e.source.startswith("logs")
    ]
    assert [
        "ERROR connecting to db: timeout",
        "FATAL: DATABASE_URL is not set",
        "Traceback (most recent call last):",
    ] == details


def test_exit_code_of_a_non_essential_sidecar_is_ignored():
    """A non-essential envoy exiting 1 does not make an application-error finding."""
    stopped = task(
        1,
        stopped_reason=ESSENTIAL_EXITED,
        containers=(container("envoy", 1), container("app", 0)),
    )
    assert [] == essential_container_exit(snapshot(stopped_tasks=(stopped,)))


def test_unknown_task_definition_treats_every_container_as_essential():
    """Without the task definition, any container's exit 1 counts."""
    stopped = task(
        1,
        revision=99,
        stopped_reason=ESSENTIAL_EXITED,
        containers=(container("worker", 1),),
    )
    [finding] = essential_container_exit(snapshot(stopped_tasks=(stopped,)))
    assert "essential container worker exited with code 1" in finding.summary


def test_signal_exit_codes_are_not_application_errors():
    """Exit 139, 134, 143 and 255 have their own codes, not ESSENTIAL_CONTAINER_EXIT."""
    stops = tuple(app_exit_task(n, code) for n, code in enumerate((139, 134, 143, 255), 1))
    assert [] == essential_container_exit(snapshot(stopped_tasks=stops))


def test_oom_quotes_memory_utilization_when_collected():
    """CloudWatch's MemoryUtilization backs the OOM finding with the service-level numbers."""
    metric = MetricSummary("AWS/ECS", "MemoryUtilization", 99.6, 81.2, 12)
    snap = snapshot(stopped_tasks=(oom_task(1),), capacity=CapacityView(metrics=(metric,)))
    details = [e.detail for e in oom_killed(snap)[0].evidence]
    assert "AWS/ECS MemoryUtilization maximum 100%, average 81%" in details


def deploy_stop(n: int, app_exit: int) -> Task:
    """An EC2 task the scheduler stopped for a deployment; the app exited with `app_exit`."""
    return task(
        n,
        launch_type="EC2",
        stop_code="ServiceSchedulerInitiated",
        stopped_reason="Scaling activity initiated by (deployment ecs-svc/4417)",
        containers=(container("envoy", 143), container("app", app_exit)),
    )


def test_sigkilled_deploy_stops_are_medium_with_every_task_running():
    """Exit 137 on a deployment's stop: not an expected stop (143 is), medium at full capacity."""
    snap = snapshot(stopped_tasks=(deploy_stop(1, 137), deploy_stop(2, 137)))
    [finding] = sigterm_not_handled(snap)
    assert (Severity.MEDIUM, 2) == (finding.severity, finding.affected_tasks)
    assert "app stopTimeout default 30 s" in finding.summary


def test_graceful_exits_on_deploy_stops_are_not_sigterm_findings():
    """143 (SIGTERM handled) and 0 are the healthy ends of a deployment's stop."""
    snap = snapshot(stopped_tasks=(deploy_stop(1, 143), deploy_stop(2, 0)))
    assert [] == sigterm_not_handled(snap)


def test_a_crash_with_a_completed_revision_to_roll_back_to_is_a1_else_a3():
    """The catalogue: "A1 to roll back to the last COMPLETED revision. A3 otherwise"."""
    crashing = deployment(7, rollout="IN_PROGRESS")  # the service's current revision
    history = (crashing, deployment(6, status="ACTIVE"))
    with_good = snapshot(stopped_tasks=(app_exit_task(1),), service=service(deployments=history))
    first_release = snapshot(
        stopped_tasks=(app_exit_task(1),), service=service(deployments=(crashing,))
    )
    assert "A1" == essential_container_exit(with_good)[0].auto_level
    assert "ledger-api:6" in essential_container_exit(with_good)[0].remediation
    assert "A3" == essential_container_exit(first_release)[0].auto_level


def test_a_variable_the_log_says_is_missing_is_named_in_the_fix():
    """A log naming an unset variable that the container does not set: set it, in a revision."""
    failed = app_exit_task(1)
    lines = ["starting", "Error: required environment variable DATABASE_URL is not set"]
    logs = tuple(log(failed, m, second=i) for i, m in enumerate(lines))
    [finding] = essential_container_exit(snapshot(stopped_tasks=(failed,), log_events=logs))
    assert finding.remediation.startswith(
        "Set DATABASE_URL for container app in a new revision of ledger-api (environment, or "
        "secrets with valueFrom for a credential), then update the service to it"
    )


def test_a_variable_the_container_already_sets_is_not_named():
    """KeyError on a variable the task definition sets: not a missing variable, read the log."""
    failed = app_exit_task(1)
    td = task_definition()
    app = next(c for c in td.containers if c.name == "app")
    app = replace(app, environment_names=("DATABASE_URL",))
    td = replace(td, containers=(app,))
    logs = (log(failed, "KeyError: 'DATABASE_URL'"),)
    snap = snapshot(stopped_tasks=(failed,), log_events=logs, task_definitions=(td,))
    assert essential_container_exit(snap)[0].remediation.startswith("Read the last log lines")

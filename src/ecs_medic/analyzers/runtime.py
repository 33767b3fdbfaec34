"""Runtime failures (catalogue section 7): containers that die after they started."""

from __future__ import annotations

from datetime import UTC, datetime

from ecs_medic.aws.snapshot import Container, LogEvent, ServiceSnapshot, Task, TaskDefinition
from ecs_medic.findings import Evidence, Finding, make_finding

from .signals import (
    DESCRIBE_TASK_DEFINITION,
    DESCRIBE_TASKS,
    FILTER_LOG_EVENTS,
    contains_any,
    essential_containers,
    impact_severity,
    is_oom,
    last_lines,
    plural,
)

MAX_TASK_EVIDENCE = 5
# Exit codes with their own catalogue entry or meaning: not a plain application error.
NOT_APP_ERROR = frozenset({0, 134, 137, 139, 143, 255})
ESSENTIAL_EXITED = "essential container in task exited"
ERROR_WORDS = ("error", "exception", "fatal", "panic", "traceback", "critical", "failed")

_EPOCH = datetime.min.replace(tzinfo=UTC)

TaskHit = tuple[Task, Container]


def oom_killed(snapshot: ServiceSnapshot) -> list[Finding]:
    """OOM_KILLED: stopped tasks whose container reason reports OutOfMemoryError."""
    hits = [(t, c) for t in snapshot.stopped_tasks if (c := _first_oom(t))]
    if not hits:
        return []
    exits = sorted({c.exit_code for _, c in hits if c.exit_code is not None})
    names = {c.name for _, c in hits}
    definitions = _definitions(snapshot, hits)
    summary = (
        f"{len(hits)} of {plural(len(snapshot.stopped_tasks), 'stopped task')} "
        f"{'was' if len(hits) == 1 else 'were'} OOM-killed"
        + (f" (exit {', '.join(map(str, exits))})" if exits else "")
        + (f" with {_limit_phrase(definitions[0], names)}" if definitions else "")
    )
    evidence = [_container_evidence(t, c) for t, c in hits[:MAX_TASK_EVIDENCE]]
    evidence += [_memory_evidence(d, names) for d in definitions]
    return [
        make_finding(
            "OOM_KILLED",
            summary=summary,
            evidence=evidence,
            remediation=(
                f"Raise the memory of container {', '.join(sorted(names))} in a new "
                "task-definition revision (a valid Fargate size), or fix the leak or heap sizing "
                "(e.g. JVM MaxRAMPercentage); check MemoryUtilization before choosing the size."
            ),
            severity=impact_severity(snapshot),
            confidence=0.95 if 137 in exits else 0.85,
            affected_tasks=len(hits),
        )
    ]


def essential_container_exit(snapshot: ServiceSnapshot) -> list[Finding]:
    """ESSENTIAL_CONTAINER_EXIT: an essential container exited with an application error."""
    hits = [hit for t in _newest_first(snapshot.stopped_tasks) if (hit := _app_error(snapshot, t))]
    if not hits:
        return []
    names = sorted({c.name for _, c in hits})
    codes = sorted({c.exit_code for _, c in hits if c.exit_code is not None})
    logs = _crash_logs(snapshot, hits)
    summary = (
        f"{len(hits)} of {plural(len(snapshot.stopped_tasks), 'stopped task')} stopped because "
        f"essential container {', '.join(names)} exited with code "
        f"{', '.join(map(str, codes))}"
    )
    evidence = [_container_evidence(t, c) for t, c in hits[:MAX_TASK_EVIDENCE]]
    return [
        make_finding(
            "ESSENTIAL_CONTAINER_EXIT",
            summary=summary,
            evidence=[*evidence, *logs],
            remediation=(
                f"Read the last log lines of {', '.join(names)} and fix the configuration or code "
                "that makes it exit; if the newest revision introduced it, roll back to the last "
                "COMPLETED revision."
            ),
            severity=impact_severity(snapshot),
            confidence=0.9 if logs else 0.8,
            affected_tasks=len(hits),
        )
    ]


def _first_oom(task: Task) -> Container | None:
    """Return the first container of the task that was killed for memory."""
    return next((c for c in task.containers if is_oom(c)), None)


def _app_error(snapshot: ServiceSnapshot, task: Task) -> TaskHit | None:
    """Return the essential container that ended this task with an application error, if any."""
    exited = task.stop_code == "EssentialContainerExited" or contains_any(
        task.stopped_reason, [ESSENTIAL_EXITED]
    )
    if not exited or any(is_oom(c) for c in task.containers):
        return None
    culprit = next(
        (
            c
            for c in essential_containers(snapshot, task)
            if c.exit_code is not None and c.exit_code not in NOT_APP_ERROR
        ),
        None,
    )
    return (task, culprit) if culprit else None


def _newest_first(tasks: tuple[Task, ...]) -> list[Task]:
    """Order tasks by stop time, newest first; tasks without one keep their order last."""
    dated = sorted((t for t in tasks if t.stopped_at), key=lambda t: t.stopped_at or _EPOCH)
    return [*reversed(dated), *(t for t in tasks if not t.stopped_at)]


def _container_evidence(task: Task, container: Container) -> Evidence:
    """Quote what describe_tasks said about the task and the container that ended it."""
    parts = [f'stoppedReason "{task.stopped_reason}"'] if task.stopped_reason else []
    parts.append(f"container {container.name} exitCode {container.exit_code}")
    if container.reason:
        parts.append(f'reason "{container.reason}"')
    return Evidence(DESCRIBE_TASKS, task.arn, "; ".join(parts))


def _definitions(snapshot: ServiceSnapshot, hits: list[TaskHit]) -> list[TaskDefinition]:
    """Return the distinct task definitions the hit tasks ran, in order of first appearance."""
    arns = dict.fromkeys(t.task_definition_arn for t, _ in hits)
    return [d for arn in arns if (d := snapshot.task_definition(arn))]


def _limit_phrase(definition: TaskDefinition, names: set[str]) -> str:
    """'512 MiB task memory' and the hard limits of the named containers, for a summary."""
    parts = [f"{definition.memory} MiB task memory"] if definition.memory else []
    parts += [
        f"a {c.memory} MiB limit on container {c.name}"
        for c in definition.containers
        if c.name in names and c.memory
    ]
    return " and ".join(parts) or "no memory limit in the task definition"


def _memory_evidence(definition: TaskDefinition, names: set[str]) -> Evidence:
    """Return the task-level and container memory settings the killed containers ran with."""
    parts = [f"task memory {definition.memory or 'not set'}"]
    for c in definition.containers:
        if c.name in names:
            parts.append(
                f"container {c.name} memory {c.memory or 'not set'}, "
                f"memoryReservation {c.memory_reservation or 'not set'}"
            )
    return Evidence(DESCRIBE_TASK_DEFINITION, definition.arn, "; ".join(parts) + " (MiB)")


def _crash_logs(snapshot: ServiceSnapshot, hits: list[TaskHit]) -> list[Evidence]:
    """Return up to 3 error-looking log lines of the newest failed task that has logs."""
    for task, container in hits:
        events = _container_logs(snapshot.logs_for_task(task.id), container.name)
        lines = last_lines(events, ERROR_WORDS) or [e.message.rstrip() for e in events[-3:]]
        if lines:
            stream = f"{events[-1].log_group}:{events[-1].log_stream}"
            return [Evidence(FILTER_LOG_EVENTS, stream, line) for line in lines]
    return []


def _container_logs(events: tuple[LogEvent, ...], name: str) -> tuple[LogEvent, ...]:
    """Return the events of this container's stream (`prefix/name/id`), else all of them."""
    own = tuple(e for e in events if f"/{name}/" in e.log_stream)
    return own or events

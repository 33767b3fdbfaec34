"""Runtime failures (catalogue section 7): containers that die after they started."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from ecs_medic.aws.snapshot import Container, LogEvent, ServiceSnapshot, Task, TaskDefinition
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .signals import (
    DESCRIBE_TASK_DEFINITION,
    DESCRIBE_TASKS,
    FILTER_LOG_EVENTS,
    Signal,
    TaskHit,
    contains_any,
    essential_containers,
    find_signal,
    impact_severity,
    is_oom,
    last_lines,
    plural,
    rollback_hint,
    rollback_level,
    signal_finding,
)

MAX_TASK_EVIDENCE = 5
# Exit codes with their own catalogue entry or meaning: not a plain application error.
NOT_APP_ERROR = frozenset({0, 126, 127, 134, 137, 139, 143, 255})
ESSENTIAL_EXITED = "essential container in task exited"
ERROR_WORDS = ("error", "exception", "fatal", "panic", "traceback", "critical", "failed")

_EPOCH = datetime.min.replace(tzinfo=UTC)

ContainerHit = tuple[Task, Container]


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
    evidence += _memory_metric(snapshot)
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
            remediation=_exit_remediation(snapshot, names, logs),
            severity=impact_severity(snapshot),
            confidence=0.9 if logs else 0.8,
            auto_level=rollback_level(snapshot),
            affected_tasks=len(hits),
        )
    ]


def _exit_remediation(snapshot: ServiceSnapshot, names: list[str], logs: list[Evidence]) -> str:
    """What to change: the variable the logs say is missing, else the log and the rollback."""
    missing = _missing_variables(snapshot, names, logs)
    if missing:
        family = snapshot.current_task_definition
        where = f" in a new revision of {family.family}" if family else " in a new revision"
        return (
            f"Set {', '.join(missing)} for container {', '.join(names)}{where} (environment, "
            "or secrets with valueFrom for a credential), then update the service to it: the "
            f"log says {logs[0].detail!r}."
            + (f" Or roll back{rollback_hint(snapshot)}." if rollback_hint(snapshot) else
               " No earlier revision completed, so there is nothing to roll back to.")
        )  # fmt: skip
    return (
        f"Read the last log lines of {', '.join(names)} and fix the configuration or code "
        "that makes it exit; if the newest revision introduced it, roll back to the last "
        f"COMPLETED revision{rollback_hint(snapshot)}."
    )


# "environment variable X is not set", "missing env var: X", Python's KeyError: 'X'.
_MISSING_VARIABLE = re.compile(
    r"(?:environment variable|env(?:ironment)? var(?:iable)?)s?:?\s+['\"`]?([A-Z][A-Z0-9_]+)"
    r"|KeyError: ['\"]([A-Z][A-Z0-9_]+)['\"]"
)


def _missing_variables(
    snapshot: ServiceSnapshot, names: list[str], logs: list[Evidence]
) -> list[str]:
    """Variables the crash logs name that the failing containers do not set."""
    definition = snapshot.current_task_definition
    present = {
        n
        for c in (definition.containers if definition else ())
        if c.name in names
        for n in (*c.environment_names, *(s.name for s in c.secrets))
    }
    found = (m.group(1) or m.group(2) for e in logs for m in _MISSING_VARIABLE.finditer(e.detail))
    return [v for v in dict.fromkeys(found) if v not in present]


def _memory_metric(snapshot: ServiceSnapshot) -> list[Evidence]:
    """The service's MemoryUtilization over the collected window, when CloudWatch had it."""
    metric = snapshot.capacity.metric("MemoryUtilization")
    if metric is None or metric.maximum is None:
        return []
    average = f", average {metric.average:.0f}%" if metric.average is not None else ""
    detail = f"{metric.namespace} MemoryUtilization maximum {metric.maximum:.0f}%{average}"
    return [Evidence("cloudwatch:GetMetricData", snapshot.service.arn, detail)]


def _first_oom(task: Task) -> Container | None:
    """Return the first container of the task that was killed for memory."""
    return next((c for c in task.containers if is_oom(c)), None)


def _app_error(snapshot: ServiceSnapshot, task: Task) -> ContainerHit | None:
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


def _definitions(snapshot: ServiceSnapshot, hits: list[ContainerHit]) -> list[TaskDefinition]:
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


def _crash_logs(snapshot: ServiceSnapshot, hits: list[ContainerHit]) -> list[Evidence]:
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


# --- processes that cannot start, crash on a signal, or ignore SIGTERM ------------------

CANNOT_START = ("cannotstartcontainererror",)
EXEC_FAILURE = (
    "executable file not found",
    'exec: "',
    "starting container process caused",
    "oci runtime create failed",
    "exec user process caused",
)
NOT_ENTRYPOINT = ("logging driver", "log group", "log stream", "efs", "exec format error")
ENTRYPOINT_EXITS = frozenset({126, 127, 255})
SIGNAL_EXITS = {139: "SIGSEGV", 134: "SIGABRT"}
GRACEFUL_STOPS = ("scaling activity initiated by", "task stopped by user")


def entrypoint_cmd_error(snapshot: ServiceSnapshot) -> list[Finding]:
    """ENTRYPOINT_CMD_ERROR: the container's entryPoint or command cannot be run."""
    start = find_signal(snapshot, (*CANNOT_START, *EXEC_FAILURE), NOT_ENTRYPOINT)
    exits = [
        hit for t in snapshot.stopped_tasks if (hit := _exit_in(snapshot, t, ENTRYPOINT_EXITS))
    ]
    known = {h.task.arn for h in start.tasks}
    hits = [
        *(h for h in start.tasks),
        *(TaskHit(t, f"exitCode {c.exit_code}", c.name) for t, c in exits if t.arn not in known),
    ]
    if not hits and not start:
        return []
    signal = Signal(tuple(hits), start.events)
    names = sorted({h.container for h in hits if h.container})
    facts = [
        _command_evidence(d, names)
        for d in _definitions(snapshot, [(h.task, Container(h.container or "")) for h in hits])
    ]
    return [
        signal_finding(
            snapshot,
            "ENTRYPOINT_CMD_ERROR",
            signal,
            summary=(
                f"{plural(len(hits), 'task')} could not start the process of "
                f"{', '.join(names) or 'a container'}"
            ),
            facts=facts,
            remediation=(
                f"Correct entryPoint/command of {', '.join(names) or 'the container'} in a new "
                "revision "
                "(the executable must exist in the image and be on PATH), or rebuild the image."
            ),
            severity=impact_severity(snapshot),
            confidence=0.9 if start else 0.75,
        )
    ]


def _exit_in(snapshot: ServiceSnapshot, task: Task, codes: frozenset[int]) -> ContainerHit | None:
    """The essential container of the task that exited with one of these codes (no OOM)."""
    if any(is_oom(c) for c in task.containers):
        return None
    culprit = next((c for c in essential_containers(snapshot, task) if c.exit_code in codes), None)
    return (task, culprit) if culprit else None


def _command_evidence(definition: TaskDefinition, names: list[str]) -> Evidence:
    """The entryPoint and command of the named containers."""
    parts = [
        f"container {c.name} entryPoint {list(c.entry_point)}, command {list(c.command)}"
        for c in definition.containers
        if c.name in names
    ]
    return Evidence(
        DESCRIBE_TASK_DEFINITION, definition.arn, "; ".join(parts) or "no such container"
    )


def runtime_crash_signal(snapshot: ServiceSnapshot) -> list[Finding]:
    """RUNTIME_CRASH_SIGNAL: an essential container died of SIGSEGV (139) or SIGABRT (134)."""
    hits = [
        hit
        for t in snapshot.stopped_tasks
        if (hit := _exit_in(snapshot, t, frozenset(SIGNAL_EXITS)))
    ]
    if not hits:
        return []
    codes = sorted({c.exit_code for _, c in hits if c.exit_code is not None})
    names = sorted({c.name for _, c in hits})
    logs = _crash_logs(snapshot, hits)
    return [
        make_finding(
            "RUNTIME_CRASH_SIGNAL",
            summary=(
                f"{len(hits)} of {plural(len(snapshot.stopped_tasks), 'stopped task')} crashed: "
                f"{', '.join(names)} exited {', '.join(f'{c} ({SIGNAL_EXITS[c]})' for c in codes)}"
            ),
            evidence=[*(_container_evidence(t, c) for t, c in hits[:MAX_TASK_EVIDENCE]), *logs],
            remediation=(
                "Roll back to the last COMPLETED revision, then fix the native crash in "
                f"{', '.join(names)} "
                "(recent image or library changes; check the CPU architecture of native modules)."
            ),
            severity=impact_severity(snapshot),
            confidence=0.9,
            auto_level=rollback_level(snapshot),
            affected_tasks=len(hits),
        )
    ]


def sigterm_not_handled(snapshot: ServiceSnapshot) -> list[Finding]:
    """SIGTERM_NOT_HANDLED: tasks stopped by a deploy or scale-in were SIGKILLed (exit 137).

    Medium even at full capacity: the stop itself is expected (catalogue section 9), but 137
    instead of 143 or 0 means every deploy and scale-in kills in-flight work, and it repeats.
    """
    hits = [
        hit
        for t in snapshot.stopped_tasks
        if contains_any(t.stopped_reason, GRACEFUL_STOPS)
        and (hit := _exit_in(snapshot, t, frozenset({137})))
    ]
    if not hits:
        return []
    names = sorted({c.name for _, c in hits})
    definition = snapshot.current_task_definition
    timeouts = {
        c.name: c.stop_timeout_s
        for c in (definition.containers if definition else ())
        if c.name in names
    }
    timeout_text = ", ".join(f"{n} stopTimeout {t or 'default 30'} s" for n, t in timeouts.items())
    return [
        make_finding(
            "SIGTERM_NOT_HANDLED",
            summary=(
                f"{plural(len(hits), 'task')} stopped by ECS were killed with exit 137 instead of "
                f"exiting on SIGTERM ({timeout_text or ', '.join(names)})"
            ),
            evidence=[_container_evidence(t, c) for t, c in hits[:MAX_TASK_EVIDENCE]],
            remediation=(
                f"Handle SIGTERM in {', '.join(names)} (exit cleanly, or run with an init "
                "process), "
                "and raise stopTimeout (up to 120 s on Fargate) if shutdown needs longer."
            ),
            severity=Severity.MEDIUM,
            confidence=0.8,
            affected_tasks=len(hits),
        )
    ]

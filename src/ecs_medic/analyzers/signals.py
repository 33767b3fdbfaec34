"""Small readers shared by the analyzers: text matching, essential containers, impact.

Everything here is a pure function of snapshot data. AWS truncates long messages (Fargate
platform 1.4), so matching is always on case-insensitive substrings, never whole lines.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ecs_medic.aws.snapshot import (
    Container,
    LogEvent,
    ServiceEvent,
    ServiceSnapshot,
    Task,
)
from ecs_medic.findings import Evidence, Severity

DESCRIBE_TASKS = "ecs:DescribeTasks"
DESCRIBE_SERVICES = "ecs:DescribeServices"
DESCRIBE_TASK_DEFINITION = "ecs:DescribeTaskDefinition"
FILTER_LOG_EVENTS = "logs:FilterLogEvents"

STEADY_STATE = "has reached a steady state"

# Catalogue section 9: stops that are part of normal operation.
EXPECTED_STOP_REASONS = (
    "scaling activity initiated by (deployment",
    "task stopped by user",
    "container instance deregistration forced by user",
    "host ec2 (instance",
    "your spot task was interrupted",
    "container instance is in draining state",
    "ecs is performing maintenance on the underlying infrastructure",
)
EXPECTED_STOP_CODES = ("UserInitiated", "SpotInterruption", "TerminationNotice")
OOM_MARKERS = ("outofmemory", "out of memory", "oom-kill", "oomkilled")


def contains_any(text: str | None, needles: Iterable[str]) -> bool:
    """Tell whether the text holds any of the needles, ignoring case."""
    lowered = (text or "").lower()
    return any(needle.lower() in lowered for needle in needles)


def is_oom(container: Container) -> bool:
    """Tell whether the container's reason says it ran out of memory."""
    return contains_any(container.reason, OOM_MARKERS)


def is_expected_stop(task: Task) -> bool:
    """Tell whether the task stopped for a normal reason (deploy, user, host, Spot, maintenance)."""
    if any(is_oom(c) for c in task.containers):
        return False
    return task.stop_code in EXPECTED_STOP_CODES or contains_any(
        task.stopped_reason, EXPECTED_STOP_REASONS
    )


def essential_containers(snapshot: ServiceSnapshot, task: Task) -> tuple[Container, ...]:
    """Return the task's essential containers; all of them when the task definition is unknown."""
    definition = snapshot.task_definition(task.task_definition_arn)
    if definition is None:
        return task.containers
    return tuple(
        c
        for c in task.containers
        if (spec := definition.container(c.name)) is None or spec.essential
    )


def task_reasons(task: Task) -> tuple[str, ...]:
    """Return the task's stopped reason and every container reason, in that order."""
    reasons = (task.stopped_reason, *(c.reason for c in task.containers))
    return tuple(r for r in reasons if r)


def recent_events(snapshot: ServiceSnapshot) -> tuple[ServiceEvent, ...]:
    """Service events newer than the last steady state: the episode still going on."""
    recent: list[ServiceEvent] = []
    for event in snapshot.service.events:  # newest first
        if STEADY_STATE in event.message:
            break
        recent.append(event)
    return tuple(recent)


def event_evidence(event: ServiceEvent, snapshot: ServiceSnapshot) -> Evidence:
    """Quote a service event verbatim."""
    return Evidence(DESCRIBE_SERVICES, snapshot.service.arn, event.message)


def impact_severity(snapshot: ServiceSnapshot) -> Severity:
    """Rate how badly failing tasks hurt: critical at 0 running, high below desired, else medium."""
    service = snapshot.service
    if service.desired_count > 0 and service.running_count == 0:
        return Severity.CRITICAL
    if service.running_count < service.desired_count:
        return Severity.HIGH
    return Severity.MEDIUM


def capacity_note(snapshot: ServiceSnapshot) -> str:
    """Return the running and desired counts, as a sentence fragment."""
    service = snapshot.service
    return f"{service.running_count} of {service.desired_count} desired tasks running"


def last_lines(events: Sequence[LogEvent], wanted: Iterable[str], limit: int = 3) -> list[str]:
    """Return the last `limit` log messages that contain one of `wanted`, oldest first."""
    needles = tuple(wanted)
    hits = [e.message.rstrip() for e in events if contains_any(e.message, needles)]
    return hits[-limit:]


def plural(count: int, noun: str) -> str:
    """Count a noun: '1 task', '2 tasks'."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def worst(*severities: Severity) -> Severity:
    """Return the most severe of the given severities."""
    return min(severities, key=lambda s: s.rank)

"""Small readers shared by the analyzers: text matching, essential containers, impact.

Everything here is a pure function of snapshot data. AWS truncates long messages (Fargate
platform 1.4), so matching is always on case-insensitive substrings, never whole lines.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ecs_medic.aws.snapshot import (
    Container,
    LogEvent,
    ServiceEvent,
    ServiceSnapshot,
    Task,
    TaskDefinition,
)
from ecs_medic.aws.snapshot_trail import ApiCall
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

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


MAX_EVIDENCE = 5
CONFIG_ONLY_CONFIDENCE = 0.7  # a defect read from configuration, with no AWS message to prove it


@dataclass(frozen=True, slots=True)
class TaskHit:
    """A stopped task whose stopped reason or a container reason matched, and that text."""

    task: Task
    detail: str
    container: str | None = None


@dataclass(frozen=True, slots=True)
class Signal:
    """Where AWS said it: stopped tasks, recent service events, log lines, refused calls."""

    tasks: tuple[TaskHit, ...] = ()
    events: tuple[ServiceEvent, ...] = ()
    logs: tuple[LogEvent, ...] = ()
    calls: tuple[ApiCall, ...] = ()  # write calls for this service AWS refused (CloudTrail)

    def __bool__(self) -> bool:
        """Tell whether any source matched."""
        return bool(self.tasks or self.events or self.logs or self.calls)

    def evidence(self, snapshot: ServiceSnapshot, limit: int = MAX_EVIDENCE) -> list[Evidence]:
        """Quote each matching source verbatim, at most `limit` of each kind."""
        return [
            *(hit_evidence(h) for h in self.tasks[:limit]),
            *(event_evidence(e, snapshot) for e in self.events[:limit]),
            *(log_evidence(e) for e in self.logs[:limit]),
            *(call_evidence(c) for c in self.calls[:limit]),
        ]

    def texts(self) -> list[str]:
        """Every matching text, tasks first."""
        return (
            [h.detail for h in self.tasks]
            + [e.message for e in self.events]
            + [e.message for e in self.logs]
            + [call_text(c) for c in self.calls]
        )


def find_signal(
    snapshot: ServiceSnapshot,
    needles: Sequence[str],
    exclude: Sequence[str] = (),
    *,
    logs: bool = False,
) -> Signal:
    """Find the needles (case-insensitive substrings) in stopped tasks, recent events, logs."""

    def match(text: str | None) -> bool:
        return contains_any(text, needles) and not contains_any(text, exclude)

    return Signal(
        tasks=tuple(h for t in snapshot.stopped_tasks if (h := _task_hit(t, match))),
        events=tuple(e for e in recent_events(snapshot) if match(e.message)),
        logs=tuple(e for e in snapshot.log_events if match(e.message)) if logs else (),
        calls=tuple(c for c in service_calls(snapshot) if match(call_text(c))),
    )


def service_calls(snapshot: ServiceSnapshot) -> tuple[ApiCall, ...]:
    """Refused write calls that name the service, its family or its target groups (CloudTrail).

    Only those since the PRIMARY deployment started: a later deployment means a change went
    through after them.
    """
    service = snapshot.service
    primary = next((d for d in service.deployments if d.status == "PRIMARY"), None)
    since = primary.created_at if primary else None
    definition = snapshot.current_task_definition
    names = [f'"{service.name}"', service.arn, *(lb.target_group_arn or "" for lb in
             service.load_balancers)]  # fmt: skip
    if definition is not None:
        names.append(f'"{definition.family}"')
    return tuple(
        c for c in snapshot.api_calls if c.mentions(*names) and (since is None or c.time >= since)
    )


def call_text(call: ApiCall) -> str:
    """'ErrorCode: message', as the caller saw it."""
    return f"{call.error_code}: {call.error_message}"


def call_evidence(call: ApiCall) -> Evidence:
    """Quote one refused call: when, who, what, and AWS's error verbatim."""
    when = call.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    return Evidence(
        "cloudtrail:LookupEvents",
        f"{call.source} {call.name}",
        f"{when} {call.caller}: {call_text(call)}",
    )


def _task_hit(task: Task, match: Callable[[str | None], bool]) -> TaskHit | None:
    """The first reason of the task that matches: container reasons first, then the task's."""
    for c in task.containers:
        if match(c.reason):
            return TaskHit(task, c.reason or "", c.name)
    return TaskHit(task, task.stopped_reason or "") if match(task.stopped_reason) else None


def hit_evidence(hit: TaskHit) -> Evidence:
    """Quote describe_tasks for a matching task: stop code, container and the exact reason."""
    where = f"container {hit.container}: " if hit.container else "stoppedReason: "
    code = f"stopCode {hit.task.stop_code}; " if hit.task.stop_code else ""
    return Evidence(DESCRIBE_TASKS, hit.task.arn, f"{code}{where}{hit.detail}")


def log_evidence(event: LogEvent) -> Evidence:
    """Quote one log line with its group and stream."""
    return Evidence(FILTER_LOG_EVENTS, f"{event.log_group}:{event.log_stream}", event.message)


def config_severity(snapshot: ServiceSnapshot, signal: bool) -> Severity:
    """Impact when AWS reports the failure or capacity is short; low for a latent config defect."""
    service = snapshot.service
    if signal or service.running_count < service.desired_count:
        return impact_severity(snapshot)
    return Severity.LOW


def short_of_capacity(snapshot: ServiceSnapshot) -> bool:
    """Tell whether fewer tasks run than desired."""
    return snapshot.service.running_count < snapshot.service.desired_count


def service_subnets(snapshot: ServiceSnapshot) -> tuple[str, ...]:
    """Subnets the tasks use: those of the stopped and running tasks, else the service's."""
    seen = [t.subnet_id for t in (*snapshot.stopped_tasks, *snapshot.running_tasks) if t.subnet_id]
    configured = snapshot.service.network.subnets if snapshot.service.network else ()
    return tuple(dict.fromkeys([*seen, *configured]))


def task_security_groups(snapshot: ServiceSnapshot) -> tuple[str, ...]:
    """The security groups of the service's awsvpc configuration."""
    network = snapshot.service.network
    return network.security_groups if network else ()


def all_definitions(snapshot: ServiceSnapshot) -> tuple[TaskDefinition, ...]:
    """The current task definition first, then the others collected."""
    current = snapshot.current_task_definition
    rest = tuple(d for d in snapshot.task_definitions if d is not current)
    return (current, *rest) if current else rest


def is_fargate(snapshot: ServiceSnapshot) -> bool:
    """Tell whether the service runs on Fargate (launch type, strategy or task launch type)."""
    service = snapshot.service
    if service.launch_type:
        return service.launch_type == "FARGATE"
    if service.capacity_provider_strategy:
        return any("FARGATE" in p for p in service.capacity_provider_strategy)
    tasks = (*snapshot.running_tasks, *snapshot.stopped_tasks)
    if any(t.launch_type for t in tasks):
        return any(t.launch_type == "FARGATE" for t in tasks)
    definition = snapshot.current_task_definition
    return definition is not None and definition.requires_compatibilities == ("FARGATE",)


def signal_finding(
    snapshot: ServiceSnapshot,
    code: str,
    signal: Signal,
    *,
    summary: str,
    remediation: str,
    facts: Sequence[Evidence] = (),
    confidence: float = 0.9,
    severity: Severity | None = None,
) -> Finding:
    """A finding quoting the signal then the facts; inferred from configuration alone, less sure."""
    return make_finding(
        code,
        summary=summary,
        evidence=[*signal.evidence(snapshot), *facts],
        remediation=remediation,
        severity=severity or config_severity(snapshot, bool(signal)),
        confidence=confidence if signal else min(confidence, CONFIG_ONLY_CONFIDENCE),
        affected_tasks=len(signal.tasks),
    )


def last_good_revision(snapshot: ServiceSnapshot) -> str | None:
    """'family:revision' of a COMPLETED deployment other than the service's current one."""
    current = snapshot.service.task_definition_arn
    good = next(
        (
            d
            for d in snapshot.service.deployments
            if d.rollout_state == "COMPLETED" and d.task_definition_arn != current
        ),
        None,
    )
    return good.task_definition_arn.rsplit("/", 1)[-1] if good else None


def rollback_hint(snapshot: ServiceSnapshot) -> str:
    """' (roll back to family:rev)' when a completed earlier revision is known, else ''."""
    revision = last_good_revision(snapshot)
    return f" (the last COMPLETED revision is {revision})" if revision else ""


def rollback_level(snapshot: ServiceSnapshot) -> str:
    """A1 when a COMPLETED earlier revision exists to roll back to, else A3.

    The catalogue's rule for crashes and missing images: "A1 to roll back to the last COMPLETED
    revision, A3 otherwise" (then a new image, configuration or code is needed).
    """
    return "A1" if last_good_revision(snapshot) else "A3"

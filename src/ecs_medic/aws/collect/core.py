"""The service itself: its description, tasks, task definitions, target groups and logs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import UTC, datetime

from ecs_medic.aws import parsing
from ecs_medic.aws.collect.reader import Missing, Reader, batches, unique
from ecs_medic.aws.gateway import ErrorKind, GatewayError
from ecs_medic.aws.snapshot import (
    LogEvent,
    Service,
    TargetGroup,
    TargetHealth,
    Task,
    TaskDefinition,
)
from ecs_medic.config import CollectSettings
from ecs_medic.context.target import Target
from ecs_medic.errors import AwsAccessError, ContextError

_FAILED_STOP_CODES = frozenset({"EssentialContainerExited", "TaskFailedToStart"})
# DescribeTaskDefinition's answer for a revision that does not exist.
_NO_REVISION = ("ClientException",)


@dataclass(frozen=True, slots=True)
class TaskLists:
    """The service's running and (recent) stopped tasks."""

    running: tuple[Task, ...] = ()
    stopped: tuple[Task, ...] = ()


def describe_service(reader: Reader, target: Target) -> Service:
    """The service; the only source whose failure ends the diagnosis."""
    params = {"cluster": target.cluster_arn, "services": [target.service_arn]}
    try:
        response = reader.gateway.call("ecs", "DescribeServices", params)
    except GatewayError as exc:
        raise _fatal(exc) from exc
    services = response.get("services") or []
    if not services:
        raise ContextError(
            f"Service {target.service_name} is no longer in cluster {target.cluster_name}."
        )
    return parsing.parse_service(services[0])


def _fatal(exc: GatewayError) -> Exception:
    """The error to raise when the service itself cannot be read."""
    if exc.kind is ErrorKind.NO_CREDENTIALS:
        return ContextError(f"AWS rejected the credentials ({exc.code}): {exc.message}")
    return AwsAccessError(
        f"Could not read the service ({exc.source}: {exc.code}). {exc.message}".strip()
    )


# -- task definitions ----------------------------------------------------------------------


def task_definitions(reader: Reader, service: Service) -> tuple[TaskDefinition, ...]:
    """The revisions the service and its deployments run, plus the one before the current."""
    arns = unique(
        [service.task_definition_arn, *(d.task_definition_arn for d in service.deployments)]
    )
    found = [td for td in reader.map(lambda a: _task_definition(reader, a), arns) if td]
    current = next((td for td in found if td.arn == service.task_definition_arn), None)
    previous = _previous_revision(reader, current, found)
    return tuple(found) + ((previous,) if previous else ())


def _task_definition(reader: Reader, ref: str) -> TaskDefinition | None:
    response = reader.lookup(
        "ecs", "DescribeTaskDefinition", {"taskDefinition": ref}, ref, missing=_NO_REVISION
    )
    if response is None or isinstance(response, Missing):
        return None
    return parsing.parse_task_definition(response["taskDefinition"])


def _previous_revision(
    reader: Reader, current: TaskDefinition | None, known: Sequence[TaskDefinition]
) -> TaskDefinition | None:
    """The revision before the current one (the usual "last good" candidate), if it exists."""
    if current is None or current.revision <= 1:
        return None
    if any(td.family == current.family and td.revision < current.revision for td in known):
        return None  # an older deployment already names an earlier revision
    return _task_definition(reader, f"{current.family}:{current.revision - 1}")


# -- tasks ---------------------------------------------------------------------------------


def tasks(reader: Reader, service: Service, settings: CollectSettings) -> TaskLists:
    """Running and recent stopped tasks of the service, described 100 at a time."""
    running_f = reader.submit(_list_tasks, reader, service, "RUNNING")
    stopped_arns = _list_tasks(reader, service, "STOPPED")
    arns = running_f.result() + stopped_arns
    described = reader.map(lambda b: _describe_tasks(reader, service, b), batches(arns, 100))
    found = [t for batch in described for t in batch]
    running = tuple(t for t in found if t.last_status != "STOPPED")
    return TaskLists(running, _recent_stopped(found, settings.max_stopped_tasks))


def _list_tasks(reader: Reader, service: Service, status: str) -> list[str]:
    params = {"cluster": service.cluster_arn, "serviceName": service.name, "desiredStatus": status}
    pages = reader.pages("ecs", "ListTasks", params, limit=2, resource=service.arn)
    return [arn for page in pages for arn in page.get("taskArns", ())]


def _describe_tasks(reader: Reader, service: Service, arns: list[str]) -> list[Task]:
    params = {"cluster": service.cluster_arn, "tasks": arns}
    response = reader.call("ecs", "DescribeTasks", params, service.arn)
    return [parsing.parse_task(t) for t in (response or {}).get("tasks", ())]


def _recent_stopped(found: Iterable[Task], limit: int) -> tuple[Task, ...]:
    stopped = [t for t in found if t.last_status == "STOPPED"]
    oldest = datetime.min.replace(tzinfo=UTC)
    stopped.sort(key=lambda t: t.stopped_at or t.created_at or oldest, reverse=True)
    return tuple(stopped[:limit])


# -- load balancing ------------------------------------------------------------------------


def target_group_arns(service: Service) -> list[str]:
    """The target groups the service registers with."""
    return unique(lb.target_group_arn for lb in service.load_balancers)


def target_groups(reader: Reader, service: Service) -> tuple[TargetGroup, ...]:
    """All the service's target groups in one call."""
    arns = target_group_arns(service)
    if not arns:
        return ()
    response = reader.call(
        "elbv2", "DescribeTargetGroups", {"TargetGroupArns": arns}, ",".join(arns)
    )
    return tuple(parsing.parse_target_group(g) for g in (response or {}).get("TargetGroups", ()))


def target_health(reader: Reader, service: Service) -> tuple[TargetHealth, ...]:
    """Target health of every target group (one call each)."""
    return tuple(
        h
        for arns in reader.map(lambda a: _health(reader, a), target_group_arns(service))
        for h in arns
    )


def _health(reader: Reader, arn: str) -> list[TargetHealth]:
    response = reader.call("elbv2", "DescribeTargetHealth", {"TargetGroupArn": arn}, arn)
    descriptions = (response or {}).get("TargetHealthDescriptions", ())
    return [parsing.parse_target_health(arn, d) for d in descriptions]


# -- logs ----------------------------------------------------------------------------------


def logs(
    reader: Reader,
    lists: Future[TaskLists],
    definitions: Future[tuple[TaskDefinition, ...]],
    settings: CollectSettings,
) -> tuple[LogEvent, ...]:
    """The last log events of the tasks that failed (or, when none did, the running ones)."""
    found = lists.result()
    failing = [t for t in found.stopped if _failed(t)] or list(found.running)
    by_arn = {td.arn: td for td in definitions.result()}
    streams = [
        s
        for t in failing[: settings.max_log_tasks]
        for s in _log_streams(t, by_arn.get(t.task_definition_arn))
    ]
    events = reader.map(lambda s: _log_stream(reader, s, settings.log_events_per_task), streams)
    return tuple(e for batch in events for e in batch)


def _failed(task: Task) -> bool:
    """Whether a stopped task stopped because something went wrong."""
    if task.stop_code in _FAILED_STOP_CODES:
        return True
    return any(c.exit_code not in (None, 0, 143) for c in task.containers)


def _log_streams(task: Task, td: TaskDefinition | None) -> list[tuple[str, str]]:
    """(group, stream) of each awslogs container of a task: `<prefix>/<container>/<task id>`."""
    if td is None:
        return []
    streams = []
    for container in td.containers:
        config = container.log_config
        if config is None or config.driver != "awslogs":
            continue
        group, prefix = config.option("awslogs-group"), config.option("awslogs-stream-prefix")
        if group and prefix:
            streams.append((group, f"{prefix}/{container.name}/{task.id}"))
    return streams


def _log_stream(reader: Reader, stream: tuple[str, str], limit: int) -> list[LogEvent]:
    group, name = stream
    params = {"logGroupName": group, "logStreamName": name, "startFromHead": False, "limit": limit}
    # a task that never started has no stream: that is not a failed source
    response = reader.lookup("logs", "GetLogEvents", params, f"{group}:{name}")
    if response is None or isinstance(response, Missing):
        return []
    return [
        parsing.parse_log_event(group, {**e, "logStreamName": name})
        for e in response.get("events", ())
    ]

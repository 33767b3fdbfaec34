"""Collect one service's evidence in parallel waves into a frozen ServiceSnapshot.

Wave 1 reads the service; wave 2 its task lists, task definitions and target groups; wave 3
the tasks and ECR images; wave 4 the logs of failing tasks. Every source that fails becomes
a Gap; only the service itself is indispensable.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

from ecs_medic.aws import parsing
from ecs_medic.aws.gateway import ErrorKind, Gateway, GatewayError
from ecs_medic.aws.images import EcrImage, parse_ecr_image
from ecs_medic.aws.snapshot import (
    Gap,
    ImageCheck,
    LogEvent,
    Service,
    ServiceSnapshot,
    TargetGroup,
    TargetHealth,
    Task,
    TaskDefinition,
)
from ecs_medic.config import CollectSettings
from ecs_medic.context.target import Target
from ecs_medic.errors import AwsAccessError, ContextError

T = TypeVar("T")

_FAILED_STOP_CODES = frozenset({"EssentialContainerExited", "TaskFailedToStart"})


@dataclass
class _Gaps:
    """A thread-safe list of gaps filled while the waves run."""

    items: list[Gap] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, error: GatewayError, resource: str = "") -> None:
        with self.lock:
            self.items.append(Gap(error.source, error.kind.value, error.message[:300], resource))


class Collector:
    """Reads everything the analyzers need for one service through a Gateway."""

    def __init__(self, gateway: Gateway, settings: CollectSettings | None = None) -> None:
        self._gw = gateway
        self._settings = settings or CollectSettings()
        self._gaps = _Gaps()

    def collect(self, target: Target) -> ServiceSnapshot:
        """Build the snapshot for `target`; raises only when the service itself is unreadable."""
        service = self._describe_service(target)
        with ThreadPoolExecutor(max_workers=self._settings.max_workers) as pool:
            # wave 2: everything the service description names
            running_f = pool.submit(self._list_tasks, service, "RUNNING")
            stopped_f = pool.submit(self._list_tasks, service, "STOPPED")
            tds_f = [pool.submit(self._describe_task_definition, a) for a in _td_arns(service)]
            tgs_f = pool.submit(self._target_groups, service)
            health_f = [pool.submit(self._target_health, a) for a in _tg_arns(service)]
            # wave 3: the tasks those lists name, and the images the task definitions name
            task_definitions = tuple(td for f in tds_f if (td := f.result()) is not None)
            images_f = [
                pool.submit(self._check_image, i) for i in _ecr_images(task_definitions, target)
            ]
            arns = running_f.result() + stopped_f.result()
            batches = [
                pool.submit(self._describe_task_batch, service, b) for b in _batches(arns, 100)
            ]
            tasks = [task for f in batches for task in f.result()]
            running = tuple(t for t in tasks if t.last_status != "STOPPED")
            stopped = self._recent_stopped(tasks)
            # wave 4: the logs of the tasks that failed (or of the running ones)
            log_f = [
                pool.submit(self._log_stream, *s)
                for s in self._log_targets(stopped, running, task_definitions)
            ]
            return ServiceSnapshot(
                region=target.region,
                account_id=target.account_id,
                cluster_arn=service.cluster_arn or target.cluster_arn,
                service=service,
                task_definitions=task_definitions,
                running_tasks=running,
                stopped_tasks=stopped,
                log_events=tuple(e for f in log_f for e in f.result()),
                target_groups=tgs_f.result(),
                target_health=tuple(h for f in health_f for h in f.result()),
                images=tuple(f.result() for f in images_f),
                gaps=tuple(self._gaps.items),
                collected_at=datetime.now(tz=UTC),
            )

    # -- wave 1 -------------------------------------------------------------------------

    def _describe_service(self, target: Target) -> Service:
        try:
            response = self._gw.call(
                "ecs",
                "DescribeServices",
                {"cluster": target.cluster_arn, "services": [target.service_arn]},
            )
        except GatewayError as exc:
            raise _fatal(exc) from exc
        services = response.get("services") or []
        if not services:
            raise ContextError(
                f"Service {target.service_name} is no longer in cluster {target.cluster_name}."
            )
        return parsing.parse_service(services[0])

    # -- wave 2 -------------------------------------------------------------------------

    def _list_tasks(self, service: Service, status: str) -> list[str]:
        params = {
            "cluster": service.cluster_arn,
            "serviceName": service.name,
            "desiredStatus": status,
        }
        arns: list[str] = []
        for page in self._pages("ecs", "ListTasks", params, limit=2, resource=service.arn):
            arns.extend(page.get("taskArns", ()))
        return arns

    def _describe_task_definition(self, arn: str) -> TaskDefinition | None:
        response = self._try(
            lambda: self._gw.call("ecs", "DescribeTaskDefinition", {"taskDefinition": arn}), arn
        )
        return parsing.parse_task_definition(response["taskDefinition"]) if response else None

    def _target_groups(self, service: Service) -> tuple[TargetGroup, ...]:
        arns = _tg_arns(service)
        if not arns:
            return ()
        response = self._try(
            lambda: self._gw.call("elbv2", "DescribeTargetGroups", {"TargetGroupArns": arns}),
            ",".join(arns),
        )
        groups = (response or {}).get("TargetGroups", ())
        return tuple(parsing.parse_target_group(g) for g in groups)

    def _target_health(self, arn: str) -> list[TargetHealth]:
        response = self._try(
            lambda: self._gw.call("elbv2", "DescribeTargetHealth", {"TargetGroupArn": arn}), arn
        )
        descriptions = (response or {}).get("TargetHealthDescriptions", ())
        return [parsing.parse_target_health(arn, d) for d in descriptions]

    # -- wave 3 -------------------------------------------------------------------------

    def _describe_task_batch(self, service: Service, arns: list[str]) -> list[Task]:
        response = self._try(
            lambda: self._gw.call(
                "ecs", "DescribeTasks", {"cluster": service.cluster_arn, "tasks": arns}
            ),
            service.arn,
        )
        return [parsing.parse_task(t) for t in (response or {}).get("tasks", ())]

    def _recent_stopped(self, tasks: Iterable[Task]) -> tuple[Task, ...]:
        stopped = [t for t in tasks if t.last_status == "STOPPED"]
        oldest = datetime.min.replace(tzinfo=UTC)
        stopped.sort(key=lambda t: t.stopped_at or t.created_at or oldest, reverse=True)
        return tuple(stopped[: self._settings.max_stopped_tasks])

    def _check_image(self, image: EcrImage) -> ImageCheck:
        params: dict[str, Any] = {
            "registryId": image.registry_id,
            "repositoryName": image.repository,
            "imageIds": [image.image_id],
        }
        try:
            response = self._gw.call("ecr", "DescribeImages", params)
        except GatewayError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:
                self._gaps.add(exc, image.uri)
            return image.check(
                exists=False, error_code=exc.code if exc.kind is ErrorKind.NOT_FOUND else None
            )
        details = response.get("imageDetails") or []
        digest = details[0].get("imageDigest") if details else None
        return image.check(exists=bool(details), digest=digest)

    # -- wave 4 -------------------------------------------------------------------------

    def _log_targets(
        self,
        stopped: Sequence[Task],
        running: Sequence[Task],
        task_definitions: Sequence[TaskDefinition],
    ) -> list[tuple[str, str]]:
        """The (group, stream) pairs worth reading: failed tasks first, else running ones."""
        failing = [t for t in stopped if _failed(t)] or list(running)
        chosen = failing[: self._settings.max_log_tasks]
        by_arn = {td.arn: td for td in task_definitions}
        return [s for t in chosen for s in _log_streams(t, by_arn.get(t.task_definition_arn))]

    def _log_stream(self, group: str, stream: str) -> list[LogEvent]:
        params = {
            "logGroupName": group,
            "logStreamName": stream,
            "startFromHead": False,
            "limit": self._settings.log_events_per_task,
        }
        try:
            response = self._gw.call("logs", "GetLogEvents", params)
        except GatewayError as exc:
            if exc.kind is not ErrorKind.NOT_FOUND:  # a task that never started has no stream
                self._gaps.add(exc, f"{group}:{stream}")
            return []
        return [
            parsing.parse_log_event(group, {**e, "logStreamName": stream})
            for e in response.get("events", ())
        ]

    # -- plumbing -----------------------------------------------------------------------

    def _try(self, call: Callable[[], T], resource: str) -> T | None:
        """Run one gateway call; a failure becomes a gap and None."""
        try:
            return call()
        except GatewayError as exc:
            self._gaps.add(exc, resource)
            return None

    def _pages(
        self,
        service: str,
        operation: str,
        params: dict[str, Any],
        *,
        limit: int,
        resource: str,
    ) -> Iterator[dict[str, Any]]:
        """Follow `nextToken` for at most `limit` pages; a failure ends the pages with a gap."""
        token: str | None = None
        for _ in range(limit):
            request = {**params, "nextToken": token} if token else params
            page = self._try(partial(self._gw.call, service, operation, request), resource)
            if page is None:
                return
            yield page
            token = page.get("nextToken")
            if not token:
                return


def _fatal(exc: GatewayError) -> Exception:
    """The error to raise when the service itself cannot be read."""
    if exc.kind is ErrorKind.NO_CREDENTIALS:
        return ContextError(f"AWS rejected the credentials ({exc.code}): {exc.message}")
    return AwsAccessError(
        f"Could not read the service ({exc.source}: {exc.code}). {exc.message}".strip()
    )


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


def _td_arns(service: Service) -> list[str]:
    """The task definitions the service and its deployments run."""
    return _unique(
        [service.task_definition_arn, *(d.task_definition_arn for d in service.deployments)]
    )


def _tg_arns(service: Service) -> list[str]:
    """The target groups the service registers with."""
    return _unique(lb.target_group_arn for lb in service.load_balancers if lb.target_group_arn)


def _ecr_images(task_definitions: Iterable[TaskDefinition], target: Target) -> list[EcrImage]:
    """The ECR images of these task definitions that live in the target's region."""
    images = _unique(c.image for td in task_definitions for c in td.containers)
    return [i for i in map(parse_ecr_image, images) if i and i.region == target.region]


def _batches(items: list[str], size: int) -> list[list[str]]:
    """`items` in chunks of at most `size` (DescribeTasks takes 100)."""
    return [items[i : i + size] for i in range(0, len(items), size)]


def _unique(values: Iterable[str]) -> list[str]:
    """Distinct non-empty values in first-seen order."""
    return list(dict.fromkeys(v for v in values if v))

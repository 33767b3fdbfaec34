"""Collect one service's evidence in parallel pipelines into a frozen ServiceSnapshot.

The service is read first (its failure is the only fatal one). Then one pipeline per family
runs at once, each reading in the order its own dependencies dictate: tasks then logs; task
definitions then images, roles, secrets and the policy simulation; target groups then load
balancers, listeners and security groups; the cluster, scaling, metrics and rollouts. Every
source that fails becomes a Gap. The modules under `ecs_medic.aws.collect` hold the reads.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime

from ecs_medic.aws.collect import capacity as capacity_family
from ecs_medic.aws.collect import core, registry, trail
from ecs_medic.aws.collect.access import collect_access
from ecs_medic.aws.collect.network import collect_network
from ecs_medic.aws.collect.reader import Reader
from ecs_medic.aws.gateway import Gateway
from ecs_medic.aws.snapshot import Service, ServiceSnapshot
from ecs_medic.config import CollectSettings
from ecs_medic.context.target import Target

PIPELINES = 10  # one thread per submitted pipeline below, so waiting never starves a call


class Collector:
    """Reads everything the analyzers need for one service through a Gateway."""

    def __init__(self, gateway: Gateway, settings: CollectSettings | None = None) -> None:
        self._gw = gateway
        self._settings = settings or CollectSettings()

    def collect(self, target: Target) -> ServiceSnapshot:
        """Build the snapshot for `target`; raises only when the service itself is unreadable."""
        settings = self._settings
        with (
            ThreadPoolExecutor(settings.max_workers, "ecs-medic-call") as calls,
            ThreadPoolExecutor(PIPELINES, "ecs-medic-pipeline") as pipelines,
        ):
            reader = Reader(self._gw, calls)
            service = core.describe_service(reader, target)
            region = target.region
            definitions = pipelines.submit(core.task_definitions, reader, service)
            groups = pipelines.submit(core.target_groups, reader, service)
            health = pipelines.submit(core.target_health, reader, service)
            tasks = pipelines.submit(core.tasks, reader, service, settings)
            logs = pipelines.submit(core.logs, reader, tasks, definitions, settings)
            images = pipelines.submit(registry.images, reader, definitions, region)
            network = pipelines.submit(collect_network, reader, service, groups)
            fleet = pipelines.submit(capacity_family.fleet, reader, service)
            access = pipelines.submit(
                collect_access, reader, service, region, definitions, images=images, fleet=fleet
            )
            refused = reader.submit(trail.refused_calls, reader, _now())  # a leaf: calls only
            capacity = pipelines.submit(
                capacity_family.collect_capacity, reader, service, fleet, tasks, _now()
            )
            snapshot = ServiceSnapshot(
                region=region,
                account_id=target.account_id,
                cluster_arn=service.cluster_arn or target.cluster_arn,
                service=service,
                task_definitions=definitions.result(),
                running_tasks=tasks.result().running,
                stopped_tasks=tasks.result().stopped,
                log_events=logs.result(),
                target_groups=groups.result(),
                target_health=health.result(),
                images=images.result()[0],
                network=network.result(),
                access=access.result(),
                capacity=capacity.result(),
                api_calls=refused.result(),
                collected_at=_now(),
            )
        # every pipeline has finished: the gaps are complete
        return replace(snapshot, gaps=reader.gaps)

    def service(self, target: Target) -> Service:
        """Only the service (one DescribeServices): its counts, deployments, events, clock."""
        with ThreadPoolExecutor(1, "ecs-medic-call") as calls:
            return core.describe_service(Reader(self._gw, calls), target)

    def collect_light(self, target: Target) -> ServiceSnapshot:
        """What verifying a fix polls: the service, its tasks and its target health.

        About five calls instead of the full collection's forty; the analyzers run on it
        the same way (what was not read is simply absent).
        """
        settings = self._settings
        with ThreadPoolExecutor(settings.max_workers, "ecs-medic-call") as calls:
            reader = Reader(self._gw, calls)
            service = core.describe_service(reader, target)
            tasks = core.tasks(reader, service, settings)
            snapshot = ServiceSnapshot(
                region=target.region,
                account_id=target.account_id,
                cluster_arn=service.cluster_arn or target.cluster_arn,
                service=service,
                running_tasks=tasks.running,
                stopped_tasks=tasks.stopped,
                target_health=core.target_health(reader, service),
                collected_at=_now(),
            )
        return replace(snapshot, gaps=reader.gaps)


def _now() -> datetime:
    return datetime.now(tz=UTC)

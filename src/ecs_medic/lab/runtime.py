"""The reconciler: on every tick, read a service's live configuration and act as ECS would.

It keeps what ECS keeps (deployments, tasks, events, target registrations) and writes what
describe_services, describe_tasks, describe_target_health and the awslogs streams show back
into moto through the bridge. Every decision reads the configuration live, so a change made
through the AWS API is picked up on the next tick.
"""

from __future__ import annotations

import math
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ecs_medic.lab import (
    _moto,
    _moto_ecs_instances,
    _moto_lb,
    _moto_scaling,
    messages,
    service_deployments,
    stages_placement_ec2,
)
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab.account_view import AccountView
from ecs_medic.lab.deploy_rules import (
    QUICK_EXIT_S,
    StartThrottle,
    config_blocks,
    deployment_blocked,
    unable_to_start,
)
from ecs_medic.lab.fate import (
    ContainerEnd,
    LaunchContext,
    LogLine,
    ProbeResult,
    decide_fate,
    probe,
    sigterm_end,
)
from ecs_medic.lab.live import LiveService, LiveTaskDefinition
from ecs_medic.lab.scenario import AppProfile
from ecs_medic.lab.stages_access import launch_refusal
from ecs_medic.lab.stages_lb import path_failure
from ecs_medic.lab.stages_placement_fargate import place
from ecs_medic.lab.tasks import STOPPED_VISIBLE_S, SimTask, TargetState, at

MAX_EVENTS = 100  # describe_services shows the 100 most recent


def breaker_threshold(desired: int) -> int:
    """Failed tasks that trip the circuit breaker: 0.5 x desired, at least 3, at most 200."""
    return min(200, max(3, math.ceil(0.5 * desired)))


def new_deployment_id() -> str:
    """An id in ECS's format."""
    return f"ecs-svc/{secrets.randbelow(10**19):019d}"


@dataclass
class Deployment:
    """One of the service's deployments (PRIMARY first)."""

    id: str
    task_definition: str
    created_at: float
    updated_at: float
    status: str = "PRIMARY"
    rollout_state: str = "IN_PROGRESS"
    rollout_reason: str = ""
    failed_tasks: int = 0
    pinned: dict[str, str] = field(default_factory=dict)  # image -> digest resolved at start (S2)
    rollback: tuple[str, float] | None = None  # (rollback deployment id, when it started)
    is_rollback: bool = False


class ServiceSim:
    """The ECS service scheduler for one service."""

    def __init__(
        self, scope: Scope, cluster: str, name: str, profiles: Mapping[str, AppProfile]
    ) -> None:
        self.scope, self.cluster, self.name = scope, cluster, name
        self.profiles = dict(profiles)
        self.tasks: dict[str, SimTask] = {}
        self.deployments: list[Deployment] = []
        self.history: list[Deployment] = []  # every deployment started, oldest first
        self.events: list[dict[str, Any]] = []
        self.steady = False
        self.last_completed: Deployment | None = None
        self._turn = 0
        self._published_stopped: set[str] = set()
        self._target_moves: dict[tuple[str, str], int] = {}  # (kind, group) -> count this tick
        self.throttle = StartThrottle()
        self._throttled_in = ""  # the deployment the throttle event was last emitted for
        self._refused: tuple[str, str] | None = None  # (deployment, event) last refused
        self.unplaced = 0  # EC2: tasks no container instance could take on the last try
        self._protection_event = ""  # the deployment the protection event was last emitted for

    # --- entry points -------------------------------------------------------------------

    def tick(self, now: float) -> None:
        """One reconciliation pass at simulated time `now`."""
        live = _moto.read_service(self.scope, self.cluster, self.name)
        if live is None:
            return
        self._sync_deployments(live, now, forced=False)
        for task in list(self.tasks.values()):
            self._advance(task, live, now)
        self._flush_target_moves(now)
        self._schedule(live, now)
        self._evaluate(live, now)
        self._expire(now)
        self._publish(live, now)

    def on_update(self, now: float, forced: bool) -> None:
        """UpdateService just ran: start a deployment if ECS would, and show it at once."""
        live = _moto.read_service(self.scope, self.cluster, self.name)
        if live is not None:
            self._sync_deployments(live, now, forced)
            self._publish(live, now)

    # --- deployments --------------------------------------------------------------------

    @property
    def primary(self) -> Deployment:
        """The PRIMARY deployment."""
        return self.deployments[0]

    def _sync_deployments(self, live: LiveService, now: float, forced: bool) -> None:
        definition = _moto.read_task_definition(self.scope, live.task_definition)
        arn = definition.arn if definition else live.task_definition
        if not self.deployments:
            first = live.deployment_id or new_deployment_id()
            reason = messages.rollout_in_progress(first)
            self.deployments = [Deployment(first, arn, now, now, rollout_reason=reason)]
            self.history.append(self.deployments[0])
        elif forced or arn != self.primary.task_definition:
            self._start_deployment(arn, now)

    def _start_deployment(self, task_definition: str, now: float) -> Deployment:
        self.primary.status = "ACTIVE"
        self.primary.updated_at = now
        deployment_id = new_deployment_id()
        reason = messages.rollout_in_progress(deployment_id)
        deployment = Deployment(deployment_id, task_definition, now, now, rollout_reason=reason)
        self.deployments.insert(0, deployment)
        self.history.append(deployment)
        self.steady = False
        return deployment

    def _deployment(self, deployment_id: str) -> Deployment | None:
        return next((d for d in self.deployments if d.id == deployment_id), None)

    def _count_failure(self, task: SimTask, live: LiveService, now: float) -> None:
        """A task failed: count it toward its deployment's circuit breaker."""
        deployment = self._deployment(task.deployment_id)
        if deployment is None:
            return
        deployment.failed_tasks += 1
        deployment.updated_at = now
        tripped = deployment.failed_tasks >= breaker_threshold(live.desired)
        if live.circuit_breaker and tripped and deployment.rollout_state == "IN_PROGRESS":
            self._trip(deployment, live, now)

    def _trip(self, deployment: Deployment, live: LiveService, now: float) -> None:
        deployment.rollout_state = "FAILED"
        deployment.rollout_reason = messages.CIRCUIT_BREAKER_REASON
        self._emit(messages.deployment_failed(self.name, deployment.id), now)
        good = self.last_completed
        if (
            live.rollback
            and good is not None
            and good.task_definition != deployment.task_definition
        ):
            self._emit(messages.rolling_back(self.name, good.id), now)
            back = self._start_deployment(good.task_definition, now)
            back.is_rollback, deployment.rollback = True, (back.id, now)

    def _evaluate(self, live: LiveService, now: float) -> None:
        """Complete the rollout and report a steady state when running == desired, all healthy."""
        primary = self.primary
        mine = [t for t in self.tasks.values() if t.active and t.deployment_id == primary.id]
        others = [t for t in self.tasks.values() if t.active and t.deployment_id != primary.id]
        settled = len(mine) == live.desired and all(t.healthy for t in mine) and not others
        if any(t.healthy for t in mine):
            self.throttle.record_success()
        if settled and primary.rollout_state == "IN_PROGRESS":
            primary.rollout_state, primary.updated_at = "COMPLETED", now
            primary.rollout_reason = messages.rollout_completed(primary.id)
            self._emit(messages.deployment_completed(self.name, primary.id), now)
            self.last_completed = primary
        if settled and not self.steady:
            self._emit(messages.steady_state(self.name), now)
        self.steady = settled
        busy = {t.deployment_id for t in self.tasks.values() if t.active}
        self.deployments = [primary] + [d for d in self.deployments[1:] if d.id in busy]

    # --- scheduling -----------------------------------------------------------------------

    def _schedule(self, live: LiveService, now: float) -> None:
        """Scale in, replace old deployments' tasks, and launch within maximumPercent."""
        wanted = self._scale_in(live, now) + self._replace_old(live)
        stopping = [t for t in wanted if not self._protected(t, now)]
        if len(stopping) < len(wanted):
            self._protection_blocks(now)
        scaling = ("ServiceSchedulerInitiated", messages.scaling_activity(self.primary.id))
        for task in stopping:
            task.begin_stop(now, scaling, None, self._drain_s(task))
        if stopping:
            self._emit(messages.stopped_tasks(self.name, [t.id for t in stopping]), now)
        if any(t.targets for t in stopping):
            self._emit(messages.draining(self.name, sum(1 for t in stopping if t.targets)), now)
        self._launch(live, now)

    def _protected(self, task: SimTask, now: float) -> bool:
        """Whether the task has scale-in protection that has not expired (UpdateTaskProtection)."""
        enabled, expires = _moto_scaling.protection(task.handle)
        return enabled and (expires is None or expires > now)

    def _protection_blocks(self, now: float) -> None:
        """Protected tasks keep the service above desired: one event per deployment."""
        if self._protection_event != self.primary.id:
            self._protection_event = self.primary.id
            self._emit(messages.protected_tasks_block(self.name, self.primary.id), now)

    def _protect_itself(self, task: SimTask, now: float) -> None:
        """An app that protects its own task on start (UpdateTaskProtection from the task)."""
        minutes = max(
            (self.profiles.get(c.name, AppProfile()).protects_task_min
             for c in task.task_definition.containers),
            default=0,
        )  # fmt: skip
        if minutes:
            _moto_scaling.set_protection(task.handle, True, now + minutes * 60)

    def _scale_in(self, live: LiveService, now: float) -> list[SimTask]:
        """Tasks beyond desired: unhealthy, then newest first; protected ones last."""
        mine = [t for t in self.tasks.values() if t.active and t.deployment_id == self.primary.id]
        newest_first = sorted(
            mine, key=lambda t: (self._protected(t, now), t.healthy, -t.created_at)
        )
        return newest_first[: max(0, len(mine) - live.desired)]

    def _replace_old(self, live: LiveService) -> list[SimTask]:
        """Old tasks go when not healthy, or when enough healthy tasks remain without them."""
        active = [t for t in self.tasks.values() if t.active]
        old = [t for t in active if t.deployment_id != self.primary.id]
        minimum = math.ceil(live.desired * live.minimum_healthy_percent / 100)
        healthy = sum(1 for t in active if t.healthy)
        chosen = []
        for task in sorted(old, key=lambda t: t.healthy):
            if task.healthy:
                if healthy - 1 < minimum:
                    continue
                healthy -= 1
            chosen.append(task)
        return chosen

    def _launch(self, live: LiveService, now: float) -> None:
        active = [t for t in self.tasks.values() if t.active]
        mine = sum(1 for t in active if t.deployment_id == self.primary.id)
        room = math.floor(live.desired * live.maximum_percent / 100) - len(active)
        count = min(live.desired - mine, room)
        stopping = sum(1 for t in self.tasks.values() if not t.active and t.phase != "STOPPED")
        if deployment_blocked(
            live.desired, live.maximum_percent, active=len(active), mine=mine, stopping=stopping
        ):
            self._refuse(config_blocks("{service}"), now)
        definition = _moto.read_task_definition(self.scope, self.primary.task_definition)
        on_ec2 = live.launch_type == "EC2"
        self.unplaced = 0
        if count <= 0 or definition is None or not (live.subnets or on_ec2):
            return
        if not self.throttle.allows(now, self.primary.task_definition):
            return
        refusal = (
            launch_refusal(self.scope.account, self.scope.region, live.subnets)
            if live.subnets and not on_ec2
            else None
        )
        if refusal is not None:
            self._refuse(refusal, now)
            return
        if on_ec2:
            started = self._launch_on_ec2(live, definition, count, now)
        else:
            started = self._launch_on_fargate(live, definition, count, now)
        if started:
            self._emit(messages.started_tasks(self.name, [t.id for t in started]), now)

    def _launch_on_fargate(
        self, live: LiveService, definition: LiveTaskDefinition, count: int, now: float
    ) -> list[SimTask]:
        """Place tasks in zones with Fargate capacity, within the vCPU quota and the ENI burst."""
        placement = place(self.scope, live, definition, count, now)  # stage 1 on Fargate
        if placement.event is not None:
            self._refuse(placement.event, now)
        return [
            self._launch_one(live, definition, now, subnets=placement.subnets)
            for _ in range(placement.count)
        ]

    def _launch_on_ec2(
        self, live: LiveService, definition: LiveTaskDefinition, count: int, now: float
    ) -> list[SimTask]:
        """Place each task on a container instance; ECS says why when one cannot be placed."""
        load: dict[str, int] = {}
        for task in self.tasks.values():
            if task.active and task.placement is not None:
                arn = task.placement.instance.arn
                load[arn] = load.get(arn, 0) + 1
        placements, refusal = stages_placement_ec2.place(
            self.scope, live, definition.arn, count, load
        )
        self.unplaced = count - len(placements)
        started = [self._launch_one(live, definition, now, p) for p in placements]
        if refusal is not None:
            self._refuse(refusal, now)
        return started

    def _refuse(self, event: str, now: float) -> None:
        """ECS cannot launch: one event per deployment and cause (ECS suppresses repeats)."""
        if (self.primary.id, event) != self._refused:
            self._refused = (self.primary.id, event)
            self._emit(event.format(service=self.name), now)

    def _launch_one(
        self,
        live: LiveService,
        definition: LiveTaskDefinition,
        now: float,
        placement: stages_placement_ec2.Placement | None = None,
        subnets: tuple[str, ...] = (),
    ) -> SimTask:
        if placement is None:
            subnet = self._spread(subnets or live.subnets)
            handle = _moto.launch_task(self.scope, live, definition.arn, self.primary.id, subnet)
        else:
            handle = _moto_ecs_instances.launch_on_instance(
                self.scope, live, definition.arn, self.primary.id,
                placement.instance.arn, placement.subnet,
            )  # fmt: skip
        subnet, ip, _ = (
            _moto.task_network(handle)
            if placement is None or placement.subnet is not None
            else placement.network
        )
        arn = _moto.task_arn(handle)
        view = AccountView(self.scope.account, self.scope.region, subnet, arn)
        seen = live if placement is None else placement.seen_by_task(live)
        ctx = LaunchContext(seen, definition, self.profiles, self._image_exists, view)
        task = SimTask(
            handle=handle,
            arn=arn,
            deployment_id=self.primary.id,
            task_definition=definition,
            fate=decide_fate(ctx),
            created_at=now,
            network=(subnet, ip, _moto.subnet_zone(self.scope, subnet)),
            placement=placement,
            container_arns={c.name: self._container_arn(arn) for c in definition.containers},
            digests={c.name: self._pinned(c.image) for c in definition.containers},
        )
        self.tasks[arn] = task
        return task

    def _spread(self, subnets: tuple[str, ...]) -> str:
        """The next subnet, in the zone with the fewest active tasks (ECS spreads across AZs)."""
        self._turn += 1
        zones = {s: _moto.subnet_zone(self.scope, s) for s in subnets}
        load = dict.fromkeys(zones.values(), 0)
        for task in self.tasks.values():
            if task.active and task.network[2] in load:
                load[task.network[2]] += 1
        order = subnets[self._turn % len(subnets) :] + subnets[: self._turn % len(subnets)]
        return min(order, key=lambda s: load[zones[s]])

    def _pinned(self, image: str) -> str | None:
        """The digest the PRIMARY deployment resolved for an image when it started (S2).

        Later pushes under the same tag reach only a new deployment (STALE_IMAGE_NOT_REDEPLOYED).
        """
        pinned = self.primary.pinned
        if image not in pinned:
            digest = _moto.image_digest(self.scope, image)[1]
            if digest is None:
                return None
            pinned[image] = digest
        return pinned[image]

    def _image_exists(self, image: str) -> bool:
        return _moto.image_digest(self.scope, image)[0]

    def _container_arn(self, task_arn: str) -> str:
        task_id = task_arn.rsplit("/", 1)[-1]
        prefix = f"arn:aws:ecs:{self.scope.region}:{self.scope.account}:container/{self.cluster}"
        return f"{prefix}/{task_id}/{uuid.uuid4()}"

    def _drain_s(self, task: SimTask) -> float:
        delays = [_moto.read_target_group(self.scope, t.group_arn) for t in task.targets]
        return float(max((g.deregistration_delay_s for g in delays if g), default=0))

    # --- one task -------------------------------------------------------------------------

    def _advance(self, task: SimTask, live: LiveService, now: float) -> None:
        if task.active and task.advance_start(now):
            self._register(task, live, now)
            self._protect_itself(task, now)
        if task.failure_due(now):
            self._fail(task, live, now)
        if task.running:
            self._health_checks(task, live, now)
        self._finish_draining(task, now)
        if (
            not task.active
            and task.phase != "STOPPED"
            and task.advance_stop(now, self._sigterm_ends(task))
        ):
            _moto.release_eni(self.scope, task.handle)
            if task.placement is not None:
                stages_placement_ec2.release(self.scope, self.cluster, task.placement)
        self._write_logs(task, task.due_lines(now))

    def _sigterm_ends(self, task: SimTask) -> dict[str, ContainerEnd]:
        return {
            c.name: sigterm_end(self.profiles.get(c.name, AppProfile()), c)
            for c in task.task_definition.containers
        }

    def _fail(self, task: SimTask, live: LiveService, now: float) -> None:
        failure = task.fate.failure
        if failure is None:
            return
        stop = (failure.stop_code, failure.stopped_reason)
        task.begin_stop(now, stop, dict(failure.containers), self._drain_s(task))
        if failure.event:
            self._emit(failure.event.format(service=self.name, task=task.id), now)
        self._count_failure(task, live, now)
        failed_start = failure.before_running or (
            failure.stop_code == "EssentialContainerExited" and failure.after_s <= QUICK_EXIT_S
        )
        if failed_start:
            self.throttle.record_failure(now)
        if self.throttle.backing_off and self._throttled_in != self.primary.id:
            self._throttled_in = self.primary.id  # ECS repeats it only for a new deployment
            self._emit(unable_to_start(self.name), now)

    def _register(self, task: SimTask, live: LiveService, now: float) -> None:
        """A task reached RUNNING: register it with the service's target groups."""
        for lb in live.load_balancers:
            group = _moto.read_target_group(self.scope, lb.target_group_arn)
            if group is None or task.task_definition.container(lb.container_name) is None:
                continue
            target = TargetState(
                group.arn, lb.container_port, lb.container_name, now + group.interval_s
            )
            task.targets.append(target)
            _moto.set_target(self.scope, group.arn, task.network[1], target.port, target.health)
            self._count_move("registered", group.arn)

    def _health_checks(self, task: SimTask, live: LiveService, now: float) -> None:
        """Run the due health checks; replace the task when a target stays unhealthy."""
        for target in task.targets:
            group = _moto.read_target_group(self.scope, target.group_arn)
            if group is None or not group.health_check_enabled or task.started_at is None:
                continue
            profile = self.profiles.get(target.container, AppProfile())
            path = _moto_lb.read_path(self.scope, group.arn, task.eni_id, task.network[2])
            blocked = path_failure(path, target.port)
            while target.next_check_at <= now:
                since = target.next_check_at - task.started_at
                result = blocked or probe(group, profile, target.port, since)
                self._access_log(task, target, result, group.health_check_path)
                target.record(result, group)
            _moto.set_target(self.scope, group.arn, task.network[1], target.port, target.health)
            if self._replace_due(task, target, group.interval_s, live, now):
                self._stop_unhealthy(task, target, live, now)
                return

    @staticmethod
    def _replace_due(
        task: SimTask, target: TargetState, poll_s: float, live: LiveService, now: float
    ) -> bool:
        """ECS replaces a task whose target is unhealthy once the grace period is over.

        It notices on its next look at target health, modelled as one health-check interval.
        """
        if target.unhealthy_at is None or task.started_at is None:
            return False
        return now >= max(target.unhealthy_at + poll_s, task.started_at + live.grace_period_s)

    def _stop_unhealthy(
        self, task: SimTask, target: TargetState, live: LiveService, now: float
    ) -> None:
        reason = target.health[2] or "Health checks failed"
        self._emit(
            messages.unhealthy(self.name, task.id, target.port, target.group_arn, reason), now
        )
        stop = ("ServiceSchedulerInitiated", messages.failed_elb_health(target.group_arn))
        task.begin_stop(now, stop, None, self._drain_s(task))
        self._emit(messages.stopped_tasks(self.name, [task.id]), now)
        self._count_failure(task, live, now)
        for t in task.targets:
            _moto.set_target(self.scope, t.group_arn, task.network[1], t.port, t.health)

    def _finish_draining(self, task: SimTask, now: float) -> None:
        for target in list(task.targets):
            if target.drain_until is not None and now >= target.drain_until:
                _moto.remove_target(self.scope, target.group_arn, task.network[1])
                task.targets.remove(target)
                self._count_move("deregistered", target.group_arn)
            elif target.drain_until is not None:
                _moto.set_target(
                    self.scope, target.group_arn, task.network[1], target.port, target.health
                )

    def _count_move(self, kind: str, group_arn: str) -> None:
        key = (kind, group_arn)
        self._target_moves[key] = self._target_moves.get(key, 0) + 1

    def _flush_target_moves(self, now: float) -> None:
        """One event per target group and direction per tick, as ECS batches them."""
        for (kind, group_arn), count in sorted(self._target_moves.items()):
            make = (
                messages.registered_targets
                if kind == "registered"
                else messages.deregistered_targets
            )
            self._emit(make(self.name, count, group_arn), now)
        self._target_moves.clear()

    def _access_log(
        self, task: SimTask, target: TargetState, result: ProbeResult, path: str
    ) -> None:
        if result.status is None or task.started_at is None:
            return
        when = target.next_check_at - task.started_at
        text = f'"GET {path} HTTP/1.1" {result.status} "ELB-HealthChecker/2.0"'
        self._write_logs(task, [LogLine(when, target.container, text)])

    def _write_logs(self, task: SimTask, lines: list[LogLine]) -> None:
        if not lines or task.started_at is None:
            return
        for container in {line.container for line in lines}:
            spec = task.task_definition.container(container)
            if spec is None or not spec.log_group or not spec.stream_prefix:
                continue
            stream = f"{spec.stream_prefix}/{container}/{task.id}"
            batch = [
                (at(task.started_at + ln.after_s), ln.message)
                for ln in lines
                if ln.container == container
            ]
            _moto.put_log_lines(self.scope, spec.log_group, stream, [(t, m) for t, m in batch if t])

    # --- bookkeeping ----------------------------------------------------------------------

    def _expire(self, now: float) -> None:
        """Forget tasks that stopped more than about an hour ago, as ECS does."""
        for arn, task in list(self.tasks.items()):
            if task.stopped_at is not None and now >= task.stopped_at + STOPPED_VISIBLE_S:
                _moto.forget_task(self.scope, self.cluster, task.handle)
                del self.tasks[arn]
                self._published_stopped.discard(arn)

    def _emit(self, message: str, now: float) -> None:
        self.events.insert(0, {"id": str(uuid.uuid4()), "createdAt": at(now), "message": message})
        del self.events[MAX_EVENTS:]

    def _publish(self, live: LiveService, now: float) -> None:
        """Write tasks, counters, deployments and events where describe_* read them."""
        del now
        for arn, task in self.tasks.items():
            if arn in self._published_stopped:
                continue
            fields, containers = task.describe()
            _moto.write_task(task.handle, fields, containers)
            if task.phase == "STOPPED":
                self._published_stopped.add(arn)
        running = sum(1 for t in self.tasks.values() if t.phase == "RUNNING")
        pending = sum(1 for t in self.tasks.values() if t.pending)
        deployments = [self._deployment_entry(d, live) for d in self.deployments]
        primary = self.primary.task_definition
        _moto.publish_service(
            self.scope,
            live,
            counts=(running, pending),
            deployments=deployments,
            events=list(self.events),
            task_definition_arn=primary,
        )
        self._publish_history(live)

    def _publish_history(self, live: LiveService) -> None:
        """Keep what ListServiceDeployments and DescribeServiceDeployments answer (stubbed)."""
        where = service_deployments.Where(
            self.scope.region, self.scope.account, self.cluster, self.name, live.arn
        )
        entries = service_deployments.render(
            self.history, live, where, self._deployment_counts, breaker_threshold(live.desired)
        )
        _moto_scaling.publish_deployments(self.scope, self.cluster, self.name, entries)

    def _deployment_counts(self, deployment_id: str) -> tuple[int, int]:
        mine = [t for t in self.tasks.values() if t.deployment_id == deployment_id]
        return sum(1 for t in mine if t.phase == "RUNNING" and t.active), sum(
            1 for t in mine if t.pending
        )

    def _deployment_entry(self, deployment: Deployment, live: LiveService) -> dict[str, Any]:
        mine = [t for t in self.tasks.values() if t.deployment_id == deployment.id]
        active = sum(1 for t in mine if t.active)
        return {
            "id": deployment.id,
            "status": deployment.status,
            "taskDefinition": deployment.task_definition,
            "desiredCount": live.desired if deployment.status == "PRIMARY" else active,
            "pendingCount": sum(1 for t in mine if t.pending),
            "runningCount": sum(1 for t in mine if t.phase == "RUNNING"),
            "failedTasks": deployment.failed_tasks,
            "createdAt": at(deployment.created_at),
            "updatedAt": at(deployment.updated_at),
            "launchType": live.launch_type,
            **_platform(live),
            "rolloutState": deployment.rollout_state,
            "rolloutStateReason": deployment.rollout_reason,
        }


def _platform(live: LiveService) -> dict[str, Any]:
    """Platform fields (Fargate only) and the awsvpc configuration of a deployment entry."""
    fields: dict[str, Any] = {}
    if live.launch_type == "FARGATE":
        fields["platformVersion"] = live.platform_version or "1.4.0"
        fields["platformFamily"] = "Linux"
    if live.subnets:
        fields["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": list(live.subnets),
                "securityGroups": list(live.security_groups),
                "assignPublicIp": live.assign_public_ip,
            }
        }
    return fields

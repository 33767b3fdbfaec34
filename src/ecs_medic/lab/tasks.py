"""One simulated task: its lifecycle, its targets, and what describe_tasks shows for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ecs_medic.lab.fate import PROVISIONING_S, PULL_S, ContainerEnd, Fate, LogLine, ProbeResult
from ecs_medic.lab.live import LiveTargetGroup, LiveTaskDefinition
from ecs_medic.lab.stages_placement_ec2 import Placement

STOP_STEP_S = 5.0  # each of STOPPING and DEPROVISIONING
STOPPED_VISIBLE_S = 3600.0  # AWS shows stopped tasks for about an hour
INITIAL = ("initial", "Elb.InitialHealthChecking", "Initial health checks in progress")
DRAINING = ("draining", "Target.DeregistrationInProgress", "Target deregistration is in progress")


def at(seconds: float | None) -> datetime | None:
    """A simulated time as the aware datetime AWS responses carry."""
    return None if seconds is None else datetime.fromtimestamp(seconds, tz=UTC)


@dataclass
class TargetState:
    """The task's registration in one target group, as the load balancer sees it."""

    group_arn: str
    port: int
    container: str
    next_check_at: float
    health: tuple[str, str | None, str | None] = INITIAL
    passes: int = 0
    fails: int = 0
    drain_until: float | None = None
    unhealthy_at: float | None = None

    @property
    def state(self) -> str:
        """The target state: initial, healthy, unhealthy or draining."""
        return self.health[0]

    def record(self, result: ProbeResult, group: LiveTargetGroup) -> bool:
        """Count one health check; True when the target just turned unhealthy."""
        checked_at = self.next_check_at
        self.next_check_at += group.interval_s
        if result.ok:
            self.passes, self.fails = self.passes + 1, 0
            if self.state != "healthy" and self.passes >= group.healthy_threshold:
                self.health, self.unhealthy_at = ("healthy", None, None), None
            return False
        self.passes, self.fails = 0, self.fails + 1
        state = "unused" if result.reason == "Target.NotInUse" else "unhealthy"
        if self.state != state and self.fails >= group.unhealthy_threshold:
            self.health = (state, result.reason, result.description)
            self.unhealthy_at = checked_at
            return True
        return False

    def drain(self, until: float) -> None:
        """Start deregistration; the target leaves the group at `until`."""
        if self.drain_until is None:
            self.health, self.drain_until = DRAINING, until


@dataclass
class SimTask:
    """A task the simulation launched; `handle` is moto's Task object."""

    handle: Any
    arn: str
    deployment_id: str
    task_definition: LiveTaskDefinition
    fate: Fate
    created_at: float
    network: tuple[str, str, str]  # subnet, private IP, availability zone
    container_arns: dict[str, str]
    digests: dict[str, str | None]
    phase: str = "PROVISIONING"
    desired: str = "RUNNING"
    pull_started_at: float | None = None
    started_at: float | None = None
    stopping_at: float | None = None
    execution_stopped_at: float | None = None
    stopped_at: float | None = None
    phase_until: float | None = None
    stop_code: str | None = None
    stopped_reason: str | None = None
    ends: dict[str, ContainerEnd] = field(default_factory=dict)
    targets: list[TargetState] = field(default_factory=list)
    lines_written: int = 0
    placement: Placement | None = None  # EC2: its container instance and reservation

    @property
    def id(self) -> str:
        """The task id, the last part of its ARN."""
        return self.arn.rsplit("/", 1)[-1]

    @property
    def eni_id(self) -> str:
        """The id of the task's network interface (from its ENI attachment)."""
        details = {d["name"]: d["value"] for d in self.handle.attachments[0]["details"]}
        return str(details["networkInterfaceId"])

    @property
    def active(self) -> bool:
        """Not yet told to stop."""
        return self.desired == "RUNNING"

    @property
    def running(self) -> bool:
        """RUNNING and not stopping."""
        return self.active and self.phase == "RUNNING"

    @property
    def pending(self) -> bool:
        """PROVISIONING or PENDING and not stopping."""
        return self.active and self.phase in ("PROVISIONING", "PENDING")

    @property
    def healthy(self) -> bool:
        """Running, and healthy in every target group it is registered with."""
        return self.running and all(t.state == "healthy" for t in self.targets)

    def advance_start(self, now: float) -> bool:
        """Move PROVISIONING -> PENDING -> RUNNING on schedule; True when it just started."""
        if self.phase == "PROVISIONING" and now >= self.created_at + PROVISIONING_S:
            self.phase, self.pull_started_at = "PENDING", self.created_at + PROVISIONING_S
        failure = self.fate.failure
        blocked = failure is not None and failure.before_running
        if (
            self.phase == "PENDING"
            and not blocked
            and now >= self.created_at + PROVISIONING_S + PULL_S
        ):
            self.phase, self.started_at = "RUNNING", self.created_at + PROVISIONING_S + PULL_S
            return True
        return False

    def failure_due(self, now: float) -> bool:
        """Whether the fate's failure happens by `now` (and has not been acted on yet)."""
        failure = self.fate.failure
        if failure is None or not self.active:
            return False
        if failure.before_running:
            return self.phase == "PENDING" and now >= self.created_at + failure.after_s
        return self.started_at is not None and now >= self.started_at + failure.after_s

    def begin_stop(
        self,
        now: float,
        stop: tuple[str, str],
        ends: dict[str, ContainerEnd] | None,
        drain_s: float,
    ) -> None:
        """Stop the task: drain its targets, then STOPPING, DEPROVISIONING, STOPPED."""
        self.desired, self.stopping_at = "STOPPED", now
        self.stop_code, self.stopped_reason = stop
        if ends is not None:
            self.ends, self.execution_stopped_at = ends, now
        for target in self.targets:
            target.drain(now + drain_s)
        if self.targets:
            self.phase, self.phase_until = "DEACTIVATING", now + drain_s
        else:
            self.phase = "STOPPING" if self.started_at is not None else "DEPROVISIONING"
            self.phase_until = now + STOP_STEP_S

    def advance_stop(self, now: float, sigterm_ends: dict[str, ContainerEnd]) -> bool:
        """Walk the stop phases on schedule; True when the task just reached STOPPED."""
        order = {
            "DEACTIVATING": "STOPPING",
            "STOPPING": "DEPROVISIONING",
            "DEPROVISIONING": "STOPPED",
        }
        while self.phase in order and self.phase_until is not None and now >= self.phase_until:
            self.phase = order[self.phase]
            if self.phase == "STOPPING" and self.execution_stopped_at is None:
                self.ends, self.execution_stopped_at = sigterm_ends, self.phase_until
            if self.phase == "STOPPED":
                self.stopped_at = self.phase_until
                return True
            self.phase_until += STOP_STEP_S
        return False

    def due_lines(self, now: float) -> list[LogLine]:
        """Fate log lines whose time has come and that the process lived to write."""
        if self.started_at is None:
            return []
        end = self.execution_stopped_at if self.execution_stopped_at is not None else now
        limit = min(now, end) - self.started_at
        lines = self.fate.log_lines
        due = [line for line in lines[self.lines_written :] if line.after_s <= limit]
        self.lines_written += len(due)
        return due

    def describe(self) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The task attributes and container entries describe_tasks returns."""
        _, ip, zone = self.network
        definition = self.task_definition
        fields: dict[str, Any] = {
            "last_status": self.phase,
            "desired_status": self.desired,
            "created_at": at(self.created_at),
            "pull_started_at": at(self.pull_started_at),
            "pull_stopped_at": at(self.started_at),
            "started_at": at(self.started_at),
            "connectivity": "CONNECTED",
            "connectivity_at": at(self.created_at + 1),
            "stopping_at": at(self.stopping_at),
            "execution_stopped_at": at(self.execution_stopped_at),
            "stopped_at": at(self.stopped_at),
            "stop_code": self.stop_code,
            "stopped_reason": self.stopped_reason,
            "cpu": None if definition.cpu is None else str(definition.cpu),
            "memory": None if definition.memory is None else str(definition.memory),
            "availability_zone": zone,
            "health_status": self._task_health(),
            "platform_family": "Linux",
        }
        if self.placement is not None:
            fields["platform_family"] = None
            fields["platform_version"] = None
        return fields, [
            self._container(c.name, c.image, ip) for c in self.task_definition.containers
        ]

    def _container(self, name: str, image: str, ip: str) -> dict[str, Any]:
        end = self.ends.get(name)
        entry: dict[str, Any] = {
            "containerArn": self.container_arns[name],
            "taskArn": self.arn,
            "name": name,
            "image": image,
            "lastStatus": self._container_status(end),
            "healthStatus": self._health(name),
        }
        if self.placement is not None and self.placement.subnet is None:
            if self.started_at is not None and end is None:  # bound while it runs
                entry["networkBindings"] = self.placement.network_bindings(name)
        else:
            entry["networkInterfaces"] = [{"attachmentId": self.id, "privateIpv4Address": ip}]
        if self.digests.get(name):
            entry["imageDigest"] = self.digests[name]
        if self.started_at is not None:
            entry["runtimeId"] = f"{self.id}-{self.container_arns[name][-10:]}"
        if end is not None and end.exit_code is not None:
            entry["exitCode"] = end.exit_code
        if end is not None and end.reason:
            entry["reason"] = end.reason
        return entry

    def _health(self, name: str) -> str:
        """A container's healthStatus: UNKNOWN without a healthCheck, UNHEALTHY once it failed."""
        spec = self.task_definition.container(name)
        if spec is None or not spec.health_check or self.started_at is None:
            return "UNKNOWN"
        failure = self.fate.failure
        if failure is not None and name in failure.unhealthy and self.execution_stopped_at:
            return "UNHEALTHY"
        return "HEALTHY"

    def _task_health(self) -> str:
        """The task's healthStatus: UNHEALTHY if an essential container is, else the best one."""
        states = {self._health(c.name) for c in self.task_definition.containers if c.essential}
        if "UNHEALTHY" in states:
            return "UNHEALTHY"
        return "HEALTHY" if "HEALTHY" in states else "UNKNOWN"

    def _container_status(self, end: ContainerEnd | None) -> str:
        if end is not None or self.phase == "STOPPED":
            return "STOPPED"
        return "RUNNING" if self.started_at is not None else "PENDING"

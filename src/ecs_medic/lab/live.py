"""Typed views of the live emulator configuration the simulation decides from.

The moto bridge (`_moto.py`) reads these from moto's backend objects on every tick, so a
change made through the AWS API is seen on the next tick. Nothing here touches moto.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LiveContainer:
    """One container definition of a task definition revision."""

    name: str
    image: str
    essential: bool
    memory: int | None  # hard limit, MiB
    memory_reservation: int | None
    ports: tuple[int, ...]
    environment: tuple[str, ...]  # variable names from environment and secrets
    log_group: str | None
    stream_prefix: str | None
    entry_point: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    health_check: tuple[str, ...] = ()  # healthCheck.command; empty when there is none
    # healthCheck interval, timeout, retries, startPeriod (ECS's defaults)
    health_check_timing: tuple[int, int, int, int] = (30, 5, 3, 0)
    init_process: bool = False  # linuxParameters.initProcessEnabled
    stop_timeout: int = 30


@dataclass(frozen=True, slots=True)
class LiveTaskDefinition:
    """A task definition revision."""

    arn: str
    family: str
    revision: int
    cpu: int | None
    memory: int | None
    network_mode: str | None
    containers: tuple[LiveContainer, ...]

    def container(self, name: str) -> LiveContainer | None:
        """The container definition with this name."""
        return next((c for c in self.containers if c.name == name), None)


@dataclass(frozen=True, slots=True)
class LiveLoadBalancer:
    """One `loadBalancers` entry of the service."""

    target_group_arn: str
    container_name: str
    container_port: int


@dataclass(frozen=True, slots=True)
class LiveService:
    """The service's configuration as the scheduler sees it."""

    arn: str
    name: str
    cluster: str
    desired: int
    task_definition: str  # as stored: ARN, family:revision or family
    deployment_id: str | None  # moto's initial deployment id, adopted by the simulation
    load_balancers: tuple[LiveLoadBalancer, ...]
    subnets: tuple[str, ...]
    security_groups: tuple[str, ...]
    assign_public_ip: str
    circuit_breaker: bool
    rollback: bool
    minimum_healthy_percent: int
    maximum_percent: int
    grace_period_s: int
    platform_version: str | None
    launch_type: str = "FARGATE"  # EC2 also when its capacity provider strategy names EC2 ones
    capacity_providers: tuple[str, ...] = ()  # EC2 capacity providers of its strategy


@dataclass(frozen=True, slots=True)
class LiveTargetGroup:
    """A target group's health-check configuration."""

    arn: str
    port: int | None
    target_type: str
    health_check_enabled: bool
    health_check_path: str
    health_check_port: str  # "traffic-port" or a number as text
    matcher: str  # HttpCode, e.g. "200" or "200-399"
    interval_s: int
    healthy_threshold: int
    unhealthy_threshold: int
    deregistration_delay_s: int


@dataclass(frozen=True, slots=True)
class LiveInstance:
    """A container instance as the EC2 placement stage sees it (lab/stages_placement_ec2.py)."""

    arn: str
    ec2_instance_id: str
    status: str  # ACTIVE, DRAINING, ...
    agent_connected: bool
    remaining_cpu: int
    remaining_memory: int
    used_ports: frozenset[int]  # host ports already bound (agent's and tasks')
    attributes: tuple[tuple[str, str | None], ...]  # ecs.instance-type, custom attributes...
    zone: str
    subnet: str
    private_ip: str
    security_groups: tuple[str, ...] = ()
    group: str = ""  # the Auto Scaling group that launched it

    @property
    def id(self) -> str:
        """The container instance id, the last part of its ARN."""
        return self.arn.rsplit("/", 1)[-1]

    def attribute(self, name: str) -> str | None:
        """An attribute's value (None when the instance does not have it or it has no value)."""
        return dict(self.attributes).get(name)

    def has(self, name: str) -> bool:
        """Whether the instance carries the attribute at all."""
        return name in dict(self.attributes)

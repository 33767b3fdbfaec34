"""Snapshot types for capacity and scaling: cluster, container instances, autoscaling, metrics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Cluster:
    """The service's cluster."""

    arn: str
    name: str
    status: str
    registered_container_instances: int = 0
    running_tasks: int = 0
    pending_tasks: int = 0
    capacity_providers: tuple[str, ...] = ()
    default_strategy: tuple[str, ...] = ()
    settings: tuple[tuple[str, str], ...] = ()  # e.g. ("containerInsights", "enabled")


@dataclass(frozen=True, slots=True)
class ContainerInstance:
    """An EC2 container instance registered to the cluster."""

    arn: str
    ec2_instance_id: str | None
    status: str  # ACTIVE | DRAINING | REGISTERING ...
    agent_connected: bool
    availability_zone: str | None = None
    instance_type: str | None = None
    registered_cpu: int | None = None
    registered_memory: int | None = None
    remaining_cpu: int | None = None
    remaining_memory: int | None = None
    reserved_ports: tuple[int, ...] = ()  # host ports already taken
    running_tasks: int = 0
    attributes: tuple[str, ...] = ()  # names, e.g. ecs.capability.secrets.asm.environment-variables
    agent_version: str | None = None
    attribute_values: tuple[tuple[str, str], ...] = ()  # (name, value) of those with a value

    def attribute(self, name: str) -> str | None:
        """The value of one attribute (custom ones such as tier=web), if it has one."""
        return dict(self.attribute_values).get(name)


@dataclass(frozen=True, slots=True)
class CapacityProvider:
    """A capacity provider of the cluster, with its Auto Scaling group if any."""

    name: str
    status: str | None = None
    asg_arn: str | None = None
    managed_scaling: str | None = None  # ENABLED | DISABLED
    target_capacity: int | None = None
    asg_desired: int | None = None
    asg_min: int | None = None
    asg_max: int | None = None


@dataclass(frozen=True, slots=True)
class ScalableTarget:
    """The Application Auto Scaling target of the service's desired count."""

    min_capacity: int
    max_capacity: int
    suspended: bool = False  # any of the three SuspendedState flags
    suspended_flags: tuple[str, ...] = ()  # the SuspendedState flags set true, by name


@dataclass(frozen=True, slots=True)
class ScalingActivity:
    """One Application Auto Scaling activity (including not-scaled ones)."""

    status_code: str  # Successful | Failed | ...
    description: str = ""
    status_message: str = ""
    not_scaled_reasons: tuple[str, ...] = ()  # codes, e.g. AlreadyAtMaxCapacity
    start_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class TrackingPolicy:
    """A target-tracking scaling policy: the metric it keeps at a target value."""

    name: str
    metric: str  # the predefined metric type (ECSServiceAverageCPUUtilization) or metric name
    target_value: float


@dataclass(frozen=True, slots=True)
class Autoscaling:
    """The service's autoscaling: target, policies and recent activities."""

    target: ScalableTarget | None
    policy_names: tuple[str, ...] = ()
    activities: tuple[ScalingActivity, ...] = ()
    alarms_in_alarm: tuple[str, ...] = ()
    tracking: tuple[TrackingPolicy, ...] = ()


@dataclass(frozen=True, slots=True)
class MetricSummary:
    """A CloudWatch metric over the last window (percent for utilization metrics)."""

    namespace: str
    name: str
    maximum: float | None
    average: float | None
    datapoints: int = 0


@dataclass(frozen=True, slots=True)
class CircuitBreakerState:
    """From ListServiceDeployments/DescribeServiceDeployments: how close a rollout came."""

    deployment_arn: str
    status: str  # the service deployment status: IN_PROGRESS, ROLLBACK_SUCCESSFUL, ...
    failure_count: int
    threshold: int


@dataclass(frozen=True, slots=True)
class TaskProtection:
    """Scale-in protection of one task."""

    task_arn: str
    enabled: bool
    expires_at: datetime | None = None

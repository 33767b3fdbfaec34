"""The immutable picture of one ECS service that analyzers reason about.

Everything here is plain data parsed from AWS API responses: no boto3, no MCP, no I/O.
Optional fields are None when AWS did not return them; a whole source that could not be
read is recorded in `ServiceSnapshot.gaps`, never silently left empty.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ecs_medic.aws.snapshot_access import (
    ImageManifest,
    LogGroupCheck,
    PolicyDecision,
    Role,
    SecretCheck,
)
from ecs_medic.aws.snapshot_capacity import (
    Autoscaling,
    CapacityProvider,
    CircuitBreakerState,
    Cluster,
    ContainerInstance,
    MetricSummary,
    TaskProtection,
)
from ecs_medic.aws.snapshot_network import (
    IdleInterface,
    InternetGateway,
    Listener,
    LoadBalancer,
    NatGateway,
    NetworkAcl,
    RouteTable,
    SecurityGroup,
    Subnet,
    Vpc,
    VpcEndpoint,
)
from ecs_medic.aws.snapshot_trail import ApiCall
from ecs_medic.context.expected import ExpectedSpec


@dataclass(frozen=True, slots=True)
class Gap:
    """A source of evidence that could not be read, and why."""

    source: str  # "service:Operation", e.g. "elbv2:DescribeTargetHealth"
    reason: str  # short AWS error code or kind: "AccessDenied", "Throttling", "Timeout"
    detail: str = ""
    resource: str = ""


@dataclass(frozen=True, slots=True)
class ServiceEvent:
    """One entry of `describe_services().services[].events`."""

    id: str
    created_at: datetime | None
    message: str


@dataclass(frozen=True, slots=True)
class Deployment:
    """One entry of `describe_services().services[].deployments`."""

    id: str
    status: str  # PRIMARY | ACTIVE | INACTIVE
    task_definition_arn: str
    desired_count: int
    running_count: int
    pending_count: int
    failed_tasks: int = 0
    rollout_state: str | None = None  # COMPLETED | IN_PROGRESS | FAILED
    rollout_state_reason: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ServiceLoadBalancer:
    """One entry of the service's `loadBalancers`."""

    target_group_arn: str | None
    container_name: str
    container_port: int
    load_balancer_name: str | None = None


@dataclass(frozen=True, slots=True)
class NetworkConfig:
    """The service's `networkConfiguration.awsvpcConfiguration`."""

    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    assign_public_ip: str | None = None  # ENABLED | DISABLED


@dataclass(frozen=True, slots=True)
class DeploymentConfig:
    """The service's `deploymentConfiguration`."""

    minimum_healthy_percent: int | None = None
    maximum_percent: int | None = None
    circuit_breaker_enabled: bool = False
    circuit_breaker_rollback: bool = False


@dataclass(frozen=True, slots=True)
class PlacementConstraint:
    """One of the service's placementConstraints: memberOf (with an expression) or distinct."""

    type: str  # memberOf | distinctInstance
    expression: str | None = None  # cluster query language, e.g. "attribute:tier == web"


@dataclass(frozen=True, slots=True)
class Service:
    """The service as `describe_services` shows it."""

    name: str
    arn: str
    cluster_arn: str
    status: str
    desired_count: int
    running_count: int
    pending_count: int
    task_definition_arn: str
    launch_type: str | None = None
    platform_version: str | None = None
    scheduling_strategy: str | None = None
    health_check_grace_period_s: int | None = None
    deployments: tuple[Deployment, ...] = ()
    events: tuple[ServiceEvent, ...] = ()  # newest first, as AWS returns them
    load_balancers: tuple[ServiceLoadBalancer, ...] = ()
    network: NetworkConfig | None = None
    deployment_config: DeploymentConfig = field(default_factory=DeploymentConfig)
    capacity_provider_strategy: tuple[str, ...] = ()
    created_at: datetime | None = None
    placement_constraints: tuple[PlacementConstraint, ...] = ()

    @property
    def primary_deployment(self) -> Deployment | None:
        """The PRIMARY deployment, if the service has one."""
        return next((d for d in self.deployments if d.status == "PRIMARY"), None)


@dataclass(frozen=True, slots=True)
class PortMapping:
    """One container port mapping."""

    container_port: int
    host_port: int | None = None
    protocol: str = "tcp"
    name: str | None = None  # Service Connect's name for the port
    app_protocol: str | None = None  # http | http2 | grpc


@dataclass(frozen=True, slots=True)
class SecretRef:
    """A `secrets[]` entry: the reference only, never a value."""

    name: str
    value_from: str


@dataclass(frozen=True, slots=True)
class LogConfig:
    """A container's `logConfiguration`."""

    driver: str
    options: tuple[tuple[str, str], ...] = ()

    def option(self, key: str) -> str | None:
        """One option value, e.g. `awslogs-group`."""
        return dict(self.options).get(key)


@dataclass(frozen=True, slots=True)
class HealthCheck:
    """A container `healthCheck` block."""

    command: tuple[str, ...]
    interval_s: int | None = None
    timeout_s: int | None = None
    retries: int | None = None
    start_period_s: int | None = None


@dataclass(frozen=True, slots=True)
class ContainerDefinition:
    """One container of a task definition (environment values are never kept)."""

    name: str
    image: str
    essential: bool = True
    cpu: int | None = None
    memory: int | None = None
    memory_reservation: int | None = None
    port_mappings: tuple[PortMapping, ...] = ()
    log_config: LogConfig | None = None
    health_check: HealthCheck | None = None
    secrets: tuple[SecretRef, ...] = ()
    environment_names: tuple[str, ...] = ()
    entry_point: tuple[str, ...] = ()
    command: tuple[str, ...] = ()
    stop_timeout_s: int | None = None
    repository_credentials: str | None = None


@dataclass(frozen=True, slots=True)
class TaskDefinition:
    """A task definition revision."""

    arn: str
    family: str
    revision: int
    containers: tuple[ContainerDefinition, ...]
    cpu: str | None = None  # AWS returns task-level cpu and memory as strings
    memory: str | None = None
    network_mode: str | None = None
    requires_compatibilities: tuple[str, ...] = ()
    execution_role_arn: str | None = None
    task_role_arn: str | None = None
    cpu_architecture: str | None = None
    status: str | None = None

    def container(self, name: str) -> ContainerDefinition | None:
        """The container definition with this name."""
        return next((c for c in self.containers if c.name == name), None)


@dataclass(frozen=True, slots=True)
class Container:
    """One container of a running or stopped task."""

    name: str
    image: str | None = None
    image_digest: str | None = None
    last_status: str | None = None
    exit_code: int | None = None
    reason: str | None = None
    health_status: str | None = None


@dataclass(frozen=True, slots=True)
class Task:
    """A task as `describe_tasks` shows it."""

    arn: str
    task_definition_arn: str
    last_status: str
    desired_status: str
    containers: tuple[Container, ...] = ()
    stop_code: str | None = None
    stopped_reason: str | None = None
    started_by: str | None = None
    group: str | None = None
    launch_type: str | None = None
    cpu: str | None = None
    memory: str | None = None
    health_status: str | None = None
    availability_zone: str | None = None
    subnet_id: str | None = None
    private_ip: str | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    stopping_at: datetime | None = None
    stopped_at: datetime | None = None

    @property
    def id(self) -> str:
        """The task id, the last part of the ARN."""
        return self.arn.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One CloudWatch Logs event from a task's container stream."""

    log_group: str
    log_stream: str
    timestamp: datetime | None
    message: str


@dataclass(frozen=True, slots=True)
class TargetGroup:
    """An ELBv2 target group."""

    arn: str
    name: str
    protocol: str | None = None
    port: int | None = None
    target_type: str | None = None  # instance | ip | lambda | alb
    vpc_id: str | None = None
    health_check_protocol: str | None = None
    health_check_port: str | None = None  # "traffic-port" or a number as text
    health_check_path: str | None = None
    matcher: str | None = None  # HttpCode, e.g. "200" or "200-399"
    healthy_threshold: int | None = None
    unhealthy_threshold: int | None = None
    interval_s: int | None = None
    timeout_s: int | None = None
    load_balancer_arns: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TargetHealth:
    """One entry of `describe_target_health`."""

    target_group_arn: str
    target_id: str
    port: int | None
    state: str  # initial | healthy | unhealthy | unused | draining | unavailable
    reason: str | None = None  # e.g. Target.ResponseCodeMismatch
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ImageCheck:
    """Whether an image referenced by a task definition exists in ECR."""

    image: str
    repository: str
    tag_or_digest: str
    exists: bool
    error_code: str | None = None  # ImageNotFoundException | RepositoryNotFoundException
    digest: str | None = None
    source: str = "ecr:BatchGetImage"  # the ECR operation that answered


@dataclass(frozen=True, slots=True)
class NetworkView:
    """The network around the service's tasks and load balancer."""

    vpcs: tuple[Vpc, ...] = ()
    subnets: tuple[Subnet, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    nat_gateways: tuple[NatGateway, ...] = ()
    internet_gateways: tuple[InternetGateway, ...] = ()
    vpc_endpoints: tuple[VpcEndpoint, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    load_balancers: tuple[LoadBalancer, ...] = ()
    listeners: tuple[Listener, ...] = ()
    # ENIs in status "available" (attached to nothing) in task subnets that run short of IPs
    idle_interfaces: tuple[IdleInterface, ...] = ()

    def subnet(self, subnet_id: str) -> Subnet | None:
        """The subnet with this id, if collected."""
        return next((s for s in self.subnets if s.id == subnet_id), None)

    def security_group(self, group_id: str) -> SecurityGroup | None:
        """The security group with this id, if collected."""
        return next((g for g in self.security_groups if g.id == group_id), None)

    def route_table_for(self, subnet_id: str) -> RouteTable | None:
        """The route table a subnet uses: its explicit association, else its VPC's main table."""
        explicit = next((t for t in self.route_tables if subnet_id in t.subnet_ids), None)
        if explicit:
            return explicit
        subnet = self.subnet(subnet_id)
        vpc_id = subnet.vpc_id if subnet else None
        return next((t for t in self.route_tables if t.is_main and t.vpc_id == vpc_id), None)

    def network_acl_for(self, subnet_id: str) -> NetworkAcl | None:
        """The network ACL a subnet uses."""
        return next((a for a in self.network_acls if subnet_id in a.subnet_ids), None)


@dataclass(frozen=True, slots=True)
class AccessView:
    """What the tasks may read: roles, the policy simulation, secrets, log groups, images."""

    roles: tuple[Role, ...] = ()
    decisions: tuple[PolicyDecision, ...] = ()
    secrets: tuple[SecretCheck, ...] = ()
    log_groups: tuple[LogGroupCheck, ...] = ()
    manifests: tuple[ImageManifest, ...] = ()
    service_linked_role_exists: bool | None = None

    def role(self, arn: str) -> Role | None:
        """The role with this ARN, if collected."""
        return next((r for r in self.roles if r.arn == arn), None)


@dataclass(frozen=True, slots=True)
class CapacityView:
    """Cluster capacity, scaling and metrics."""

    cluster: Cluster | None = None
    container_instances: tuple[ContainerInstance, ...] = ()
    capacity_providers: tuple[CapacityProvider, ...] = ()
    autoscaling: Autoscaling | None = None
    metrics: tuple[MetricSummary, ...] = ()
    circuit_breakers: tuple[CircuitBreakerState, ...] = ()
    task_protection: tuple[TaskProtection, ...] = ()
    awsvpc_trunking: bool | None = None

    def metric(self, name: str) -> MetricSummary | None:
        """The metric with this name (e.g. MemoryUtilization), if collected."""
        return next((m for m in self.metrics if m.name == name), None)


@dataclass(frozen=True, slots=True)
class ServiceSnapshot:
    """Everything collected about one service at one moment; analyzers read only this."""

    region: str
    account_id: str | None
    cluster_arn: str
    service: Service
    task_definitions: tuple[TaskDefinition, ...] = ()
    running_tasks: tuple[Task, ...] = ()
    stopped_tasks: tuple[Task, ...] = ()
    log_events: tuple[LogEvent, ...] = ()
    target_groups: tuple[TargetGroup, ...] = ()
    target_health: tuple[TargetHealth, ...] = ()
    images: tuple[ImageCheck, ...] = ()
    network: NetworkView = field(default_factory=NetworkView)
    access: AccessView = field(default_factory=AccessView)
    capacity: CapacityView = field(default_factory=CapacityView)
    api_calls: tuple[ApiCall, ...] = ()  # refused write calls of the account (CloudTrail)
    gaps: tuple[Gap, ...] = ()
    collected_at: datetime | None = None
    expected: ExpectedSpec | None = None  # the spec Planton deploys, when it manages the service

    @property
    def cluster_name(self) -> str:
        """The cluster name, the last part of its ARN."""
        return self.cluster_arn.rsplit("/", 1)[-1]

    def task_definition(self, arn: str) -> TaskDefinition | None:
        """The task definition with this ARN, if it was collected."""
        return next((t for t in self.task_definitions if t.arn == arn), None)

    @property
    def current_task_definition(self) -> TaskDefinition | None:
        """The task definition the service is set to run."""
        return self.task_definition(self.service.task_definition_arn)

    def logs_for_task(self, task_id: str) -> tuple[LogEvent, ...]:
        """Log events from streams of this task (awslogs streams end with the task id)."""
        return tuple(e for e in self.log_events if e.log_stream.endswith(task_id))

    def has_gap(self, source: str) -> bool:
        """Whether this source (e.g. "elbv2:DescribeTargetHealth") could not be read."""
        return any(g.source == source for g in self.gaps)

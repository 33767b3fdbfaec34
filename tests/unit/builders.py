"""Hand-built snapshots of a made-up service: cluster "payments", service "ledger-api".

The task runs an "app" container behind an "envoy" sidecar. Builders return a healthy
picture by default; tests change one thing with keyword arguments or `dataclasses.replace`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from ecs_medic.aws.snapshot import (
    Container,
    ContainerDefinition,
    Deployment,
    ImageCheck,
    LogConfig,
    LogEvent,
    NetworkConfig,
    NetworkView,
    PortMapping,
    Service,
    ServiceEvent,
    ServiceLoadBalancer,
    ServiceSnapshot,
    TargetGroup,
    TargetHealth,
    Task,
    TaskDefinition,
)
from ecs_medic.aws.snapshot_network import (
    InternetGateway,
    LoadBalancer,
    NaclEntry,
    NatGateway,
    NetworkAcl,
    Route,
    RouteTable,
    SecurityGroup,
    SgRule,
    Subnet,
    Vpc,
)

REGION = "eu-west-1"
ACCOUNT = "210987654321"
PREFIX = f"arn:aws:ecs:{REGION}:{ACCOUNT}"
CLUSTER_ARN = f"{PREFIX}:cluster/payments"
SERVICE_ARN = f"{PREFIX}:service/payments/ledger-api"
TG_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/ledger-tg/5e4d3c2b1a09f8e7"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/ledger-api:v42"
EXEC_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ledger-exec"
TASK_ROLE = f"arn:aws:iam::{ACCOUNT}:role/ledger-app"
NOW = datetime(2025, 3, 14, 9, 30, tzinfo=UTC)
LB_ARN = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:loadbalancer/app/ledger-alb/0f9e8d7c"
VPC = "vpc-0a1b2c3d"
SUBNETS = ("subnet-0priv0a", "subnet-0priv0b")
PUBLIC_SUBNET = "subnet-0pub00a"
TASK_SG = "sg-0ledgertask"
ALB_SG = "sg-0ledgeralb"
NAT = "nat-0f1e2d3c"
IGW = "igw-0a9b8c7d"

OOM_REASON = "OutOfMemoryError: Container killed due to memory usage"
PULL_NOT_FOUND = (
    "CannotPullContainerError: pull image manifest has been retried 5 time(s): "
    f"failed to resolve ref {IMAGE}: {IMAGE}: not found"
)
ESSENTIAL_EXITED = "Essential container in task exited"
BREAKER_REASON = "ECS deployment circuit breaker: tasks failed to start."
STEADY = "(service ledger-api) has reached a steady state."


def td_arn(revision: int = 7) -> str:
    """Task-definition ARN of the given revision."""
    return f"{PREFIX}:task-definition/ledger-api:{revision}"


def task_definition(
    revision: int = 7, *, memory: str | None = "1024", app_memory: int | None = 768
) -> TaskDefinition:
    """A Fargate task definition: essential "app" and a non-essential "envoy" sidecar."""
    app = ContainerDefinition(
        name="app",
        image=IMAGE,
        memory=app_memory,
        memory_reservation=512,
        port_mappings=(PortMapping(9000),),
        log_config=LogConfig("awslogs", (("awslogs-group", "/ecs/ledger-api"),)),
    )
    envoy = ContainerDefinition(name="envoy", image="envoyproxy/envoy:v1.31", essential=False)
    return TaskDefinition(
        arn=td_arn(revision),
        family="ledger-api",
        revision=revision,
        containers=(envoy, app),  # app is deliberately not first
        cpu="512",
        memory=memory,
        network_mode="awsvpc",
        requires_compatibilities=("FARGATE",),
        execution_role_arn=EXEC_ROLE,
        task_role_arn=TASK_ROLE,
    )


def deployment(
    revision: int = 7, *, status: str = "PRIMARY", rollout: str = "COMPLETED", **kwargs: object
) -> Deployment:
    """A deployment of the given revision, complete and at its desired count by default."""
    fields: dict[str, object] = {
        "id": f"ecs-svc/{revision:019d}",
        "status": status,
        "task_definition_arn": td_arn(revision),
        "desired_count": 3,
        "running_count": 3,
        "pending_count": 0,
        "rollout_state": rollout,
        "rollout_state_reason": "ECS deployment ecs-svc/x completed.",
    }
    fields.update(kwargs)
    return Deployment(**fields)  # type: ignore[arg-type]


def event(message: str, minutes_ago: int = 1) -> ServiceEvent:
    """A service event."""
    return ServiceEvent(
        id=f"ev-{minutes_ago}", created_at=NOW - timedelta(minutes=minutes_ago), message=message
    )


def service(
    *,
    running: int = 3,
    desired: int = 3,
    deployments: tuple[Deployment, ...] | None = None,
    events: tuple[ServiceEvent, ...] = (event(STEADY),),
    launch_type: str | None = "FARGATE",
) -> Service:
    """The ledger-api service behind target group ledger-tg."""
    return Service(
        name="ledger-api",
        arn=SERVICE_ARN,
        cluster_arn=CLUSTER_ARN,
        status="ACTIVE",
        desired_count=desired,
        running_count=running,
        pending_count=0,
        task_definition_arn=td_arn(),
        launch_type=launch_type,
        deployments=deployments if deployments is not None else (deployment(),),
        events=events,
        load_balancers=(ServiceLoadBalancer(TG_ARN, "app", 9000),),
        network=NetworkConfig(SUBNETS, (TASK_SG,), "DISABLED"),
        health_check_grace_period_s=0,
    )


def container(
    name: str = "app", exit_code: int | None = None, reason: str | None = None
) -> Container:
    """A container of a task."""
    return Container(name=name, image=IMAGE, exit_code=exit_code, reason=reason)


def task(n: int, *, stopped: bool = True, revision: int = 7, **kwargs: object) -> Task:
    """Task number n; stopped by default, with fields given as keyword arguments."""
    fields: dict[str, object] = {
        "arn": f"{PREFIX}:task/payments/{n:032x}",
        "task_definition_arn": td_arn(revision),
        "last_status": "STOPPED" if stopped else "RUNNING",
        "desired_status": "STOPPED" if stopped else "RUNNING",
        "containers": (container("envoy"), container("app")),
        "launch_type": "FARGATE",
        "subnet_id": SUBNETS[n % 2],
        "availability_zone": f"{REGION}{'ab'[n % 2]}",
        "stopped_at": NOW - timedelta(minutes=n) if stopped else None,
    }
    fields.update(kwargs)
    return Task(**fields)  # type: ignore[arg-type]


def oom_task(n: int) -> Task:
    """A task whose app container was killed for memory; envoy got SIGTERM."""
    return task(
        n,
        stop_code="EssentialContainerExited",
        stopped_reason=ESSENTIAL_EXITED,
        containers=(container("envoy", 143), container("app", 137, OOM_REASON)),
    )


def app_exit_task(n: int, exit_code: int = 1) -> Task:
    """A task whose app container exited on its own with `exit_code`."""
    return task(
        n,
        stop_code="EssentialContainerExited",
        stopped_reason=ESSENTIAL_EXITED,
        containers=(container("envoy", 143), container("app", exit_code)),
    )


def pull_task(n: int, reason: str = PULL_NOT_FOUND) -> Task:
    """A task that never started because the image pull failed."""
    return task(
        n,
        stop_code="TaskFailedToStart",
        stopped_reason=reason,
        containers=(container("envoy"), container("app", None, reason)),
    )


def elb_task(n: int) -> Task:
    """A task the scheduler replaced because it failed the target group's health checks."""
    return task(
        n,
        stop_code="ServiceSchedulerInitiated",
        stopped_reason=f"Task failed ELB health checks in (target-group {TG_ARN})",
        containers=(container("envoy", 143), container("app", 143)),
    )


def failed_deployment(revision: int = 8) -> Deployment:
    """A PRIMARY deployment the circuit breaker marked FAILED after 3 failed tasks."""
    return deployment(
        revision,
        rollout="FAILED",
        rollout_state_reason=BREAKER_REASON,
        running_count=0,
        failed_tasks=3,
    )


def log(t: Task, message: str, name: str = "app", second: int = 0) -> LogEvent:
    """A log line from a container stream of task t (awslogs: prefix/container/task-id)."""
    return LogEvent(
        log_group="/ecs/ledger-api",
        log_stream=f"ledger/{name}/{t.id}",
        timestamp=NOW + timedelta(seconds=second),
        message=message,
    )


def target_group(**kwargs: object) -> TargetGroup:
    """The ledger-tg target group: HTTP health check on /healthz, expecting 200."""
    base = TargetGroup(
        arn=TG_ARN,
        name="ledger-tg",
        protocol="HTTP",
        port=9000,
        target_type="ip",
        health_check_protocol="HTTP",
        health_check_port="traffic-port",
        health_check_path="/healthz",
        matcher="200",
        unhealthy_threshold=2,
        interval_s=15,
        load_balancer_arns=(LB_ARN,),
    )
    return replace(base, **kwargs)  # type: ignore[arg-type]


def target(
    ip: str, state: str = "healthy", reason: str | None = None, description: str | None = None
) -> TargetHealth:
    """One target of ledger-tg."""
    return TargetHealth(TG_ARN, ip, 9000, state, reason, description)


def mismatch_target(ip: str, code: int = 404) -> TargetHealth:
    """A target failing its health check with a wrong status code."""
    return target(
        ip,
        "unhealthy",
        "Target.ResponseCodeMismatch",
        f"Health checks failed with these codes: [{code}]",
    )


def snapshot(**kwargs: object) -> ServiceSnapshot:
    """A healthy ledger-api snapshot; keyword arguments replace its fields."""
    base = ServiceSnapshot(
        region=REGION,
        account_id=ACCOUNT,
        cluster_arn=CLUSTER_ARN,
        service=service(),
        task_definitions=(task_definition(),),
        running_tasks=tuple(task(n, stopped=False) for n in (1, 2, 3)),
        target_groups=(target_group(),),
        target_health=tuple(target(f"10.0.1.{n}") for n in (11, 12, 13)),
        images=(ImageCheck(IMAGE, "ledger-api", "v42", exists=True),),
        network=network_view(),
        collected_at=NOW,
    )
    return replace(base, **kwargs)  # type: ignore[arg-type]


def rule(
    port: int | None = None, *, groups: tuple[str, ...] = (), cidrs: tuple[str, ...] = ()
) -> SgRule:
    """A TCP rule on one port (all traffic when port is None)."""
    if port is None:
        return SgRule("-1", cidrs=cidrs, source_group_ids=groups)
    return SgRule("tcp", port, port, cidrs=cidrs, source_group_ids=groups)


def task_sg(
    *, ingress: tuple[SgRule, ...] | None = None, egress: tuple[SgRule, ...] | None = None
) -> SecurityGroup:
    """The task SG: 9000 from the ALB SG in, everything out, unless told otherwise."""
    return SecurityGroup(
        TASK_SG,
        "ledger-task",
        VPC,
        ingress=(rule(9000, groups=(ALB_SG,)),) if ingress is None else ingress,
        egress=(rule(cidrs=("0.0.0.0/0",)),) if egress is None else egress,
    )


def private_table(*routes: Route) -> RouteTable:
    """The private subnets' route table: local plus the given routes (NAT by default)."""
    extra = routes or (Route(destination_cidr="0.0.0.0/0", nat_gateway_id=NAT, state="active"),)
    local = Route(destination_cidr="10.20.0.0/16", gateway_id="local", state="active")
    return RouteTable("rtb-0private", VPC, (local, *extra), subnet_ids=SUBNETS)


def allow_all_acl(*entries: NaclEntry) -> NetworkAcl:
    """The subnets' NACL: the given entries, then allow all both ways, then the implicit deny."""
    allow = (
        NaclEntry(100, True, "-1", "allow", "0.0.0.0/0"),
        NaclEntry(100, False, "-1", "allow", "0.0.0.0/0"),
    )
    return NetworkAcl(
        "acl-0ledger", VPC, (*entries, *allow), (*SUBNETS, PUBLIC_SUBNET), is_default=True
    )


def network_view(**kwargs: object) -> NetworkView:
    """Private subnets behind a NAT gateway, an ALB in front, open NACLs."""
    base = NetworkView(
        vpcs=(Vpc(VPC, "10.20.0.0/16", True, True),),
        subnets=(
            Subnet(SUBNETS[0], VPC, f"{REGION}a", "10.20.1.0/24", 200),
            Subnet(SUBNETS[1], VPC, f"{REGION}b", "10.20.2.0/24", 200),
            Subnet(PUBLIC_SUBNET, VPC, f"{REGION}a", "10.20.100.0/24", 250, True),
        ),
        route_tables=(
            private_table(),
            RouteTable(
                "rtb-0public",
                VPC,
                (Route(destination_cidr="0.0.0.0/0", gateway_id=IGW, state="active"),),
                subnet_ids=(PUBLIC_SUBNET,),
            ),
        ),
        nat_gateways=(NatGateway(NAT, PUBLIC_SUBNET, "available", VPC),),
        internet_gateways=(InternetGateway(IGW, (VPC,)),),
        security_groups=(
            task_sg(),
            SecurityGroup(ALB_SG, "ledger-alb", VPC, ingress=(rule(443, cidrs=("0.0.0.0/0",)),)),
        ),
        network_acls=(allow_all_acl(),),
        load_balancers=(
            LoadBalancer(
                LB_ARN,
                "ledger-alb",
                "application",
                "internet-facing",
                "active",
                VPC,
                (f"{REGION}a", f"{REGION}b"),
                (PUBLIC_SUBNET,),
                (ALB_SG,),
            ),
        ),
    )
    return replace(base, **kwargs)  # type: ignore[arg-type]


def failing(snap: ServiceSnapshot, running: int = 0) -> ServiceSnapshot:
    """The snapshot with fewer tasks running than desired."""
    return replace(snap, service=replace(snap.service, running_count=running))

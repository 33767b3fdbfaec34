"""Turn AWS API JSON (from boto3 or an MCP server) into snapshot types.

Both transports return the API's own shapes; only timestamps differ (datetime from boto3,
ISO text or epoch seconds from JSON), so `to_datetime` accepts all three.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

from ecs_medic.aws.snapshot import (
    Container,
    ContainerDefinition,
    Deployment,
    DeploymentConfig,
    HealthCheck,
    LogConfig,
    LogEvent,
    NetworkConfig,
    PlacementConstraint,
    PortMapping,
    SecretRef,
    Service,
    ServiceEvent,
    ServiceLoadBalancer,
    TargetGroup,
    TargetHealth,
    Task,
    TaskDefinition,
)

Json = Mapping[str, Any]


def to_datetime(value: Any) -> datetime | None:
    """A timezone-aware datetime from a datetime, ISO 8601 text or epoch seconds/millis."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        seconds = value / 1000 if value > 1e11 else value
        return datetime.fromtimestamp(seconds, tz=UTC)
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _ints(value: Any) -> int | None:
    return None if value is None else int(value)


def _strs(values: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in values or ())


def parse_deployment(d: Json) -> Deployment:
    """One service deployment."""
    return Deployment(
        id=d.get("id", ""),
        status=d.get("status", ""),
        task_definition_arn=d.get("taskDefinition", ""),
        desired_count=int(d.get("desiredCount", 0)),
        running_count=int(d.get("runningCount", 0)),
        pending_count=int(d.get("pendingCount", 0)),
        failed_tasks=int(d.get("failedTasks", 0)),
        rollout_state=d.get("rolloutState"),
        rollout_state_reason=d.get("rolloutStateReason"),
        created_at=to_datetime(d.get("createdAt")),
        updated_at=to_datetime(d.get("updatedAt")),
    )


def parse_network(d: Json | None) -> NetworkConfig | None:
    """The awsvpcConfiguration of a service, if it has one."""
    vpc = (d or {}).get("awsvpcConfiguration")
    if not vpc:
        return None
    return NetworkConfig(
        subnets=_strs(vpc.get("subnets")),
        security_groups=_strs(vpc.get("securityGroups")),
        assign_public_ip=vpc.get("assignPublicIp"),
    )


def parse_deployment_config(d: Json | None) -> DeploymentConfig:
    """The deploymentConfiguration, with the circuit breaker flattened."""
    d = d or {}
    breaker = d.get("deploymentCircuitBreaker") or {}
    return DeploymentConfig(
        minimum_healthy_percent=_ints(d.get("minimumHealthyPercent")),
        maximum_percent=_ints(d.get("maximumPercent")),
        circuit_breaker_enabled=bool(breaker.get("enable", False)),
        circuit_breaker_rollback=bool(breaker.get("rollback", False)),
    )


def parse_service(d: Json) -> Service:
    """One entry of DescribeServices' `services`."""
    return Service(
        name=d["serviceName"],
        arn=d["serviceArn"],
        cluster_arn=d.get("clusterArn", ""),
        status=d.get("status", ""),
        desired_count=int(d.get("desiredCount", 0)),
        running_count=int(d.get("runningCount", 0)),
        pending_count=int(d.get("pendingCount", 0)),
        task_definition_arn=d.get("taskDefinition", ""),
        launch_type=d.get("launchType"),
        platform_version=d.get("platformVersion"),
        scheduling_strategy=d.get("schedulingStrategy"),
        health_check_grace_period_s=_ints(d.get("healthCheckGracePeriodSeconds")),
        deployments=tuple(parse_deployment(x) for x in d.get("deployments", ())),
        events=tuple(
            ServiceEvent(e.get("id", ""), to_datetime(e.get("createdAt")), e.get("message", ""))
            for e in d.get("events", ())
        ),
        load_balancers=tuple(
            ServiceLoadBalancer(
                target_group_arn=lb.get("targetGroupArn"),
                container_name=lb.get("containerName", ""),
                container_port=int(lb.get("containerPort", 0)),
                load_balancer_name=lb.get("loadBalancerName"),
            )
            for lb in d.get("loadBalancers", ())
        ),
        network=parse_network(d.get("networkConfiguration")),
        deployment_config=parse_deployment_config(d.get("deploymentConfiguration")),
        capacity_provider_strategy=tuple(
            s.get("capacityProvider", "") for s in d.get("capacityProviderStrategy", ())
        ),
        created_at=to_datetime(d.get("createdAt")),
        placement_constraints=tuple(
            PlacementConstraint(str(c.get("type", "")), c.get("expression"))
            for c in d.get("placementConstraints") or ()
        ),
    )


def _health_check(d: Json | None) -> HealthCheck | None:
    if not d:
        return None
    return HealthCheck(
        command=_strs(d.get("command")),
        interval_s=_ints(d.get("interval")),
        timeout_s=_ints(d.get("timeout")),
        retries=_ints(d.get("retries")),
        start_period_s=_ints(d.get("startPeriod")),
    )


def _log_config(d: Json | None) -> LogConfig | None:
    if not d:
        return None
    options = tuple(sorted((str(k), str(v)) for k, v in (d.get("options") or {}).items()))
    return LogConfig(driver=d.get("logDriver", ""), options=options)


def parse_container_definition(d: Json) -> ContainerDefinition:
    """One container definition; environment values are dropped, only names are kept."""
    creds = d.get("repositoryCredentials") or {}
    return ContainerDefinition(
        name=d.get("name", ""),
        image=d.get("image", ""),
        essential=bool(d.get("essential", True)),
        cpu=_ints(d.get("cpu")),
        memory=_ints(d.get("memory")),
        memory_reservation=_ints(d.get("memoryReservation")),
        port_mappings=tuple(
            PortMapping(
                container_port=int(p.get("containerPort", 0)),
                host_port=_ints(p.get("hostPort")),
                protocol=p.get("protocol", "tcp"),
                name=p.get("name"),
                app_protocol=p.get("appProtocol"),
            )
            for p in d.get("portMappings", ())
        ),
        log_config=_log_config(d.get("logConfiguration")),
        health_check=_health_check(d.get("healthCheck")),
        secrets=tuple(
            SecretRef(s.get("name", ""), s.get("valueFrom", "")) for s in d.get("secrets", ())
        ),
        environment_names=tuple(e.get("name", "") for e in d.get("environment", ())),
        entry_point=_strs(d.get("entryPoint")),
        command=_strs(d.get("command")),
        stop_timeout_s=_ints(d.get("stopTimeout")),
        repository_credentials=creds.get("credentialsParameter"),
    )


def parse_task_definition(d: Json) -> TaskDefinition:
    """The `taskDefinition` of DescribeTaskDefinition."""
    platform = d.get("runtimePlatform") or {}
    return TaskDefinition(
        arn=d["taskDefinitionArn"],
        family=d.get("family", ""),
        revision=int(d.get("revision", 0)),
        containers=tuple(parse_container_definition(c) for c in d.get("containerDefinitions", ())),
        cpu=None if d.get("cpu") is None else str(d["cpu"]),
        memory=None if d.get("memory") is None else str(d["memory"]),
        network_mode=d.get("networkMode"),
        requires_compatibilities=_strs(d.get("requiresCompatibilities")),
        execution_role_arn=d.get("executionRoleArn"),
        task_role_arn=d.get("taskRoleArn"),
        cpu_architecture=platform.get("cpuArchitecture"),
        status=d.get("status"),
    )


def parse_container(d: Json) -> Container:
    """One container of a described task."""
    return Container(
        name=d.get("name", ""),
        image=d.get("image"),
        image_digest=d.get("imageDigest"),
        last_status=d.get("lastStatus"),
        exit_code=_ints(d.get("exitCode")),
        reason=d.get("reason"),
        health_status=d.get("healthStatus"),
    )


def _eni_details(d: Json) -> dict[str, str]:
    for attachment in d.get("attachments", ()):
        if attachment.get("type") == "ElasticNetworkInterface":
            return {
                x.get("name", ""): str(x.get("value", "")) for x in attachment.get("details", ())
            }
    return {}


def parse_task(d: Json) -> Task:
    """One entry of DescribeTasks' `tasks`."""
    eni = _eni_details(d)
    return Task(
        arn=d["taskArn"],
        task_definition_arn=d.get("taskDefinitionArn", ""),
        last_status=d.get("lastStatus", ""),
        desired_status=d.get("desiredStatus", ""),
        containers=tuple(parse_container(c) for c in d.get("containers", ())),
        stop_code=d.get("stopCode"),
        stopped_reason=d.get("stoppedReason"),
        started_by=d.get("startedBy"),
        group=d.get("group"),
        launch_type=d.get("launchType"),
        cpu=None if d.get("cpu") is None else str(d["cpu"]),
        memory=None if d.get("memory") is None else str(d["memory"]),
        health_status=d.get("healthStatus"),
        availability_zone=d.get("availabilityZone"),
        subnet_id=eni.get("subnetId"),
        private_ip=eni.get("privateIPv4Address"),
        created_at=to_datetime(d.get("createdAt")),
        started_at=to_datetime(d.get("startedAt")),
        stopping_at=to_datetime(d.get("stoppingAt")),
        stopped_at=to_datetime(d.get("stoppedAt")),
    )


def parse_target_group(d: Json) -> TargetGroup:
    """One entry of DescribeTargetGroups."""
    return TargetGroup(
        arn=d["TargetGroupArn"],
        name=d.get("TargetGroupName", ""),
        protocol=d.get("Protocol"),
        port=_ints(d.get("Port")),
        target_type=d.get("TargetType"),
        vpc_id=d.get("VpcId"),
        health_check_protocol=d.get("HealthCheckProtocol"),
        health_check_port=d.get("HealthCheckPort"),
        health_check_path=d.get("HealthCheckPath"),
        matcher=(d.get("Matcher") or {}).get("HttpCode"),
        healthy_threshold=_ints(d.get("HealthyThresholdCount")),
        unhealthy_threshold=_ints(d.get("UnhealthyThresholdCount")),
        interval_s=_ints(d.get("HealthCheckIntervalSeconds")),
        timeout_s=_ints(d.get("HealthCheckTimeoutSeconds")),
        load_balancer_arns=_strs(d.get("LoadBalancerArns")),
    )


def parse_target_health(target_group_arn: str, d: Json) -> TargetHealth:
    """One entry of DescribeTargetHealth's `TargetHealthDescriptions`."""
    target = d.get("Target") or {}
    health = d.get("TargetHealth") or {}
    return TargetHealth(
        target_group_arn=target_group_arn,
        target_id=target.get("Id", ""),
        port=_ints(target.get("Port")),
        state=health.get("State", ""),
        reason=health.get("Reason"),
        description=health.get("Description"),
    )


def parse_log_event(group: str, d: Json) -> LogEvent:
    """One event of FilterLogEvents."""
    return LogEvent(
        log_group=group,
        log_stream=d.get("logStreamName", ""),
        timestamp=to_datetime(d.get("timestamp")),
        message=str(d.get("message", "")).rstrip("\n"),
    )

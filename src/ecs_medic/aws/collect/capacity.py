"""Capacity and scaling: cluster, EC2 capacity, Application Auto Scaling, metrics, rollouts.

Container instances, capacity providers and their Auto Scaling groups are read only for
services that run on EC2; scaling policies and activities only when the service has a
scalable target; circuit-breaker counts only while a watched rollout is in progress;
task protection only while tasks may be waiting to be stopped.
"""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ecs_medic.aws import parsing_capacity as parse
from ecs_medic.aws.collect.core import TaskLists
from ecs_medic.aws.collect.reader import Reader, Response, batches, unique
from ecs_medic.aws.snapshot import CapacityView, Service
from ecs_medic.aws.snapshot_capacity import (
    Autoscaling,
    CapacityProvider,
    CircuitBreakerState,
    Cluster,
    ContainerInstance,
    MetricSummary,
    TaskProtection,
)

FARGATE_PROVIDERS = frozenset({"FARGATE", "FARGATE_SPOT"})
METRIC_WINDOW = timedelta(hours=1)
METRICS = (("cpu", "CPUUtilization"), ("memory", "MemoryUtilization"))
DEPLOYMENTS_DESCRIBED = 5
_SCALING = "application-autoscaling"


@dataclass(frozen=True, slots=True)
class Fleet:
    """The cluster and, for a service on EC2, its container instances."""

    cluster: Cluster | None
    on_ec2: bool
    instances: tuple[ContainerInstance, ...] = ()


def fleet(reader: Reader, service: Service) -> Fleet:
    """The cluster, then the container instances when the service runs on EC2."""
    early = service.launch_type == "EC2"  # known without the cluster's default strategy
    instances_f = (
        reader.submit(_container_instances, reader, service.cluster_arn) if early else None
    )
    cluster = _cluster(reader, service.cluster_arn)
    if not uses_ec2(service, cluster):
        return Fleet(cluster, on_ec2=False)
    instances = (
        instances_f.result() if instances_f else _container_instances(reader, service.cluster_arn)
    )
    return Fleet(cluster, on_ec2=True, instances=instances)


def collect_capacity(
    reader: Reader, service: Service, fleet: Future[Fleet], lists: Future[TaskLists], now: datetime
) -> CapacityView:
    """Read what bounds the service's capacity; each failed read is a gap."""
    cluster_name = service.cluster_arn.rsplit("/", 1)[-1]
    metrics_f = reader.submit(_metrics, reader, cluster_name, service.name, now)
    breakers_f = reader.submit(_circuit_breakers, reader, service)
    scaling = _autoscaling(reader, f"service/{cluster_name}/{service.name}")
    found = fleet.result()
    providers = _capacity_providers(reader, service, found.cluster) if found.on_ec2 else ()
    trunking = _trunking(reader) if found.on_ec2 and service.network else None
    return CapacityView(
        cluster=found.cluster,
        container_instances=found.instances,
        capacity_providers=providers,
        autoscaling=scaling,
        metrics=metrics_f.result(),
        circuit_breakers=breakers_f.result(),
        task_protection=_task_protection(reader, service, lists.result()),
        awsvpc_trunking=trunking,
    )


def uses_ec2(service: Service, cluster: Cluster | None) -> bool:
    """Whether the service's tasks run on EC2 container instances."""
    if service.launch_type:
        return service.launch_type == "EC2"
    strategy = service.capacity_provider_strategy or (cluster.default_strategy if cluster else ())
    return any(p not in FARGATE_PROVIDERS for p in strategy)


def _cluster(reader: Reader, arn: str) -> Cluster | None:
    params = {"clusters": [arn], "include": ["SETTINGS"]}
    response = reader.call("ecs", "DescribeClusters", params, arn)
    clusters = (response or {}).get("clusters") or []
    return parse.parse_cluster(clusters[0]) if clusters else None


# -- EC2 capacity --------------------------------------------------------------------------


def _container_instances(reader: Reader, cluster_arn: str) -> tuple[ContainerInstance, ...]:
    """Every container instance of the cluster, listed and described 100 at a time."""
    params: dict[str, Any] = {"cluster": cluster_arn, "maxResults": 100}
    pages = reader.pages("ecs", "ListContainerInstances", params, limit=3, resource=cluster_arn)
    arns = [a for page in pages for a in page.get("containerInstanceArns", ())]
    found: list[ContainerInstance] = []
    for batch in batches(arns, 100):
        request = {"cluster": cluster_arn, "containerInstances": batch}
        response = reader.call("ecs", "DescribeContainerInstances", request, cluster_arn) or {}
        found += [parse.parse_container_instance(c) for c in response.get("containerInstances", ())]
    return tuple(found)


def _capacity_providers(
    reader: Reader, service: Service, cluster: Cluster | None
) -> tuple[CapacityProvider, ...]:
    """The EC2 capacity providers the service may use, with their Auto Scaling groups."""
    strategy = service.capacity_provider_strategy or (cluster.default_strategy if cluster else ())
    names = unique(p for p in strategy if p not in FARGATE_PROVIDERS)
    if not names:
        return ()
    response = reader.call(
        "ecs", "DescribeCapacityProviders", {"capacityProviders": names}, ",".join(names)
    )
    entries = (response or {}).get("capacityProviders") or []
    arns = unique(
        (e.get("autoScalingGroupProvider") or {}).get("autoScalingGroupArn") for e in entries
    )
    groups = _auto_scaling_groups(reader, [parse.asg_name(a) for a in arns])
    return tuple(parse.parse_capacity_provider(e, groups) for e in entries)


def _auto_scaling_groups(reader: Reader, names: list[str]) -> dict[str, Response]:
    if not names:
        return {}
    params = {"AutoScalingGroupNames": names}
    response = reader.call("autoscaling", "DescribeAutoScalingGroups", params, ",".join(names))
    return {
        str(g.get("AutoScalingGroupName")): g for g in (response or {}).get("AutoScalingGroups", ())
    }


def _trunking(reader: Reader) -> bool | None:
    params = {"name": "awsvpcTrunking", "effectiveSettings": True}
    response = reader.call("ecs", "ListAccountSettings", params, "awsvpcTrunking")
    if response is None:
        return None
    return any(s.get("value") == "enabled" for s in response.get("settings") or ())


# -- scaling -------------------------------------------------------------------------------


def _autoscaling(reader: Reader, resource_id: str) -> Autoscaling | None:
    """The scalable target; policies, activities and alarms only when there is one."""
    base = {"ServiceNamespace": "ecs", "ScalableDimension": "ecs:service:DesiredCount"}
    found = reader.call(
        _SCALING, "DescribeScalableTargets", {**base, "ResourceIds": [resource_id]}, resource_id
    )
    targets = (found or {}).get("ScalableTargets") or []
    if not targets:
        return None
    scoped = {**base, "ResourceId": resource_id}
    activities_f = reader.submit(
        reader.call,
        _SCALING,
        "DescribeScalingActivities",
        {**scoped, "IncludeNotScaledActivities": True, "MaxResults": 20},
        resource_id,
    )
    policies = (reader.call(_SCALING, "DescribeScalingPolicies", scoped, resource_id) or {}).get(
        "ScalingPolicies"
    ) or []
    alarms = parse.alarm_names(policies)
    in_alarm = (
        reader.call("cloudwatch", "DescribeAlarms", {"AlarmNames": alarms}, resource_id)
        if alarms
        else None
    )
    activities = (activities_f.result() or {}).get("ScalingActivities") or []
    return Autoscaling(
        target=parse.parse_scalable_target(targets[0]),
        policy_names=tuple(str(p.get("PolicyName", "")) for p in policies),
        activities=tuple(parse.parse_scaling_activity(a) for a in activities),
        alarms_in_alarm=parse.alarms_in_alarm(in_alarm) if in_alarm else (),
        tracking=tuple(t for t in map(parse.parse_tracking_policy, policies) if t is not None),
    )


def _metrics(
    reader: Reader, cluster: str, service: str, now: datetime
) -> tuple[MetricSummary, ...]:
    """Service CPU and memory utilization over the last hour, in one GetMetricData."""
    dimensions = [
        {"Name": "ClusterName", "Value": cluster},
        {"Name": "ServiceName", "Value": service},
    ]
    queries = [
        {
            "Id": f"{key}_{stat.lower()}",
            "MetricStat": {
                "Metric": {"Namespace": "AWS/ECS", "MetricName": name, "Dimensions": dimensions},
                "Period": 60,
                "Stat": stat,
            },
            "ReturnData": True,
        }
        for key, name in METRICS
        for stat in ("Maximum", "Average")
    ]
    params = {
        "MetricDataQueries": queries,
        "StartTime": (now - METRIC_WINDOW).isoformat(),
        "EndTime": now.isoformat(),
    }
    response = reader.call("cloudwatch", "GetMetricData", params, f"{cluster}/{service}")
    if response is None:
        return ()
    series = {str(r.get("Id")): r for r in response.get("MetricDataResults") or ()}
    return tuple(
        parse.parse_metric(
            "AWS/ECS", name, series.get(f"{key}_maximum"), series.get(f"{key}_average")
        )
        for key, name in METRICS
    )


# -- rollouts ------------------------------------------------------------------------------


def rollout_watched(service: Service) -> bool:
    """Whether a circuit breaker is counting failures of a rollout still in progress.

    A COMPLETED rollout has nothing left to count, and a FAILED one has its verdict and
    failedTasks in DescribeServices already.
    """
    return service.deployment_config.circuit_breaker_enabled and any(
        d.rollout_state == "IN_PROGRESS" for d in service.deployments
    )


def _circuit_breakers(reader: Reader, service: Service) -> tuple[CircuitBreakerState, ...]:
    """Circuit-breaker counts of the newest service deployments, while a rollout is open."""
    if not rollout_watched(service):
        return ()
    params = {"cluster": service.cluster_arn, "service": service.name}
    listed = reader.call("ecs", "ListServiceDeployments", params, service.arn)
    arns = [
        str(d["serviceDeploymentArn"])
        for d in (listed or {}).get("serviceDeployments") or ()
        if d.get("serviceDeploymentArn")
    ]
    if not arns:
        return ()
    request = {"serviceDeploymentArns": arns[:DEPLOYMENTS_DESCRIBED]}
    described = reader.call("ecs", "DescribeServiceDeployments", request, service.arn) or {}
    states = (parse.parse_circuit_breaker(d) for d in described.get("serviceDeployments") or ())
    return tuple(s for s in states if s is not None)


def _task_protection(
    reader: Reader, service: Service, lists: TaskLists
) -> tuple[TaskProtection, ...]:
    """Scale-in protection of running tasks, read only while some may be waiting to stop."""
    waiting = len(service.deployments) > 1 or service.running_count > service.desired_count
    if not waiting or not lists.running:
        return ()
    found: list[TaskProtection] = []
    for batch in batches([t.arn for t in lists.running], 10):
        params = {"cluster": service.cluster_arn, "tasks": batch}
        response = reader.call("ecs", "GetTaskProtection", params, service.arn) or {}
        found += [parse.parse_task_protection(p) for p in response.get("protectedTasks") or ()]
    return tuple(found)

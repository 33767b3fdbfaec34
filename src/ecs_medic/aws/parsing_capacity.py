"""Turn ECS cluster, Auto Scaling, Application Auto Scaling and CloudWatch JSON into snapshots."""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping
from typing import Any

from ecs_medic.aws.parsing import Json, to_datetime
from ecs_medic.aws.snapshot_capacity import (
    CapacityProvider,
    CircuitBreakerState,
    Cluster,
    ContainerInstance,
    MetricSummary,
    ScalableTarget,
    ScalingActivity,
    TaskProtection,
    TrackingPolicy,
)


def _int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


def _strategy(entries: Iterable[Json] | None) -> tuple[str, ...]:
    return tuple(str(s.get("capacityProvider", "")) for s in entries or ())


def parse_cluster(d: Json) -> Cluster:
    """One entry of DescribeClusters (with `include=["SETTINGS"]`)."""
    return Cluster(
        arn=d["clusterArn"],
        name=d.get("clusterName", ""),
        status=d.get("status", ""),
        registered_container_instances=int(d.get("registeredContainerInstancesCount", 0)),
        running_tasks=int(d.get("runningTasksCount", 0)),
        pending_tasks=int(d.get("pendingTasksCount", 0)),
        capacity_providers=tuple(str(p) for p in d.get("capacityProviders") or ()),
        default_strategy=_strategy(d.get("defaultCapacityProviderStrategy")),
        settings=tuple(
            (str(s.get("name", "")), str(s.get("value", ""))) for s in d.get("settings") or ()
        ),
    )


def _resources(entries: Iterable[Json] | None) -> dict[str, Json]:
    return {str(r.get("name", "")): r for r in entries or ()}


def _ports(resource: Json | None) -> tuple[int, ...]:
    return tuple(int(p) for p in (resource or {}).get("stringSetValue") or () if str(p).isdigit())


def parse_container_instance(d: Json) -> ContainerInstance:
    """One entry of DescribeContainerInstances."""
    registered = _resources(d.get("registeredResources"))
    remaining = _resources(d.get("remainingResources"))
    attributes = {str(a.get("name", "")): a.get("value") for a in d.get("attributes") or ()}
    return ContainerInstance(
        arn=d["containerInstanceArn"],
        ec2_instance_id=d.get("ec2InstanceId"),
        status=d.get("status", ""),
        agent_connected=bool(d.get("agentConnected", False)),
        availability_zone=attributes.get("ecs.availability-zone"),
        instance_type=attributes.get("ecs.instance-type"),
        registered_cpu=_int(registered.get("CPU", {}).get("integerValue")),
        registered_memory=_int(registered.get("MEMORY", {}).get("integerValue")),
        remaining_cpu=_int(remaining.get("CPU", {}).get("integerValue")),
        remaining_memory=_int(remaining.get("MEMORY", {}).get("integerValue")),
        reserved_ports=_ports(remaining.get("PORTS")),
        running_tasks=int(d.get("runningTasksCount", 0)),
        attributes=tuple(attributes),
        agent_version=(d.get("versionInfo") or {}).get("agentVersion"),
        attribute_values=tuple((k, str(v)) for k, v in attributes.items() if v is not None),
    )


def asg_name(arn: str) -> str:
    """The group name at the end of an Auto Scaling group ARN (or the name itself)."""
    return arn.rsplit("autoScalingGroupName/", 1)[-1]


def parse_capacity_provider(d: Json, groups: Mapping[str, Json]) -> CapacityProvider:
    """A DescribeCapacityProviders entry, joined with its DescribeAutoScalingGroups entry."""
    provider = d.get("autoScalingGroupProvider") or {}
    scaling = provider.get("managedScaling") or {}
    arn = provider.get("autoScalingGroupArn")
    group = groups.get(asg_name(arn)) if arn else None
    return CapacityProvider(
        name=d.get("name", ""),
        status=d.get("status"),
        asg_arn=arn,
        managed_scaling=scaling.get("status"),
        target_capacity=_int(scaling.get("targetCapacity")),
        asg_desired=_int((group or {}).get("DesiredCapacity")),
        asg_min=_int((group or {}).get("MinSize")),
        asg_max=_int((group or {}).get("MaxSize")),
    )


def parse_scalable_target(d: Json) -> ScalableTarget:
    """One entry of DescribeScalableTargets."""
    suspended = d.get("SuspendedState") or {}
    return ScalableTarget(
        min_capacity=int(d.get("MinCapacity", 0)),
        max_capacity=int(d.get("MaxCapacity", 0)),
        suspended=any(bool(v) for v in suspended.values()),
        suspended_flags=tuple(sorted(str(k) for k, v in suspended.items() if v)),
    )


def parse_tracking_policy(d: Json) -> TrackingPolicy | None:
    """One DescribeScalingPolicies entry as a target-tracking policy (None for step scaling)."""
    config = d.get("TargetTrackingScalingPolicyConfiguration")
    if not config or config.get("TargetValue") is None:
        return None
    predefined = config.get("PredefinedMetricSpecification") or {}
    custom = config.get("CustomizedMetricSpecification") or {}
    metric = predefined.get("PredefinedMetricType") or custom.get("MetricName") or ""
    return TrackingPolicy(str(d.get("PolicyName", "")), str(metric), float(config["TargetValue"]))


def parse_scaling_activity(d: Json) -> ScalingActivity:
    """One entry of DescribeScalingActivities (not-scaled activities included)."""
    return ScalingActivity(
        status_code=d.get("StatusCode", ""),
        description=d.get("Description", ""),
        status_message=d.get("StatusMessage", ""),
        not_scaled_reasons=tuple(str(r.get("Code", "")) for r in d.get("NotScaledReasons") or ()),
        start_time=to_datetime(d.get("StartTime")),
    )


def alarm_names(policies: Iterable[Json]) -> list[str]:
    """The CloudWatch alarms that drive these scaling policies."""
    names = [
        str(a["AlarmName"]) for p in policies for a in p.get("Alarms") or () if a.get("AlarmName")
    ]
    return list(dict.fromkeys(names))


def alarms_in_alarm(response: Json) -> tuple[str, ...]:
    """Names of the DescribeAlarms alarms in ALARM that call for more capacity.

    A scale-in alarm (LessThan..., such as target tracking's AlarmLow) in ALARM says the load
    is low, not that the service needs more tasks.
    """
    alarms = [*(response.get("MetricAlarms") or ()), *(response.get("CompositeAlarms") or ())]
    return tuple(
        str(a.get("AlarmName", ""))
        for a in alarms
        if a.get("StateValue") == "ALARM"
        and not str(a.get("ComparisonOperator", "")).startswith("LessThan")
    )


def parse_metric(
    namespace: str, name: str, maxima: Json | None, means: Json | None
) -> MetricSummary:
    """A summary from the Maximum and Average series of one GetMetricData answer."""
    highs = [float(v) for v in (maxima or {}).get("Values") or ()]
    averages = [float(v) for v in (means or {}).get("Values") or ()]
    return MetricSummary(
        namespace=namespace,
        name=name,
        maximum=max(highs) if highs else None,
        average=statistics.fmean(averages) if averages else None,
        datapoints=max(len(highs), len(averages)),
    )


def parse_circuit_breaker(d: Json) -> CircuitBreakerState | None:
    """The circuit breaker block of one DescribeServiceDeployments entry, if it has one."""
    breaker = d.get("deploymentCircuitBreaker")
    if not breaker:
        return None
    return CircuitBreakerState(
        deployment_arn=d.get("serviceDeploymentArn", ""),
        status=d.get("status", ""),
        failure_count=int(breaker.get("failureCount", 0)),
        threshold=int(breaker.get("threshold", 0)),
    )


def parse_task_protection(d: Json) -> TaskProtection:
    """One entry of GetTaskProtection's `protectedTasks`."""
    return TaskProtection(
        task_arn=d.get("taskArn", ""),
        enabled=bool(d.get("protectionEnabled", False)),
        expires_at=to_datetime(d.get("expirationDate")),
    )

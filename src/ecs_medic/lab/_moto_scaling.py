"""moto internals for what moto 5.2.5 does not keep (part of `_moto.py`'s remit).

Task protection, service deployments, scaling activities, and the Application Auto Scaling
and CloudWatch objects the scaling simulation reads and writes; re-check on a moto upgrade.

The lab keeps each of these on the moto object it belongs to, under a `lab_` attribute, so
it lives and dies with the account: protection on the `Task`, service deployments on the
`Service`, scaling activities on the `FakeScalableTarget`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_medic.lab._moto_core import Scope, Wrapper, moto_backend, once, wrap

PROTECTION = "lab_protection"  # on a moto Task: (enabled, expires at in simulated seconds)
DEPLOYMENTS = "lab_service_deployments"  # on a moto Service: DescribeServiceDeployments entries
ACTIVITIES = "lab_scaling_activities"  # on a FakeScalableTarget: activities, newest first
MAX_ACTIVITIES = 100
ECS_DIMENSION = "ecs:service:DesiredCount"
MAX_DATAPOINTS = 50_000  # above this, lab-written datapoints older than KEEP_METRICS go
KEEP_METRICS = timedelta(hours=6)


@dataclass(frozen=True, slots=True)
class LiveScalableTarget:
    """An ECS service's scalable target as Application Auto Scaling keeps it."""

    resource_id: str
    min_capacity: int
    max_capacity: int
    scale_out_suspended: bool
    scale_in_suspended: bool


@dataclass(frozen=True, slots=True)
class LivePolicy:
    """A target-tracking policy on a predefined ECS metric, and the alarms it drives."""

    name: str
    metric: str  # CPUUtilization | MemoryUtilization
    target_value: float
    disable_scale_in: bool
    scale_out_cooldown_s: float
    scale_in_cooldown_s: float
    alarm_high: str | None
    alarm_low: str | None


@dataclass(frozen=True, slots=True)
class LiveAlarm:
    """A CloudWatch metric alarm on one of a service's AWS/ECS metrics (60 s periods)."""

    name: str
    metric: str
    comparison: str
    threshold: float
    periods: int


# --- task protection ------------------------------------------------------------------------


def find_task(scope: Scope, cluster: str, task: str) -> Any | None:
    """A moto Task of a cluster by ARN or id, or None."""
    tasks = moto_backend("ecs", scope).tasks.get(cluster.rsplit("/", 1)[-1], {})
    task_id = task.rsplit("/", 1)[-1]
    return next((t for arn, t in tasks.items() if arn.rsplit("/", 1)[-1] == task_id), None)


def protection(task: Any) -> tuple[bool, float | None]:
    """(enabled, expires at) of a moto Task; unprotected when never set."""
    enabled, expires = getattr(task, PROTECTION, (False, None))
    return bool(enabled), expires


def set_protection(task: Any, enabled: bool, expires_at: float | None) -> None:
    """Set a task's scale-in protection."""
    setattr(task, PROTECTION, (enabled, expires_at if enabled else None))


def task_arn(task: Any) -> str:
    """The moto Task's ARN."""
    return str(task.task_arn)


def task_running(task: Any) -> bool:
    """Whether the task is still meant to run (protection only applies to those)."""
    return str(getattr(task, "desired_status", "RUNNING")) == "RUNNING"


# --- service deployments --------------------------------------------------------------------


def publish_deployments(
    scope: Scope, cluster: str, service: str, entries: list[dict[str, Any]]
) -> None:
    """Keep the service's deployments, in DescribeServiceDeployments' shape, newest first."""
    target = moto_backend("ecs", scope).services.get(f"{cluster}:{service}")
    if target is not None:
        setattr(target, DEPLOYMENTS, entries)


def service_deployments(scope: Scope, cluster: str, service: str) -> list[dict[str, Any]] | None:
    """A service's deployments, or None when there is no such ACTIVE service."""
    found = moto_backend("ecs", scope).services.get(
        f"{cluster.rsplit('/', 1)[-1]}:{service.rsplit('/', 1)[-1]}"
    )
    if found is None or found.status != "ACTIVE":
        return None
    return list(getattr(found, DEPLOYMENTS, []))


def all_service_deployments(scope: Scope) -> list[dict[str, Any]]:
    """Every service deployment of the account and region."""
    return [
        e for s in moto_backend("ecs", scope).services.values() for e in getattr(s, DEPLOYMENTS, [])
    ]


# --- Application Auto Scaling ---------------------------------------------------------------


def _target(scope: Scope, resource_id: str) -> Any | None:
    """The moto scalable target of an ECS service, or None."""
    targets = moto_backend("applicationautoscaling", scope).targets
    return targets.get(ECS_DIMENSION, {}).get(resource_id)


def scalable_target(scope: Scope, resource_id: str) -> LiveScalableTarget | None:
    """The scalable target of an ECS service (`service/<cluster>/<service>`), or None."""
    found = _target(scope, resource_id)
    if found is None:
        return None
    suspended = found.suspended_state or {}
    return LiveScalableTarget(
        resource_id=resource_id,
        min_capacity=int(found.min_capacity or 0),
        max_capacity=int(found.max_capacity or 0),
        scale_out_suspended=bool(suspended.get("DynamicScalingOutSuspended", False)),
        scale_in_suspended=bool(suspended.get("DynamicScalingInSuspended", False)),
    )


def policies(scope: Scope, resource_id: str) -> list[LivePolicy]:
    """Target-tracking policies of a scalable target (step scaling is not simulated)."""
    found = []
    for policy in moto_backend("applicationautoscaling", scope).policies.values():
        config = policy.target_tracking_scaling_policy_configuration
        if policy.resource_id != resource_id or not config:
            continue
        metric_type = (config.get("PredefinedMetricSpecification") or {}).get(
            "PredefinedMetricType", ""
        )
        names = [a.name for a in policy.alarms]
        found.append(
            LivePolicy(
                name=str(policy.policy_name),
                metric="MemoryUtilization" if "Memory" in metric_type else "CPUUtilization",
                target_value=float(config.get("TargetValue", 0)),
                disable_scale_in=bool(config.get("DisableScaleIn", False)),
                scale_out_cooldown_s=float(config.get("ScaleOutCooldown", 300)),
                scale_in_cooldown_s=float(config.get("ScaleInCooldown", 300)),
                alarm_high=next((n for n in names if "-AlarmHigh-" in n), None),
                alarm_low=next((n for n in names if "-AlarmLow-" in n), None),
            )
        )
    return found


def add_activity(scope: Scope, resource_id: str, activity: dict[str, Any]) -> None:
    """Record a scaling activity (DescribeScalingActivities' shape) on the scalable target."""
    found = _target(scope, resource_id)
    if found is None:
        return
    activities = getattr(found, ACTIVITIES, [])
    setattr(found, ACTIVITIES, [activity, *activities][:MAX_ACTIVITIES])


def activities(scope: Scope, namespace: str, resource_id: str | None) -> list[dict[str, Any]]:
    """Recorded activities of the namespace's scalable targets (one resource when given)."""
    found: list[dict[str, Any]] = []
    for by_resource in moto_backend("applicationautoscaling", scope).targets.values():
        for target in by_resource.values():
            if target.service_namespace != namespace:
                continue
            if resource_id is None or target.resource_id == resource_id:
                found.extend(getattr(target, ACTIVITIES, []))
    return sorted(found, key=lambda a: a["StartTime"], reverse=True)


def service_counts(scope: Scope, cluster: str, service: str) -> tuple[int, int, str] | None:
    """(desiredCount, runningCount, task definition) of an ACTIVE service, or None."""
    found = moto_backend("ecs", scope).services.get(f"{cluster}:{service}")
    if found is None or found.status != "ACTIVE":
        return None
    running = int(getattr(found, "running_count", 0) or 0)
    return int(found.desired_count or 0), running, str(found.task_definition or "")


def set_desired(scope: Scope, cluster: str, service: str, desired: int) -> None:
    """Set a service's desiredCount, as Application Auto Scaling's UpdateService call does."""
    target = moto_backend("ecs", scope).services.get(f"{cluster}:{service}")
    if target is not None:
        target.desired_count = desired


# --- CloudWatch -----------------------------------------------------------------------------


def put_metrics(
    scope: Scope, points: Sequence[tuple[str, dict[str, str], datetime, float]]
) -> None:
    """Write AWS/ECS datapoints (name, dimensions, timestamp, percent) as ECS does each minute.

    Written to the backend directly: PutMetricData refuses the AWS/ namespaces and would
    drop timestamps far ahead of the wall clock (`lab serve` at high speed).
    """
    from moto.cloudwatch.models import MetricDatum  # noqa: PLC0415 - moto internal

    backend = moto_backend("cloudwatch", scope)
    if len(backend.metric_data) > MAX_DATAPOINTS and points:
        _prune(backend, _naive_utc(points[0][2]) - KEEP_METRICS)
    for name, dimensions, timestamp, value in points:
        dims = [{"Name": k, "Value": v} for k, v in dimensions.items()]
        backend.metric_data.append(
            MetricDatum("AWS/ECS", name, value, dims, _naive_utc(timestamp), "Percent")
        )


def _prune(backend: Any, before: datetime) -> None:
    """Forget AWS/ECS datapoints older than `before` (`lab serve` runs for hours at speed)."""
    backend.metric_data = [
        d for d in backend.metric_data if d.namespace != "AWS/ECS" or d.timestamp >= before
    ]


def _naive_utc(moment: datetime) -> datetime:
    """Moto compares datapoint times as naive UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def set_alarm_state(scope: Scope, name: str, state: str, reason: str) -> bool:
    """Set an alarm's state (moto never evaluates alarms); True when it changed."""
    alarm = moto_backend("cloudwatch", scope).alarms.get(name)
    if alarm is None or alarm.state_value == state:
        return False
    alarm.update_state(reason, "{}", state)
    return True


def service_alarms(scope: Scope, cluster: str, service: str) -> list[LiveAlarm]:
    """Alarms on the service's AWS/ECS metrics (ClusterName and ServiceName dimensions)."""
    wanted = {"ClusterName": cluster, "ServiceName": service}
    found = []
    for alarm in moto_backend("cloudwatch", scope).alarms.values():
        dimensions = {d.name: d.value for d in alarm.dimensions or ()}
        if alarm.namespace != "AWS/ECS" or dimensions != wanted:
            continue
        found.append(
            LiveAlarm(
                name=str(alarm.name),
                metric=str(alarm.metric_name),
                comparison=str(alarm.comparison_operator),
                threshold=float(alarm.threshold),
                periods=int(alarm.evaluation_periods or 1),
            )
        )
    return found


# --- patches --------------------------------------------------------------------------------


@once
def install() -> None:
    """Install this module's patches once per process (inert outside target tracking)."""
    from moto.applicationautoscaling.models import (  # noqa: PLC0415 - moto internal
        FakeApplicationAutoscalingPolicy,
    )

    wrap(FakeApplicationAutoscalingPolicy, "create_alarms", _create_alarms)


def _create_alarms(original: Wrapper, self: Any) -> None:
    """Give ECS target-tracking alarms AWS's thresholds: moto sets 6 on both.

    AWS: AlarmHigh at the target value over 3 minutes, AlarmLow at 90% of it over 15.
    """
    original(self)
    config = self.target_tracking_scaling_policy_configuration or {}
    if self.service_namespace != "ecs" or "TargetValue" not in config:
        return
    target = float(config["TargetValue"])
    for alarm in self.alarms:
        if "-AlarmHigh-" in alarm.name:
            alarm.threshold = target
        elif "-AlarmLow-" in alarm.name:
            alarm.threshold = round(target * 0.9, 2)

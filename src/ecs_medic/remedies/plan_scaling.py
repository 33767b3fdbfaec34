"""Planners for service scaling: Application Auto Scaling's range and suspension, task protection.

They raise a scalable target's MaxCapacity, resume a suspended one, or lift scale-in
protection from the tasks ECS needs to stop. Every number comes from the snapshot: the
scalable target's range and SuspendedState flags, the target-tracking policies and the
service's CloudWatch utilization, the tasks' protection and its expiry.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from ecs_medic.aws.snapshot import ServiceSnapshot, Task
from ecs_medic.aws.snapshot_capacity import ScalableTarget, TaskProtection, TrackingPolicy
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, make_action
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.plan import ApiCall
from ecs_medic.remedies.verify import service_clock

SCALING = "application-autoscaling"
DIMENSION = "ecs:service:DesiredCount"
SUSPENDED_FLAGS = (
    "DynamicScalingInSuspended",
    "DynamicScalingOutSuspended",
    "ScheduledScalingSuspended",
)
# The AWS/ECS metric each predefined target-tracking metric type follows.
TRACKED_METRICS = {
    "ECSServiceAverageCPUUtilization": "CPUUtilization",
    "ECSServiceAverageMemoryUtilization": "MemoryUtilization",
}
SATURATED = 99.0  # utilization (%) at which the metric no longer shows how much more is needed
PROTECT_BATCH = 10  # UpdateTaskProtection takes up to 10 tasks
MAX_PROTECTION_MIN = 2880  # the longest protection UpdateTaskProtection accepts (48 hours)


def resource_id(snapshot: ServiceSnapshot) -> str:
    """The scalable target's ResourceId: service/<cluster>/<service>."""
    return f"service/{snapshot.cluster_name}/{snapshot.service.name}"


def register_target(snapshot: ServiceSnapshot, **params: object) -> ApiCall:
    """RegisterScalableTarget on the service's desired count with these parameters."""
    scope = {
        "ServiceNamespace": "ecs",
        "ResourceId": resource_id(snapshot),
        "ScalableDimension": DIMENSION,
    }
    return ApiCall(SCALING, "RegisterScalableTarget", {**scope, **params})


def _target(snapshot: ServiceSnapshot) -> ScalableTarget | None:
    scaling = snapshot.capacity.autoscaling
    return scaling.target if scaling else None


# --- AUTOSCALING_MAXED ------------------------------------------------------------------------


def plan_raise_max_capacity(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Raise MaxCapacity above what target tracking asks for, at least doubled (A2, cost)."""
    target = _target(snapshot)
    if target is None:
        return (
            f"{finding.code}: raise MaxCapacity of {resource_id(snapshot)} "
            "(application-autoscaling register-scalable-target): its scalable target could not "
            "be read, so the current Min/Max to start from and to roll back to are unknown."
        )
    need, why = tracking_need(snapshot)
    wanted = max(2 * target.max_capacity, need + 1)  # room above what tracking asks for now
    before = {"MinCapacity": target.min_capacity, "MaxCapacity": target.max_capacity}
    after = {**before, "MaxCapacity": wanted}
    return make_action(
        finding.code, f"Raise MaxCapacity from {target.max_capacity} to {wanted} ({why})", "A2",
        (register_target(snapshot, **after),),
        rollback=(register_target(snapshot, **before),),
        diff=config_diff(f"scalableTarget {resource_id(snapshot)}", before, after),
        expected_effect=(
            f"target tracking scales the service out past {target.max_capacity} tasks and its "
            "alarm returns to OK"
        ),
        risk=_cost_risk(snapshot, target.max_capacity, wanted),
    )  # fmt: skip


def tracking_need(snapshot: ServiceSnapshot) -> tuple[int, str]:
    """The task count the target-tracking policies ask for at the last hour's peak, and why.

    Target tracking wants ceil(desired x metric / target). A metric at 100 % hides how much
    more is needed, so it counts for nothing beyond doubling.
    """
    scaling = snapshot.capacity.autoscaling
    desired = snapshot.service.desired_count
    best, why = 0, "no tracked metric read: doubling"
    for policy in scaling.tracking if scaling else ():
        peak = _peak(snapshot, policy)
        if peak is None or policy.target_value <= 0:
            continue
        if peak >= SATURATED:
            return best, f"{policy.metric} saturated at {peak:g} %: doubling"
        need = math.ceil(desired * peak / policy.target_value)
        if need > best:
            best = need
            why = f"{policy.metric} peaks at {peak:g} % against a target of {policy.target_value:g}"
            why += f" %: {need} tasks wanted"
    return best, why


def _peak(snapshot: ServiceSnapshot, policy: TrackingPolicy) -> float | None:
    metric = snapshot.capacity.metric(TRACKED_METRICS.get(policy.metric, ""))
    return metric.maximum if metric else None


def _cost_risk(snapshot: ServiceSnapshot, old: int, new: int) -> str:
    td = snapshot.current_task_definition
    size = f" of {td.cpu} CPU units / {td.memory} MiB" if td and td.cpu and td.memory else ""
    return (
        f"up to {new - old} more tasks{size} may run and are billed; check the cluster's capacity "
        "and the account's Fargate or EC2 quotas hold them"
    )


# --- AUTOSCALING_SUSPENDED_OR_FAILING ---------------------------------------------------------


def plan_resume_scaling(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Clear every SuspendedState flag of the scalable target; rollback sets them again."""
    target = _target(snapshot)
    if target is None or not target.suspended:
        return _failing_advice(finding, snapshot)
    if not target.suspended_flags:
        return (
            f"{finding.code}: resume scaling on {resource_id(snapshot)} (register-scalable-target "
            "with DynamicScalingInSuspended, DynamicScalingOutSuspended and "
            "ScheduledScalingSuspended false): which flags are set could not be read, so a "
            "rollback could not restore them."
        )
    before = {flag: flag in target.suspended_flags for flag in SUSPENDED_FLAGS}
    after = dict.fromkeys(SUSPENDED_FLAGS, False)
    set_flags = ", ".join(target.suspended_flags)
    return make_action(
        finding.code, f"Resume scaling on {resource_id(snapshot)} (clear {set_flags})", "A2",
        (register_target(snapshot, SuspendedState=after),),
        rollback=(register_target(snapshot, SuspendedState=before),),
        diff=config_diff(f"scalableTarget {resource_id(snapshot)}.SuspendedState", before, after),
        expected_effect="the scaling policies act again: a successful scaling activity appears",
        risk=(
            f"the service scales between {target.min_capacity} and {target.max_capacity} tasks on "
            "its own again; if it was suspended for maintenance, that window must be over"
        ),
    )  # fmt: skip


def _failing_advice(finding: Finding, snapshot: ServiceSnapshot) -> str:
    """Scaling that fails without being suspended: the failure says what a person must fix."""
    quoted = next((e.detail for e in finding.evidence if e.detail), "")
    return (
        f"{finding.code}: scaling on {resource_id(snapshot)} is not suspended but fails"
        + (f" ({quoted})" if quoted else "")
        + ": fix the scaling policy, its alarm's metric dimensions (cluster and service names) "
        "or the scaling role, then watch for a successful scaling activity."
    )


# --- TASK_PROTECTION_BLOCKS_SCALE_IN ----------------------------------------------------------


def plan_unprotect_tasks(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Lift scale-in protection from as many tasks as ECS must stop, the least costly ones."""
    protected = [p for p in snapshot.capacity.task_protection if p.enabled]
    excess = len(protected) - snapshot.service.desired_count
    if not protected or excess <= 0:
        return (
            f"{finding.code}: no more tasks of {snapshot.service.name} are known to be protected "
            f"than its desiredCount {snapshot.service.desired_count} (ecs get-task-protection): "
            "read the protection of its running tasks, then call update-task-protection "
            "--no-protection-enabled on those beyond desiredCount that are safe to stop, or wait "
            "for their protection to expire."
        )
    chosen = safest_to_stop(snapshot, protected)[:excess]
    clock = _now(snapshot)
    before = {p.task_arn.rsplit("/", 1)[-1]: _protection_text(p) for p in chosen}
    after = dict.fromkeys(before, "protectionEnabled false")
    return make_action(
        finding.code,
        f"Lift scale-in protection from {len(chosen)} of {len(protected)} protected tasks",
        "A2", _protection_calls(snapshot, chosen, enabled=False),
        rollback=_reprotect(snapshot, chosen, clock),
        diff=config_diff("taskProtection", before, after),
        expected_effect=(
            f"ECS stops {len(chosen)} tasks and the service settles at desiredCount "
            f"{snapshot.service.desired_count}"
        ),
        risk=(
            f"the {len(chosen)} tasks set their own protection, so they may be busy: ECS stops "
            "them (SIGTERM, then SIGKILL after stopTimeout) and unfinished work is lost unless "
            "the app hands it back; chosen first from old revisions and unhealthy tasks, then "
            "those whose protection ends soonest. The rollback protects them again for the "
            "minutes they had left, which ECS cannot do for tasks it has already stopped"
        ),
    )  # fmt: skip


def safest_to_stop(
    snapshot: ServiceSnapshot, protected: list[TaskProtection]
) -> list[TaskProtection]:
    """Protected tasks, safest to stop first.

    Tasks of another revision are being replaced anyway, unhealthy ones serve nothing, and a
    protection about to expire would stop guarding its task soon; the rest keep their work.
    """
    tasks = {t.arn: t for t in snapshot.running_tasks}
    return sorted(protected, key=lambda p: _stop_cost(snapshot, tasks.get(p.task_arn), p))


def _stop_cost(
    snapshot: ServiceSnapshot, task: Task | None, protection: TaskProtection
) -> tuple[bool, bool, datetime]:
    current = task is None or task.task_definition_arn == snapshot.service.task_definition_arn
    healthy = task is None or task.health_status != "UNHEALTHY"
    return current, healthy, protection.expires_at or datetime.max.replace(tzinfo=UTC)


def _now(snapshot: ServiceSnapshot) -> datetime | None:
    """The latest of the service's own clock and the time of collection.

    Against AWS the collection time is now and the service's newest event may be hours old;
    the lab's simulated clock may run ahead of this machine's, and its events show it.
    """
    times = [t for t in (service_clock(snapshot), snapshot.collected_at) if t is not None]
    return max(times, default=None)


def _protection_text(protection: TaskProtection) -> str:
    expires = protection.expires_at.isoformat() if protection.expires_at else "unknown"
    return f"protectionEnabled true, expires {expires}"


def _protection_calls(
    snapshot: ServiceSnapshot,
    chosen: list[TaskProtection],
    *,
    enabled: bool,
    minutes: int | None = None,
) -> tuple[ApiCall, ...]:
    """UpdateTaskProtection on the chosen tasks, ten at a time."""
    extra = {} if minutes is None else {"expiresInMinutes": minutes}
    arns = [p.task_arn for p in chosen]
    base = {"cluster": snapshot.cluster_arn, "protectionEnabled": enabled, **extra}
    return tuple(
        ApiCall("ecs", "UpdateTaskProtection", {**base, "tasks": arns[i : i + PROTECT_BATCH]})
        for i in range(0, len(arns), PROTECT_BATCH)
    )


def _reprotect(
    snapshot: ServiceSnapshot, chosen: list[TaskProtection], clock: datetime | None
) -> tuple[ApiCall, ...]:
    """Protect the tasks again for the minutes each had left (the AWS default when unknown)."""
    by_minutes: dict[int | None, list[TaskProtection]] = {}
    for protection in chosen:
        by_minutes.setdefault(_minutes_left(protection, clock), []).append(protection)
    return tuple(
        call
        for minutes, group in by_minutes.items()
        for call in _protection_calls(snapshot, group, enabled=True, minutes=minutes)
    )


def _minutes_left(protection: TaskProtection, clock: datetime | None) -> int | None:
    if protection.expires_at is None or clock is None:
        return None
    left = math.ceil((protection.expires_at - clock).total_seconds() / 60)
    return min(MAX_PROTECTION_MIN, max(1, left))

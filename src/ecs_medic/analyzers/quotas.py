"""Quotas, throttling and scaling (catalogue section 8)."""

from __future__ import annotations

from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_capacity import ScalingActivity
from ecs_medic.findings import Evidence, Finding, Severity

from .signals import Signal, find_signal, plural, short_of_capacity, signal_finding

THROTTLED = ("operations are being throttled", "ecs_operation_throttled", "rate exceeded")
FARGATE_QUOTA = (
    "reached the limit on the number of vcpus",
    "reached the limit on the number of tasks you can run concurrently",
    "cpu configuration is above your limit",
    "memory configuration is above your limit",
)
PROVISIONING = ("tasks provisioning capacity limit was exceeded",)
AT_MAX = "AlreadyAtMaxCapacity"
HARMLESS_NOT_SCALED = ("AlreadyAtMaxCapacity", "AlreadyAtMinCapacity", "AlreadyAtDesiredCapacity")
SCALING = "application-autoscaling:DescribeScalingActivities"
TARGETS = "application-autoscaling:DescribeScalableTargets"


def throttling(snapshot: ServiceSnapshot) -> list[Finding]:
    """THROTTLING: ECS reports its own API calls for the service are throttled."""
    signal = find_signal(snapshot, THROTTLED)
    throttled_reads = [g for g in snapshot.gaps if "throttl" in g.reason.lower()]
    if not signal and not throttled_reads:
        return []
    facts = [
        Evidence(g.source, g.resource or g.source, f"{g.reason}: {g.detail}")
        for g in throttled_reads
    ]
    return [
        signal_finding(
            snapshot,
            "THROTTLING",
            signal,
            summary=(
                "ECS reports the service's operations are throttled"
                if signal
                else f"{plural(len(throttled_reads), 'read')} of this diagnosis were throttled"
            ),
            facts=facts,
            remediation=(
                "Retry with exponential backoff and jitter, stagger deployments and scaling, and "
                "ask AWS Support for a rate increase for the throttled API (CloudTrail "
                "ThrottlingException events show which)."
            ),
            severity=Severity.MEDIUM if signal else Severity.LOW,
            confidence=0.85 if signal else 0.5,
        )
    ]


def account_quota_fargate(snapshot: ServiceSnapshot) -> list[Finding]:
    """ACCOUNT_QUOTA_FARGATE: the account's Fargate vCPU, task or size limit was reached."""
    signal = find_signal(snapshot, FARGATE_QUOTA)
    if not signal:
        return []
    return [
        signal_finding(
            snapshot,
            "ACCOUNT_QUOTA_FARGATE",
            signal,
            summary=(
                f"Fargate refused to place tasks: the account limit was reached ({_quoted(signal)})"
            ),
            remediation=(
                "Request a Fargate quota increase (service-quotas, fargate L-3032A538 On-Demand "
                "vCPU or L-36FBB829 Spot vCPU), or reduce the footprint of this and other services."
            ),
            confidence=0.95,
        )
    ]


def _quoted(signal: Signal) -> str:
    """The part of the first message after 'Reason:', else the message."""
    text = signal.texts()[0]
    return text.split("Reason:", 1)[-1].strip()


def provisioning_limit(snapshot: ServiceSnapshot) -> list[Finding]:
    """PROVISIONING_LIMIT: the cluster already has the maximum of tasks in PROVISIONING."""
    signal = find_signal(snapshot, PROVISIONING)
    if not signal:
        return []
    cluster = snapshot.capacity.cluster
    pending = cluster.pending_tasks if cluster else None
    return [
        signal_finding(
            snapshot,
            "PROVISIONING_LIMIT",
            signal,
            summary=(
                f"Cluster {snapshot.cluster_name} hit the limit of tasks in PROVISIONING"
                + (f" ({pending} pending)" if pending is not None else "")
            ),
            remediation=(
                "Wait for the backlog to drain, scale out more gradually, and pre-provision "
                "capacity before large scale-outs."
            ),
            confidence=0.9,
        )
    ]


def autoscaling_maxed(snapshot: ServiceSnapshot) -> list[Finding]:
    """AUTOSCALING_MAXED: the service sits at MaxCapacity while its alarms stay in ALARM."""
    scaling = snapshot.capacity.autoscaling
    if scaling is None or scaling.target is None:
        return []
    at_max = [a for a in scaling.activities if AT_MAX in a.not_scaled_reasons]
    # An AlreadyAtMaxCapacity activity from before MaxCapacity was raised says nothing now.
    pinned = snapshot.service.desired_count >= scaling.target.max_capacity
    if not (pinned and (at_max or scaling.alarms_in_alarm)):
        return []
    facts = [
        Evidence(
            TARGETS,
            snapshot.service.arn,
            f"MinCapacity {scaling.target.min_capacity}, MaxCapacity "
            f"{scaling.target.max_capacity}; "
            f"desiredCount {snapshot.service.desired_count}",
        ),
        *(_activity(snapshot, a) for a in at_max[:3]),
        *(Evidence("cloudwatch:DescribeAlarms", n, "state ALARM") for n in scaling.alarms_in_alarm),
    ]
    return [
        signal_finding(
            snapshot,
            "AUTOSCALING_MAXED",
            Signal(),
            summary=(
                f"Autoscaling is pinned at MaxCapacity {scaling.target.max_capacity}"
                + (
                    f" with {', '.join(scaling.alarms_in_alarm)} in ALARM"
                    if scaling.alarms_in_alarm
                    else ""
                )
            ),
            facts=facts,
            remediation=(
                f"Raise MaxCapacity above {scaling.target.max_capacity} (register-scalable-target) "
                "after checking cluster capacity and quotas, or make each task handle more load."
            ),
            severity=Severity.MEDIUM
            if scaling.alarms_in_alarm or short_of_capacity(snapshot)
            else Severity.LOW,
            confidence=0.85,
        )
    ]


def _activity(snapshot: ServiceSnapshot, activity: ScalingActivity) -> Evidence:
    """Quote one scaling activity."""
    reasons = ", ".join(activity.not_scaled_reasons)
    detail = f"{activity.status_code}: {activity.status_message or activity.description}"
    return Evidence(
        SCALING,
        snapshot.service.arn,
        detail + (f" (NotScaledReasons {reasons})" if reasons else ""),
    )


def _harmless(activity: ScalingActivity) -> bool:
    """A not-scaled activity (StatusCode Failed) whose reasons are all limits, not faults.

    AWS reports "already at max/min/desired" as a Failed activity with NotScaledReasons; that
    is AUTOSCALING_MAXED's evidence (or nothing), not scaling that fails.
    """
    reasons = activity.not_scaled_reasons
    return bool(reasons) and all(r in HARMLESS_NOT_SCALED for r in reasons)


def autoscaling_suspended_or_failing(snapshot: ServiceSnapshot) -> list[Finding]:
    """AUTOSCALING_SUSPENDED_OR_FAILING: scaling is configured but suspended or failing."""
    scaling = snapshot.capacity.autoscaling
    if scaling is None or scaling.target is None:
        return []
    failed = [
        a for a in scaling.activities if a.status_code.lower() == "failed" and not _harmless(a)
    ]
    blocked = [
        a
        for a in scaling.activities
        if any(r not in HARMLESS_NOT_SCALED for r in a.not_scaled_reasons)
    ]
    suspended = scaling.target.suspended
    if not (failed or blocked or suspended):
        return []
    facts = [Evidence(TARGETS, snapshot.service.arn, "SuspendedState set")] if suspended else []
    facts += [_activity(snapshot, a) for a in [*failed, *blocked][:4]]
    pressing = bool(scaling.alarms_in_alarm) or short_of_capacity(snapshot) or bool(failed)
    return [
        signal_finding(
            snapshot,
            "AUTOSCALING_SUSPENDED_OR_FAILING",
            Signal(),
            summary=(
                "Service autoscaling is "
                + (
                    "suspended"
                    if suspended
                    else f"failing ({len(failed) + len(blocked)} activities)"
                )
            ),
            facts=facts,
            remediation=(
                "Clear SuspendedState on the scalable target (register-scalable-target with "
                "DynamicScalingInSuspended/OutSuspended/ScheduledScalingSuspended false), then fix "
                "the policy, its alarm's metric dimensions (cluster and service names) or the role."
            ),
            severity=Severity.MEDIUM if pressing else Severity.LOW,
            confidence=0.85,
        )
    ]

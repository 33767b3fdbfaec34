"""Load-balancer health-check failures (catalogue section 4)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ecs_medic.aws.snapshot import ServiceEvent, ServiceSnapshot, TargetGroup, TargetHealth, Task
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .signals import (
    DESCRIBE_TASKS,
    contains_any,
    event_evidence,
    impact_severity,
    plural,
    recent_events,
    worst,
)
from .targets import NOT_IN_USE, NOT_IN_USE_WORDS

MAX_EVIDENCE = 5
CODE_MISMATCH = ("ResponseCodeMismatch",)
CODES_FAILED = ("health checks failed with these codes",)
UNHEALTHY_EVENT = ("is unhealthy in (target-group",)
ELB_STOP = ("failed ELB health checks",)
# Timeouts and refused connections point at SG_BLOCKS_ALB or PORT_MISMATCH_TG instead, and
# targets the load balancer does not use at TG_MISSING_OR_UNATTACHED or LB_AZ_NOT_ENABLED.
NOT_A_CODE_PROBLEM = (
    "Target.Timeout",
    "Target.FailedHealthChecks",
    "Request timed out",
    *NOT_IN_USE,
    *NOT_IN_USE_WORDS,
)
CODES = re.compile(r"codes: \[([^\]]*)\]")
TG_ARN = re.compile(r"arn:aws[\w-]*:elasticloadbalancing:[^\s)]+")


@dataclass(frozen=True, slots=True)
class _Signals:
    """What the targets, the events and the stopped tasks say about the health checks."""

    targets: tuple[TargetHealth, ...]
    events: tuple[ServiceEvent, ...]
    stops: tuple[Task, ...]
    other_failures: bool

    @property
    def mismatch(self) -> bool:
        """Tell whether a health check got a wrong status code."""
        return bool(self.targets or self.events)


def tg_healthcheck_failing(snapshot: ServiceSnapshot) -> list[Finding]:
    """TG_HEALTHCHECK_FAILING: the target group's health check gets an unexpected status."""
    signals = _read_signals(snapshot)
    if not signals.mismatch and (signals.other_failures or not signals.stops):
        return []
    groups = _target_groups(snapshot, signals)
    evidence = [
        *(_target_evidence(t) for t in signals.targets[:MAX_EVIDENCE]),
        *(event_evidence(e, snapshot) for e in signals.events[:3]),
        *(Evidence(DESCRIBE_TASKS, t.arn, t.stopped_reason or "") for t in signals.stops[:3]),
        *(_config_evidence(snapshot, g) for g in groups),
    ]
    return [
        make_finding(
            "TG_HEALTHCHECK_FAILING",
            summary=_summary(snapshot, signals, groups),
            evidence=evidence,
            remediation=_remediation(groups),
            severity=_severity(snapshot),
            confidence=_confidence(signals),
            affected_tasks=len(signals.stops),
        )
    ]


def _read_signals(snapshot: ServiceSnapshot) -> _Signals:
    """Collect the code-mismatch targets, events and ELB-health stops."""
    unhealthy = [t for t in snapshot.target_health if t.state == "unhealthy"]
    events = recent_events(snapshot)
    return _Signals(
        targets=tuple(t for t in unhealthy if contains_any(t.reason, CODE_MISMATCH)),
        events=tuple(
            e
            for e in events
            if contains_any(e.message, UNHEALTHY_EVENT) and contains_any(e.message, CODES_FAILED)
        ),
        stops=tuple(t for t in snapshot.stopped_tasks if contains_any(t.stopped_reason, ELB_STOP)),
        other_failures=any(
            contains_any(t.reason, NOT_A_CODE_PROBLEM) for t in snapshot.target_health
        )
        or any(contains_any(e.message, NOT_A_CODE_PROBLEM) for e in events),
    )


def _target_groups(snapshot: ServiceSnapshot, signals: _Signals) -> list[TargetGroup]:
    """Return the target groups the signals name, else those attached to the service."""
    texts = [e.message for e in signals.events] + [t.stopped_reason or "" for t in signals.stops]
    named = {t.target_group_arn for t in signals.targets}
    named |= {arn for text in texts for arn in TG_ARN.findall(text)}
    attached = {lb.target_group_arn for lb in snapshot.service.load_balancers}
    wanted = named or attached
    return [g for g in snapshot.target_groups if g.arn in wanted]


def _codes(signals: _Signals) -> list[str]:
    """Return the status codes the health checks got, as AWS quoted them."""
    texts = [t.description or "" for t in signals.targets] + [e.message for e in signals.events]
    found = {code.strip() for text in texts for m in CODES.findall(text) for code in m.split(",")}
    return sorted(c for c in found if c)


def _summary(snapshot: ServiceSnapshot, signals: _Signals, groups: list[TargetGroup]) -> str:
    """Say what is checked, what it got, and how many targets and tasks suffer."""
    group = groups[0] if groups else None
    where = f"{group.health_check_path or '/'} (target group {group.name})" if group else "the app"
    codes = _codes(signals)
    got = f"returned [{', '.join(codes)}]" if codes else "failed"
    expects = f" while the matcher expects {group.matcher}" if group and group.matcher else ""
    parts = [f"Health checks on {where} {got}{expects}"]
    if signals.targets:
        arns = {t.target_group_arn for t in signals.targets}
        total = sum(1 for t in snapshot.target_health if t.target_group_arn in arns)
        parts.append(f"{len(signals.targets)} of {plural(total, 'target')} unhealthy")
    if signals.stops:
        parts.append(f"{plural(len(signals.stops), 'task')} stopped for failing ELB health checks")
    return "; ".join(parts)


def _target_evidence(target: TargetHealth) -> Evidence:
    """Quote describe_target_health for one target."""
    port = f":{target.port}" if target.port is not None else ""
    detail = f"target {target.target_id}{port} {target.state} {target.reason}: {target.description}"
    return Evidence("elbv2:DescribeTargetHealth", target.target_group_arn, detail)


def _config_evidence(snapshot: ServiceSnapshot, group: TargetGroup) -> Evidence:
    """Show what the target group checks: path, port, matcher and timing."""
    containers = [
        f"{lb.container_name}:{lb.container_port}"
        for lb in snapshot.service.load_balancers
        if lb.target_group_arn == group.arn
    ]
    detail = (
        f"HealthCheckPath {group.health_check_path}, HealthCheckPort {group.health_check_port}, "
        f"Matcher {group.matcher}, protocol {group.health_check_protocol}, "
        f"interval {group.interval_s}s, unhealthy threshold {group.unhealthy_threshold}"
    )
    if containers:
        detail += f"; traffic goes to container {', '.join(containers)}"
    return Evidence("elbv2:DescribeTargetGroups", group.arn, detail)


def _remediation(groups: list[TargetGroup]) -> str:
    """Say what to change: the check, or the app behind it."""
    if not groups:
        return "Point the health check at an endpoint the app serves, or fix the app's response."
    g = groups[0]
    return (
        f"Point the health check of {g.name} (now {g.health_check_path}, matcher {g.matcher}) "
        "at a lightweight endpoint the app serves with a matching matcher, "
        "or fix the app so that path answers with the expected status."
    )


def _severity(snapshot: ServiceSnapshot) -> Severity:
    """Rate the impact: at least high when no target is healthy."""
    none_healthy = bool(snapshot.target_health) and not any(
        t.state == "healthy" for t in snapshot.target_health
    )
    return worst(impact_severity(snapshot), Severity.HIGH if none_healthy else Severity.MEDIUM)


def _confidence(signals: _Signals) -> float:
    """Rate the finding by how many sources agree on a status-code mismatch."""
    if signals.targets and signals.events:
        return 0.95
    return 0.9 if signals.mismatch else 0.6

"""Load-balancer reachability and wiring (catalogue section 4), apart from wrong status codes.

Targets that time out or refuse connections look alike; the network view and the task
definition tell SG_BLOCKS_ALB, PORT_MISMATCH_TG and HEALTH_CHECK_GRACE_TOO_SHORT apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from ecs_medic.aws.snapshot import (
    ServiceLoadBalancer,
    ServiceSnapshot,
    TargetGroup,
    TargetHealth,
    Task,
)
from ecs_medic.aws.snapshot_network import LoadBalancer, SecurityGroup
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .paths import ingress_admits
from .signals import (
    DESCRIBE_SERVICES,
    DESCRIBE_TASK_DEFINITION,
    DESCRIBE_TASKS,
    Signal,
    contains_any,
    find_signal,
    impact_severity,
    plural,
    recent_events,
    task_security_groups,
)

UNREACHABLE_REASONS = ("Target.Timeout", "Target.FailedHealthChecks")
# Target.NotInUse (S20): the target group has no load balancer, or the target's AZ is not
# enabled on it. ECS events quote ELB's description of the reason, not the code.
NOT_IN_USE = ("Target.NotInUse",)
NOT_ATTACHED_WORDS = (
    "not configured to receive traffic from the load balancer",
    "not used by any load balancer",
)
ZONE_NOT_ENABLED_WORDS = ("availability zone that is not enabled",)
NOT_IN_USE_WORDS = (*NOT_ATTACHED_WORDS, *ZONE_NOT_ENABLED_WORDS)
UNHEALTHY_EVENT = ("is unhealthy in (target-group",)
CODE_MISMATCH = ("ResponseCodeMismatch", "health checks failed with these codes")
ELB_STOP = ("failed elb health checks",)
STARTUP_WORDS = (
    "starting",
    "initializing",
    "initialising",
    "loading",
    "warming",
    "booting",
    "migrat",
)
DEFAULT_INTERVAL = 30
DEFAULT_THRESHOLD = 2
SLACK_S = 60
TARGET_HEALTH = "elbv2:DescribeTargetHealth"
TARGET_GROUPS = "elbv2:DescribeTargetGroups"


@dataclass(frozen=True, slots=True)
class _Unreachable:
    """Targets and tasks that failed health checks without a wrong status code."""

    targets: tuple[TargetHealth, ...]
    signal: Signal
    code_mismatch: bool

    def __bool__(self) -> bool:
        """Tell whether anything failed."""
        return bool(self.targets or self.signal)

    def evidence(self, snapshot: ServiceSnapshot) -> list[Evidence]:
        """The unhealthy targets, then the events and the stopped tasks."""
        return [*(target_evidence(t) for t in self.targets[:5]), *self.signal.evidence(snapshot)]


def target_evidence(target: TargetHealth) -> Evidence:
    """Quote describe_target_health for one target."""
    port = f":{target.port}" if target.port is not None else ""
    detail = f"target {target.target_id}{port} {target.state} {target.reason}: {target.description}"
    return Evidence(TARGET_HEALTH, target.target_group_arn, detail)


def _unreachable(snapshot: ServiceSnapshot) -> _Unreachable:
    """Read the targets that time out or fail checks, the matching events and ELB stops.

    Targets the load balancer does not use (Target.NotInUse) are a wiring fault, not a
    reachability one: they and the tasks stopped for them are left to lb_wiring.
    """
    targets = tuple(
        t
        for t in snapshot.target_health
        if t.state == "unhealthy" and contains_any(t.reason, UNREACHABLE_REASONS)
    )
    events = find_signal(snapshot, UNHEALTHY_EVENT, (*CODE_MISMATCH, *NOT_IN_USE_WORDS)).events
    unused = not_in_use_tasks(snapshot)
    stops = tuple(h for h in find_signal(snapshot, ELB_STOP).tasks if h.task.id not in unused)
    mismatch = any(contains_any(t.reason, CODE_MISMATCH) for t in snapshot.target_health) or any(
        contains_any(e.message, CODE_MISMATCH) for e in recent_events(snapshot)
    )
    return _Unreachable(targets, Signal(tasks=stops, events=events), mismatch)


def not_in_use_tasks(snapshot: ServiceSnapshot) -> set[str]:
    """Ids of tasks whose target the load balancer does not use: named so by an event or ELB."""
    events = find_signal(snapshot, NOT_IN_USE_WORDS).events
    unused_ips = {t.target_id for t in snapshot.target_health if contains_any(t.reason, NOT_IN_USE)}
    tasks = (*snapshot.stopped_tasks, *snapshot.running_tasks)
    return {
        t.id
        for t in tasks
        if any(f"(task {t.id})" in e.message for e in events)
        or (t.private_ip is not None and t.private_ip in unused_ips)
    }


def target_reachability(snapshot: ServiceSnapshot) -> list[Finding]:
    """SG_BLOCKS_ALB, PORT_MISMATCH_TG or HEALTH_CHECK_GRACE_TOO_SHORT behind failing targets."""
    failing = _unreachable(snapshot)
    if not failing or (failing.code_mismatch and not failing.targets):
        return []
    findings = [
        f for lb in snapshot.service.load_balancers for f in _port_findings(snapshot, lb, failing)
    ]
    findings += [
        f for lb in snapshot.service.load_balancers for f in _sg_findings(snapshot, lb, failing)
    ]
    if not findings and not failing.code_mismatch:
        findings = _grace_findings(snapshot, failing) or _fallback(snapshot, failing)
    return findings


def _fallback(snapshot: ServiceSnapshot, failing: _Unreachable) -> list[Finding]:
    """Unreachable targets with no visible defect: SGs not collected, or the app not listening."""
    lb = snapshot.service.load_balancers[0] if snapshot.service.load_balancers else None
    if lb is None:
        return []
    sg_known = bool(_collected(snapshot, task_security_groups(snapshot)))
    code = "PORT_MISMATCH_TG" if sg_known else "SG_BLOCKS_ALB"
    summary = (
        "Targets time out although the security groups admit the load balancer on "
        f"{lb.container_port}; "
        f"the app may not listen on 0.0.0.0:{lb.container_port}"
        if sg_known
        else "Targets time out and the task or load balancer security groups were not collected"
    )
    return [
        make_finding(
            code,
            summary=summary,
            evidence=failing.evidence(snapshot),
            remediation=(
                f"Make {lb.container_name} listen on 0.0.0.0:{lb.container_port} (not "
                "127.0.0.1) and "
                "check that the health-check port is traffic-port."
                if sg_known
                else f"Check that the task security group admits TCP {lb.container_port} from the "
                "load balancer's security group."
            ),
            severity=_lb_severity(snapshot),
            confidence=0.5,
            affected_tasks=len(failing.signal.tasks),
        )
    ]


def _traffic_port(snapshot: ServiceSnapshot, lb: ServiceLoadBalancer) -> int:
    """The port the load balancer reaches: a static host port on bridge, else the container port."""
    definition = snapshot.current_task_definition
    spec = definition.container(lb.container_name) if definition else None
    mapping = (
        next((m for m in spec.port_mappings if m.container_port == lb.container_port), None)
        if spec
        else None
    )
    if (
        definition
        and definition.network_mode in ("bridge", "host")
        and mapping
        and mapping.host_port
    ):
        return mapping.host_port
    return lb.container_port


def _port_findings(
    snapshot: ServiceSnapshot, lb: ServiceLoadBalancer, failing: _Unreachable
) -> list[Finding]:
    """PORT_MISMATCH_TG: the container does not expose the port, or the check probes another."""
    group = group_of(snapshot, lb)
    definition = snapshot.current_task_definition
    spec = definition.container(lb.container_name) if definition else None
    facts: list[Evidence] = []
    if (
        definition
        and spec is not None
        and lb.container_port not in {m.container_port for m in spec.port_mappings}
    ):
        ports = ", ".join(str(m.container_port) for m in spec.port_mappings) or "none"
        facts.append(
            Evidence(
                DESCRIBE_TASK_DEFINITION,
                definition.arn,
                f"container {spec.name} maps ports {ports}, not {lb.container_port}",
            )
        )
    traffic = _traffic_port(snapshot, lb)
    hc_port = group.health_check_port if group else None
    if group and hc_port and hc_port.isdigit() and int(hc_port) != traffic:
        facts.append(
            Evidence(
                TARGET_GROUPS,
                group.arn,
                f"HealthCheckPort {hc_port}, but the container serves "
                f"{lb.container_name}:{traffic}",
            )
        )
    if not facts:
        return []
    service_fact = Evidence(
        DESCRIBE_SERVICES,
        snapshot.service.arn,
        f"loadBalancers: container {lb.container_name} port {lb.container_port} -> "
        f"{lb.target_group_arn}",
    )
    return [
        make_finding(
            "PORT_MISMATCH_TG",
            summary=f"Health checks probe a port the container does not serve: {facts[0].detail}",
            evidence=[*failing.evidence(snapshot), service_fact, *facts],
            remediation=(
                "Make the ports agree: set the health-check port of "
                f"{group.name if group else 'the target group'} "
                f"to traffic-port (or {traffic}), and keep the service's containerPort "
                f"{lb.container_port} "
                f"equal to a portMapping of {lb.container_name}; make the app listen on 0.0.0.0."
            ),
            severity=_lb_severity(snapshot),
            confidence=0.9,
            affected_tasks=len(failing.signal.tasks),
        )
    ]


def group_of(snapshot: ServiceSnapshot, lb: ServiceLoadBalancer) -> TargetGroup | None:
    """The collected target group of a service load-balancer entry."""
    return next((g for g in snapshot.target_groups if g.arn == lb.target_group_arn), None)


def _balancers(snapshot: ServiceSnapshot, group: TargetGroup | None) -> list[LoadBalancer]:
    """The load balancers in front of the target group."""
    arns = set(group.load_balancer_arns) if group else set()
    return [b for b in snapshot.network.load_balancers if b.arn in arns]


def _sg_findings(
    snapshot: ServiceSnapshot, lb: ServiceLoadBalancer, failing: _Unreachable
) -> list[Finding]:
    """SG_BLOCKS_ALB: no task security group admits the load balancer on the traffic port."""
    definition = snapshot.current_task_definition
    if definition is not None and definition.network_mode not in (None, "awsvpc"):
        return []  # bridge/host: the instance SG decides, and it is not in the snapshot
    task_groups = _collected(snapshot, task_security_groups(snapshot))
    balancers = _balancers(snapshot, group_of(snapshot, lb))
    if not task_groups or not balancers:
        return []
    port = lb.container_port
    sources = [g for b in balancers for g in b.security_groups]
    cidrs = [
        s.cidr
        for b in balancers
        for i in b.subnet_ids
        if (s := snapshot.network.subnet(i)) and s.cidr
    ]
    if ingress_admits(task_groups, port, sources, cidrs):
        return []
    ids = ", ".join(g.id for g in task_groups)
    source = ", ".join(sources) or ", ".join(cidrs) or "the load balancer subnets"
    rules = "; ".join(_ingress_text(g) for g in task_groups)
    return [
        make_finding(
            "SG_BLOCKS_ALB",
            summary=(
                f"Task security group {ids} does not admit TCP {port} from load balancer "
                f"{balancers[0].name} ({source}); {len(failing.targets)} targets time out"
            ),
            evidence=[
                *failing.evidence(snapshot),
                Evidence("ec2:DescribeSecurityGroups", ids, f"ingress: {rules}"),
                Evidence(
                    "elbv2:DescribeLoadBalancers",
                    balancers[0].arn,
                    f"security groups {', '.join(sources) or 'none'}",
                ),
            ],
            remediation=(
                f"Authorize ingress on {task_groups[0].id}: TCP {port} from security group "
                f"{sources[0] if sources else source} (never 0.0.0.0/0)."
            ),
            severity=_lb_severity(snapshot),
            confidence=0.95 if failing.targets else 0.85,
            affected_tasks=len(failing.signal.tasks),
        )
    ]


def _collected(snapshot: ServiceSnapshot, ids: tuple[str, ...]) -> list[SecurityGroup]:
    """The security groups with these ids; empty unless every one was collected."""
    found = [snapshot.network.security_group(i) for i in ids]
    return [g for g in found if g] if ids and all(found) else []


def _ingress_text(group: SecurityGroup) -> str:
    """'sg-1: tcp 443 from sg-9, 10.0.0.0/16' for evidence."""
    rules = [
        f"{r.protocol} {r.from_port}-{r.to_port} from "
        f"{', '.join((*r.source_group_ids, *r.cidrs, *r.prefix_list_ids)) or '?'}"
        for r in group.ingress
    ]
    return f"{group.id}: {', '.join(rules) or 'no ingress rules'}"


def _grace_findings(snapshot: ServiceSnapshot, failing: _Unreachable) -> list[Finding]:
    """HEALTH_CHECK_GRACE_TOO_SHORT: ELB killed the tasks before they could finish booting."""
    grace = snapshot.service.health_check_grace_period_s or 0
    groups = [g for lb in snapshot.service.load_balancers if (g := group_of(snapshot, lb))]
    window = max(
        (
            (g.interval_s or DEFAULT_INTERVAL) * (g.unhealthy_threshold or DEFAULT_THRESHOLD)
            for g in groups
        ),
        default=DEFAULT_INTERVAL * DEFAULT_THRESHOLD,
    )
    early = [
        h.task
        for h in failing.signal.tasks
        if (life := _lifetime(h.task)) is not None and life <= grace + window + SLACK_S
    ]
    if not early or grace >= window + SLACK_S:
        return []
    booting = _booting_lines(snapshot, early)
    lives = sorted(int(life) for t in early if (life := _lifetime(t)) is not None)
    return [
        make_finding(
            "HEALTH_CHECK_GRACE_TOO_SHORT",
            summary=(
                f"{plural(len(early), 'task')} failed ELB health checks {lives[0]}-{lives[-1]} "
                "s after "
                f"starting, with healthCheckGracePeriodSeconds {grace} and a {window} s "
                "unhealthy window"
            ),
            evidence=[
                *failing.evidence(snapshot),
                Evidence(
                    DESCRIBE_SERVICES,
                    snapshot.service.arn,
                    f"healthCheckGracePeriodSeconds {grace}",
                ),
                *(
                    Evidence(
                        DESCRIBE_TASKS,
                        t.arn,
                        f"startedAt {t.started_at:%H:%M:%S}, stopped {int(_lifetime(t) or 0)} s "
                        "later",
                    )
                    for t in early[:3]
                    if t.started_at
                ),
                *booting,
            ],
            remediation=(
                f"Raise healthCheckGracePeriodSeconds from {grace} to above the app's p99 startup "
                f"time (at least {max(60, 2 * (lives[-1] if lives else 60))} s), or enable slow "
                "start on the target group."
            ),
            severity=_lb_severity(snapshot),
            confidence=0.85 if booting else 0.7,
            affected_tasks=len(early),
        )
    ]


def _lifetime(task: Task) -> float | None:
    """Seconds from startedAt to stoppingAt (or stoppedAt)."""
    end: datetime | None = task.stopping_at or task.stopped_at
    if task.started_at is None or end is None:
        return None
    return (end - task.started_at).total_seconds()


def _booting_lines(snapshot: ServiceSnapshot, tasks: list[Task]) -> list[Evidence]:
    """The last log line of a killed task, when it shows startup still going on."""
    for task in tasks:
        events = snapshot.logs_for_task(task.id)
        if events and contains_any(events[-1].message, STARTUP_WORDS):
            last = events[-1]
            return [
                Evidence(
                    "logs:FilterLogEvents", f"{last.log_group}:{last.log_stream}", last.message
                )
            ]
    return []


def _lb_severity(snapshot: ServiceSnapshot) -> Severity:
    """At least high when no target is healthy, else by the running count."""
    none_healthy = bool(snapshot.target_health) and not any(
        t.state == "healthy" for t in snapshot.target_health
    )
    severity = impact_severity(snapshot)
    return Severity.HIGH if none_healthy and severity.rank > Severity.HIGH.rank else severity

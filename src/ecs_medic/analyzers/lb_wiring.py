"""Load-balancer wiring (catalogue section 4): target type, lost groups, AZs, container checks."""

from __future__ import annotations

from ecs_medic.aws.snapshot import ServiceSnapshot, TargetGroup
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .signals import (
    DESCRIBE_TASK_DEFINITION,
    DESCRIBE_TASKS,
    config_severity,
    contains_any,
    find_signal,
    impact_severity,
    plural,
)
from .targets import (
    ELB_STOP,
    NOT_ATTACHED_WORDS,
    NOT_IN_USE,
    TARGET_GROUPS,
    group_of,
    not_in_use_tasks,
    target_evidence,
)

TARGET_TYPE = (
    "has target type instance, which is incompatible",
    "has target type ip, which is incompatible",
)
UNATTACHED = (
    "does not have an associated load balancer",
    "target group is not found",
    "targetgroupnotfound",
    *NOT_ATTACHED_WORDS,
)
CONTAINER_HC = ("failed container health checks",)


def tg_target_type_mismatch(snapshot: ServiceSnapshot) -> list[Finding]:
    """TG_TARGET_TYPE_MISMATCH: an instance target group with awsvpc (or ip with bridge/host)."""
    signal = find_signal(snapshot, TARGET_TYPE)
    definition = snapshot.current_task_definition
    mode = (definition.network_mode if definition else None) or "awsvpc"
    wrong = [
        g
        for lb in snapshot.service.load_balancers
        if (g := group_of(snapshot, lb)) and _type_clash(g, mode)
    ]
    if not signal and not wrong:
        return []
    refused = [t.split("target group ", 1)[-1].split(" ", 1)[0] for t in signal.texts()]
    names = ", ".join(f"{g.name} ({g.target_type})" for g in wrong) or (
        refused[0].rsplit("/", 2)[-2] if refused and "/" in refused[0] else "the target group"
    )
    return [
        make_finding(
            "TG_TARGET_TYPE_MISMATCH",
            summary=f"Target group {names} cannot take tasks in {mode} network mode",
            evidence=[
                *signal.evidence(snapshot),
                *(
                    Evidence(
                        TARGET_GROUPS, g.arn, f"TargetType {g.target_type}; task networkMode {mode}"
                    )
                    for g in wrong
                ),
            ],
            remediation=(
                f"Create a target group with TargetType {'ip' if mode == 'awsvpc' else 'instance'} "
                "on the same port and health check, add it to the listener, and update the "
                "service's "
                "loadBalancers to it."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.95,
        )
    ]


def _type_clash(group: TargetGroup, mode: str) -> bool:
    """Tell whether the target type cannot register tasks of this network mode."""
    if mode == "awsvpc":
        return group.target_type == "instance"
    return group.target_type == "ip"


def tg_missing_or_unattached(snapshot: ServiceSnapshot) -> list[Finding]:
    """TG_MISSING_OR_UNATTACHED: the service's target group is gone or behind no listener.

    An empty LoadBalancerArns with no listener forwarding to the group is the catalogue's
    Detect line; it counts while no target of the group is healthy (a healthy target proves
    some load balancer checks it, whatever the collected fields say).
    """
    signal = find_signal(snapshot, UNATTACHED)
    not_in_use = [t for t in snapshot.target_health if contains_any(t.reason, NOT_IN_USE)]
    missing = _missing_groups(snapshot)
    unattached = [g for g in _unattached_groups(snapshot) if not _any_healthy(snapshot, g)]
    if not (signal or missing or unattached):
        return []
    stopped = not_in_use_tasks(snapshot) | {
        h.task.id for h in find_signal(snapshot, ELB_STOP).tasks
    }
    facts = [Evidence(TARGET_GROUPS, arn, "TargetGroupNotFound") for arn in missing]
    facts += [
        Evidence(TARGET_GROUPS, g.arn, f"{g.name}: LoadBalancerArns [], no listener forwards to it")
        for g in unattached
    ]
    return [
        make_finding(
            "TG_MISSING_OR_UNATTACHED",
            summary=(
                "The service's target group "
                + ("does not exist" if missing else "is not attached to any load balancer")
                + (f"; {plural(len(not_in_use), 'target')} NotInUse" if not_in_use else "")
                + (f"; {plural(len(stopped), 'task')} stopped by ELB health" if stopped else "")
            ),
            evidence=[
                *signal.evidence(snapshot),
                *(target_evidence(t) for t in not_in_use[:5]),
                *facts,
            ],
            remediation=(
                "Add a listener or rule forwarding to "
                + ", ".join(g.name for g in unattached)
                + "."
                if unattached and not missing
                else "The target group was deleted: recreate it and the service (AWS advises "
                "deleting "
                "and recreating the service), and never delete a target group before its service."
            ),
            severity=Severity.HIGH
            if not_in_use or signal
            else config_severity(snapshot, bool(stopped)),
            confidence=0.9 if (signal or not_in_use or missing) else 0.8,
            affected_tasks=len(stopped) or len(not_in_use),
        )
    ]


def _unattached_groups(snapshot: ServiceSnapshot) -> list[TargetGroup]:
    """The service's target groups that no load balancer uses and no listener forwards to."""
    forwarded = {
        arn for listener in snapshot.network.listeners for arn in listener.target_group_arns
    }
    return [
        g
        for lb in snapshot.service.load_balancers
        if (g := group_of(snapshot, lb)) and not g.load_balancer_arns and g.arn not in forwarded
    ]


def _any_healthy(snapshot: ServiceSnapshot, group: TargetGroup) -> bool:
    """Tell whether a target of the group is healthy."""
    return any(
        t.state == "healthy" for t in snapshot.target_health if t.target_group_arn == group.arn
    )


def _missing_groups(snapshot: ServiceSnapshot) -> list[str]:
    """Target groups the service names that ELB says do not exist."""
    known = {g.arn for g in snapshot.target_groups}
    notfound = [
        g for g in snapshot.gaps if g.source.startswith("elbv2:") and "NotFound" in g.reason
    ]
    wanted = [lb.target_group_arn for lb in snapshot.service.load_balancers if lb.target_group_arn]
    return [arn for arn in wanted if arn not in known and notfound]


def lb_az_not_enabled(snapshot: ServiceSnapshot) -> list[Finding]:
    """LB_AZ_NOT_ENABLED: tasks run in an Availability Zone the load balancer does not serve."""
    served = {z for b in snapshot.network.load_balancers for z in b.availability_zones}
    if not served:
        return []
    zones = _task_zones(snapshot)
    outside = sorted(z for z in zones if z not in served)
    not_in_use = [t for t in snapshot.target_health if contains_any(t.reason, NOT_IN_USE)]
    if not outside:
        return []
    signal = bool(not_in_use) or bool(find_signal(snapshot, ELB_STOP))
    return [
        make_finding(
            "LB_AZ_NOT_ENABLED",
            summary=(
                f"Tasks run in {', '.join(outside)}, which the load balancer does not serve "
                f"({', '.join(sorted(served))})"
            ),
            evidence=[
                *(target_evidence(t) for t in not_in_use[:5]),
                *(
                    Evidence(
                        "elbv2:DescribeLoadBalancers",
                        b.arn,
                        f"{b.name} AvailabilityZones {', '.join(b.availability_zones)}",
                    )
                    for b in snapshot.network.load_balancers
                ),
                Evidence(
                    "ec2:DescribeSubnets",
                    ", ".join(snapshot.service.network.subnets if snapshot.service.network else ()),
                    f"task AZs {', '.join(sorted(zones))}",
                ),
            ],
            remediation=(
                f"Enable {', '.join(outside)} on the load balancer (elbv2 set-subnets), or "
                "remove the "
                "service subnets in those zones from its networkConfiguration."
            ),
            severity=config_severity(snapshot, True) if signal else Severity.LOW,
            confidence=0.9 if not_in_use else (0.75 if signal else 0.6),
            affected_tasks=len(not_in_use),
        )
    ]


def _task_zones(snapshot: ServiceSnapshot) -> set[str]:
    """AZs of the tasks, else of the service subnets."""
    zones = {
        t.availability_zone
        for t in (*snapshot.running_tasks, *snapshot.stopped_tasks)
        if t.availability_zone
    }
    if zones:
        return zones
    subnets = snapshot.service.network.subnets if snapshot.service.network else ()
    return {s.availability_zone for i in subnets if (s := snapshot.network.subnet(i))}


def healthcheck_failing_container(snapshot: ServiceSnapshot) -> list[Finding]:
    """HEALTHCHECK_FAILING_CONTAINER: the container healthCheck command never passes."""
    signal = find_signal(snapshot, CONTAINER_HC)
    unhealthy = [
        (t, c)
        for t in snapshot.stopped_tasks
        for c in t.containers
        if (c.health_status or "").upper() == "UNHEALTHY"
    ]
    if not signal and not unhealthy:
        return []
    definition = snapshot.current_task_definition
    checks = [
        (c.name, c.health_check)
        for c in (definition.containers if definition else ())
        if c.health_check
    ]
    facts = [
        Evidence(
            DESCRIBE_TASK_DEFINITION,
            definition.arn if definition else "",
            f"container {name} healthCheck {list(hc.command)}, interval {hc.interval_s}s, timeout "
            f"{hc.timeout_s}s, retries {hc.retries}, startPeriod {hc.start_period_s}s",
        )
        for name, hc in checks
    ]
    tasks = {t.arn for t, _ in unhealthy} | {h.task.arn for h in signal.tasks}
    command = " ".join(checks[0][1].command) if checks else "the health check command"
    return [
        make_finding(
            "HEALTHCHECK_FAILING_CONTAINER",
            summary=(
                f"{plural(len(tasks), 'task')} stopped because a container health check never "
                f"passed ({command})"
            ),
            evidence=[
                *signal.evidence(snapshot),
                *(
                    Evidence(DESCRIBE_TASKS, t.arn, f"container {c.name} healthStatus UNHEALTHY")
                    for t, c in unhealthy[:3]
                ),
                *facts,
            ],
            remediation=(
                f"Fix the healthCheck of {checks[0][0] if checks else 'the container'} "
                f"({command}): make sure "
                "the tool it runs exists in the image and the endpoint answers, or raise "
                "startPeriod; "
                "register a new revision."
            ),
            severity=impact_severity(snapshot),
            confidence=0.9,
            affected_tasks=len(tasks),
        )
    ]

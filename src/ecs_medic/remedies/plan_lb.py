"""Planners for the load balancer: target group health checks and listeners."""

from __future__ import annotations

import re

from ecs_medic.aws.snapshot import ServiceSnapshot, TargetGroup
from ecs_medic.aws.snapshot_network import LoadBalancer
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, event_ids, force_deploy, make_action
from ecs_medic.remedies.diff import added, config_diff
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.plan import ApiCall

TRAFFIC_PORT = "traffic-port"

NOT_FOUND = "404"
# Health endpoints by how common they are; a trial takes the first the group does not check.
CONVENTIONAL_HEALTH_PATHS = ("/health", "/healthz", "/ready", "/status", "/ping")
_CODES = re.compile(r"codes: \[([^\]]*)\]")  # "Health checks failed with these codes: [404]"
_URL_PATH = re.compile(r"https?://[^/\s:]+(?::\d+)?(/[^\s'\"|;]*)")


def service_target_group(finding: Finding, snapshot: ServiceSnapshot) -> TargetGroup | None:
    """The target group the evidence names, else the service's first one."""
    named = set(event_ids(finding))
    groups = [g for g in snapshot.target_groups if g.arn in named] or list(snapshot.target_groups)
    attached = {b.target_group_arn for b in snapshot.service.load_balancers}
    return next((g for g in groups if g.arn in attached), None)


def _modify_target_group(
    finding: Finding,
    snapshot: ServiceSnapshot,
    group: TargetGroup,
    change: tuple[str, str, str],
    trial: str = "",
) -> Proposal:
    """ModifyTargetGroup of one (field, old, new) change, then a redeploy.

    A trial is a change no evidence proves: `trial` says why it is tried, and the
    verification that follows decides (a failed one restores the old value).
    """
    field, old, new = change
    key = {"TargetGroupArn": group.arn}
    title = f"Set {field} of {group.name} to {new} and redeploy"
    return make_action(
        finding.code, f"Try: {title}" if trial else title, "A2",
        (ApiCall("elbv2", "ModifyTargetGroup", {**key, field: new}), force_deploy(snapshot)),
        rollback=(ApiCall("elbv2", "ModifyTargetGroup", {**key, field: old}),),
        diff=config_diff(f"target group {group.name}", {field: old}, {field: new}),
        expected_effect="health checks reach what the container serves; targets turn healthy",
        risk=trial or "changes only how the load balancer probes the tasks",
    )  # fmt: skip


def plan_port_mismatch(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Health-check the port traffic goes to (traffic-port), which ECS registers per task."""
    group = service_target_group(finding, snapshot)
    if group is None or group.health_check_port in (None, TRAFFIC_PORT):
        return None
    old = str(group.health_check_port)
    return _modify_target_group(finding, snapshot, group, ("HealthCheckPort", old, TRAFFIC_PORT))


def plan_tg_health_path(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Check the path the container's own health check proves the app serves, when it has one.

    Without one, and when every failed check got 404 (the app answers on the port, the path
    does not exist), try the most common health path as a trial that verification decides.
    """
    group = service_target_group(finding, snapshot)
    if group is None:
        return None
    old = group.health_check_path or "/"
    path = _container_health_path(snapshot)
    if path is not None:
        if path == group.health_check_path:
            return None
        return _modify_target_group(finding, snapshot, group, ("HealthCheckPath", old, path))
    if _failed_codes(finding) != {NOT_FOUND}:
        return None
    trial = next(p for p in CONVENTIONAL_HEALTH_PATHS if p != old)
    why = (
        f"a trial: every check of {old} got 404 and no AWS API shows the app's health path; "
        f"{trial} is the most common one. If the targets stay unhealthy the old path is "
        "restored, and the path must come from the app (e.g. curl it through ECS Exec)"
    )
    return _modify_target_group(finding, snapshot, group, ("HealthCheckPath", old, trial), why)


def _failed_codes(finding: Finding) -> set[str]:
    """The status codes the evidence quotes the health checks getting."""
    quoted = (m for e in finding.evidence for m in _CODES.findall(e.detail))
    return {code.strip() for m in quoted for code in m.split(",") if code.strip()}


def _container_health_path(snapshot: ServiceSnapshot) -> str | None:
    """The URL path of the essential containers' healthCheck command, if one probes HTTP."""
    td = snapshot.current_task_definition
    for container in td.containers if td else ():
        check = container.health_check
        match = _URL_PATH.search(" ".join(check.command)) if check else None
        if match:
            return match.group(1)
    return None


def plan_listener(finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups) -> Proposal | None:
    """Attach a target group that no listener forwards to: an HTTP:80 listener on its ALB.

    The ALB is the one the group names, else the one application load balancer of the
    group's VPC whose security group the service's tasks admit on the container port (the
    ALB the service was wired to). Anything less clear becomes a precise recommendation.
    """
    group = service_target_group(finding, snapshot)
    if group is None:
        return None
    if group.protocol not in (None, "HTTP", "HTTPS"):
        return (
            f"TG_MISSING_OR_UNATTACHED: add a listener forwarding to {group.name} on the network "
            f"load balancer its {group.protocol} clients use."
        )
    known = (*lookups.vpc_balancers, *snapshot.network.load_balancers)
    balancers = list({lb.arn: lb for lb in known}.values())
    listeners = (*snapshot.network.listeners, *lookups.vpc_listeners)
    if group.arn in {arn for lst in listeners for arn in lst.target_group_arns}:
        return None
    candidates = _candidates(snapshot, group, balancers)
    if len(candidates) != 1:
        return _which_balancer(group, candidates, balancers)
    lb = candidates[0]
    taken = next(
        (lst for lst in listeners if lst.load_balancer_arn == lb.arn and lst.port == 80), None
    )
    if taken is not None:
        return (
            f"TG_MISSING_OR_UNATTACHED: add a rule to listener {taken.arn} ({taken.protocol}:80 "
            f"on {lb.name}) forwarding to {group.name}, with the host or path condition its "
            "clients use (no AWS API says which), or give it a listener on a free port."
        )
    return _create_listener(finding, snapshot, group, lb)


def _create_listener(
    finding: Finding, snapshot: ServiceSnapshot, group: TargetGroup, lb: LoadBalancer
) -> Proposal:
    params = {
        "LoadBalancerArn": lb.arn, "Protocol": "HTTP", "Port": 80,
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": group.arn}],
    }  # fmt: skip
    delete = ApiCall(
        "elbv2", "DeleteListener", {"ListenerArn": "$listener.Listeners.0.ListenerArn"}
    )
    return make_action(
        finding.code, f"Create an HTTP:80 listener on {lb.name} forwarding to {group.name}",
        "A2", (ApiCall("elbv2", "CreateListener", params, "listener"), force_deploy(snapshot)),
        rollback=(delete,),
        diff=added(f"listener {lb.name}:80", params),
        expected_effect="the target group receives traffic and health checks again",
        risk="the service answers on port 80 of the load balancer, to whomever its security "
        "group admits; the rollback deletes the listener",
    )  # fmt: skip


def _candidates(
    snapshot: ServiceSnapshot, group: TargetGroup, balancers: list[LoadBalancer]
) -> list[LoadBalancer]:
    """The group's own ALBs, else its VPC's active ALBs whose security group the tasks admit."""
    named = [lb for lb in balancers if lb.arn in group.load_balancer_arns]
    if named:
        return named
    return [
        lb for lb in balancers
        if lb.type == "application" and lb.vpc_id == group.vpc_id
        and lb.state in (None, "active") and _admitted(snapshot, lb)
    ]  # fmt: skip


def _admitted(snapshot: ServiceSnapshot, lb: LoadBalancer) -> bool:
    """Whether a task security group admits the container port from the ALB's own group."""
    network = snapshot.service.network
    groups = [
        g
        for i in (network.security_groups if network else ())
        if (g := snapshot.network.security_group(i))
    ]
    ports = [b.container_port for b in snapshot.service.load_balancers]
    return any(
        rule.covers_port(port) and set(rule.source_group_ids) & set(lb.security_groups)
        for g in groups for rule in g.ingress for port in ports
    )  # fmt: skip


def _which_balancer(
    group: TargetGroup, candidates: list[LoadBalancer], balancers: list[LoadBalancer]
) -> str:
    """Say which load balancers could take the group, and why none was chosen."""
    if candidates:
        names = ", ".join(lb.name for lb in candidates)
        return (
            f"TG_MISSING_OR_UNATTACHED: {len(candidates)} load balancers could serve "
            f"{group.name} ({names}); add a listener or rule forwarding to it on the one its "
            "clients use."
        )
    here = ", ".join(lb.name for lb in balancers if lb.vpc_id == group.vpc_id) or "none"
    return (
        f"TG_MISSING_OR_UNATTACHED: no load balancer of {group.vpc_id or 'the VPC'} is admitted "
        "by the "
        f"service's security groups (load balancers there: {here}); add a listener or rule "
        f"forwarding to {group.name} on the intended load balancer, and admit its security "
        "group on the container port."
    )

"""Planners for the load balancer: target group health checks and listeners."""

from __future__ import annotations

import re

from ecs_medic.aws.snapshot import ServiceSnapshot, TargetGroup
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, event_ids, force_deploy, make_action
from ecs_medic.remedies.diff import added, config_diff
from ecs_medic.remedies.plan import ApiCall

TRAFFIC_PORT = "traffic-port"
_URL_PATH = re.compile(r"https?://[^/\s:]+(?::\d+)?(/[^\s'\"|;]*)")


def service_target_group(finding: Finding, snapshot: ServiceSnapshot) -> TargetGroup | None:
    """The target group the evidence names, else the service's first one."""
    named = set(event_ids(finding))
    groups = [g for g in snapshot.target_groups if g.arn in named] or list(snapshot.target_groups)
    attached = {b.target_group_arn for b in snapshot.service.load_balancers}
    return next((g for g in groups if g.arn in attached), None)


def _modify_target_group(
    finding: Finding, snapshot: ServiceSnapshot, group: TargetGroup, change: tuple[str, str, str]
) -> Proposal:
    """ModifyTargetGroup of one (field, old, new) change, then a redeploy."""
    field, old, new = change
    key = {"TargetGroupArn": group.arn}
    return make_action(
        finding.code, f"Set {field} of {group.name} to {new} and redeploy", "A2",
        (ApiCall("elbv2", "ModifyTargetGroup", {**key, field: new}), force_deploy(snapshot)),
        rollback=(ApiCall("elbv2", "ModifyTargetGroup", {**key, field: old}),),
        diff=config_diff(f"target group {group.name}", {field: old}, {field: new}),
        expected_effect="health checks reach what the container serves; targets turn healthy",
        risk="changes only how the load balancer probes the tasks",
    )  # fmt: skip


def plan_port_mismatch(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Health-check the port traffic goes to (traffic-port), which ECS registers per task."""
    group = service_target_group(finding, snapshot)
    if group is None or group.health_check_port in (None, TRAFFIC_PORT):
        return None
    old = str(group.health_check_port)
    return _modify_target_group(finding, snapshot, group, ("HealthCheckPort", old, TRAFFIC_PORT))


def plan_tg_health_path(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Probe the path the container's own health check proves the app serves, when it has one."""
    group = service_target_group(finding, snapshot)
    path = _container_health_path(snapshot)
    if group is None or path is None or path == group.health_check_path:
        return None
    old = group.health_check_path or "/"
    return _modify_target_group(finding, snapshot, group, ("HealthCheckPath", old, path))


def _container_health_path(snapshot: ServiceSnapshot) -> str | None:
    """The URL path of the essential containers' healthCheck command, if one probes HTTP."""
    td = snapshot.current_task_definition
    for container in td.containers if td else ():
        check = container.health_check
        match = _URL_PATH.search(" ".join(check.command)) if check else None
        if match:
            return match.group(1)
    return None


def plan_listener(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Give a target group that no listener forwards to an HTTP listener on its load balancer."""
    group = service_target_group(finding, snapshot)
    if group is None:
        return None
    forwarded = {arn for lst in snapshot.network.listeners for arn in lst.target_group_arns}
    balancers = [lb for lb in snapshot.network.load_balancers if lb.type == "application"]
    if group.arn in forwarded or len(balancers) != 1:
        return None
    lb = balancers[0]
    port = 80 if not any(lst.port == 80 for lst in snapshot.network.listeners) else 8080
    params = {
        "LoadBalancerArn": lb.arn, "Protocol": "HTTP", "Port": port,
        "DefaultActions": [{"Type": "forward", "TargetGroupArn": group.arn}],
    }  # fmt: skip
    return make_action(
        finding.code, f"Create an HTTP:{port} listener on {lb.name} forwarding to {group.name}",
        "A2", (ApiCall("elbv2", "CreateListener", params, "listener"), force_deploy(snapshot)),
        rollback=(),
        diff=added(f"listener {lb.name}:{port}", params),
        expected_effect="the target group receives traffic and health checks again",
        risk="exposes the service on the load balancer's port; delete the listener to undo",
    )  # fmt: skip

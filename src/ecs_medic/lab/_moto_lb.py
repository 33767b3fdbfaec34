"""moto internals the load-balancer path reads (part of `_moto.py`'s remit: re-check on upgrade)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from ecs_medic.lab._moto_core import Scope, moto_backend
from ecs_medic.lab.stages_lb import Balancer, Ingress, LbPath


def read_path(scope: Scope, group_arn: str, eni_id: str, zone: str) -> LbPath:
    """The balancers forwarding to a target group and the ingress of the task ENI's groups."""
    ec2 = moto_backend("ec2", scope)
    eni = ec2.enis.get(eni_id)
    groups = [str(g.id) for g in eni.group_set] if eni is not None else []
    return LbPath(_balancers(scope, group_arn), _ingress(scope, groups), zone)


def _balancers(scope: Scope, group_arn: str) -> tuple[Balancer, ...]:
    elbv2 = moto_backend("elbv2", scope)
    found = []
    for balancer in elbv2.load_balancers.values():
        if any(_forwards(listener, group_arn) for listener in balancer.listeners.values()):
            subnets = list(balancer.subnets)
            zones = tuple(sorted({str(s.availability_zone) for s in subnets}))
            address = _node_address(subnets)
            groups = tuple(str(g) for g in balancer.security_groups or ())
            found.append(Balancer(str(balancer.arn), groups, zones, address))
    return tuple(found)


def _forwards(listener: Any, group_arn: str) -> bool:
    actions = list(listener.default_actions)
    for rule in getattr(listener, "_non_default_rules", {}).values():
        actions.extend(rule.actions)
    return any(group_arn in _targets(action) for action in actions)


def _targets(action: Any) -> set[str]:
    data = getattr(action, "data", {}) or {}
    found = {str(data["TargetGroupArn"])} if data.get("TargetGroupArn") else set()
    forward = data.get("ForwardConfig") or {}
    found |= {str(g["TargetGroupArn"]) for g in forward.get("TargetGroups", [])}
    return found


def _node_address(subnets: list[Any]) -> str:
    """A node address in the first subnet (ALB nodes live in the balancer's subnets)."""
    if not subnets:
        return "0.0.0.0"
    network = ipaddress.ip_network(str(subnets[0].cidr_block))
    return str(network.network_address + 10)


def _ingress(scope: Scope, group_ids: Iterable[str]) -> tuple[Ingress, ...]:
    ec2 = moto_backend("ec2", scope)
    rules: list[Ingress] = []
    for group_id in group_ids:
        group = ec2.get_security_group_from_id(group_id)
        for rule in getattr(group, "ingress_rules", None) or ():
            rules.append(
                Ingress(
                    protocol=str(rule.ip_protocol or "-1"),
                    from_port=rule.from_port,
                    to_port=rule.to_port,
                    source_group=(rule.source_group or {}).get("GroupId"),
                    cidr=(rule.ip_range or {}).get("CidrIp"),
                )
            )
    return tuple(rules)

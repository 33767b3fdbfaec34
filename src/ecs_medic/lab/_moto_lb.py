"""moto internals the load-balancer path reads (part of `_moto.py`'s remit: re-check on upgrade).

Also what ELB refuses in SetSubnets and moto does not: a new subnet with fewer than the 8
free addresses a load balancer node needs (InvalidSubnet), and two subnets in one zone,
which moto 5.2.5 reports as SubnetNotFound because it swallows its own error.
"""

from __future__ import annotations

import ipaddress
from collections import Counter
from collections.abc import Iterable
from typing import Any

from moto.elbv2.exceptions import ELBClientError
from moto.elbv2.models import ELBv2Backend

from ecs_medic.lab._moto_core import Scope, Wrapper, moto_backend, wrap
from ecs_medic.lab.stages_lb import Balancer, Ingress, LbPath

NODE_FREE_IPS = 8  # ELB: "at least 8 free IP addresses" in each load balancer subnet
OUT_OF_ADDRESSES = "The specified subnet is out of available addresses."
ONE_PER_ZONE = "More than 1 subnet cannot be specified for 1 availability zone"


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


# --- what SetSubnets refuses ----------------------------------------------------------------


def install() -> None:
    """Make SetSubnets refuse what ELB refuses (called once per process by `_moto`)."""
    wrap(ELBv2Backend, "set_subnets", _set_subnets)


def _set_subnets(
    original: Wrapper,
    self: Any,
    arn: str,
    subnets: list[str],
    subnet_mappings: list[dict[str, Any]],
) -> Any:
    """Refuse two subnets in one zone, and a new subnet without room for a node."""
    balancer = self.load_balancers.get(arn)
    if balancer is None:
        return original(self, arn, subnets, subnet_mappings)
    ids = [*subnets, *(str(m.get("SubnetId")) for m in subnet_mappings)]
    known = {str(s.id) for s in balancer.subnets}
    found = [s for i in ids if (s := _subnet(self.ec2_backend, i)) is not None]
    zones = Counter(str(s.availability_zone) for s in found)
    if any(n > 1 for n in zones.values()):
        raise ELBClientError("InvalidConfigurationRequest", ONE_PER_ZONE)
    if any(str(s.id) not in known and s.available_ip_address_count < NODE_FREE_IPS for s in found):
        raise ELBClientError("InvalidSubnet", OUT_OF_ADDRESSES)
    return original(self, arn, subnets, subnet_mappings)


def _subnet(ec2: Any, subnet_id: str) -> Any:
    """Moto's subnet of this id, or None (moto then answers SubnetNotFound itself)."""
    for in_zone in ec2.subnets.values():
        if subnet_id in in_zone:
            return in_zone[subnet_id]
    return None

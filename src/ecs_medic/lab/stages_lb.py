"""Stage 8, the path from the load balancer to the task (LAB.md): listener, zone, security group.

Decided on every health check, like `fate.probe`, from the configuration at that moment, so
an ingress rule, a listener or an enabled zone added through the AWS API takes effect on the
next check. `path_failure` returns None when the path is open and the probe decides.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from ecs_medic.lab.fate import ProbeResult

NOT_ATTACHED = "Target group is not configured to receive traffic from the load balancer"
ZONE_NOT_ENABLED = "Target is in an Availability Zone that is not enabled for the load balancer"
TIMED_OUT = ProbeResult(False, None, "Target.Timeout", "Request timed out")


@dataclass(frozen=True, slots=True)
class Ingress:
    """One ingress rule of a task security group."""

    protocol: str  # "tcp", "udp", "icmp" or "-1" (all)
    from_port: int | None
    to_port: int | None
    source_group: str | None
    cidr: str | None


@dataclass(frozen=True, slots=True)
class Balancer:
    """A load balancer with a listener that forwards to the target group."""

    arn: str
    security_groups: tuple[str, ...]
    zones: tuple[str, ...]
    address: str  # a private address of the load balancer's nodes, for CIDR rules


@dataclass(frozen=True, slots=True)
class LbPath:
    """What lies between the load balancers and one task: who forwards, what admits."""

    balancers: tuple[Balancer, ...]
    task_ingress: tuple[Ingress, ...]  # ingress rules of every security group on the task ENI
    task_zone: str


def path_failure(path: LbPath, port: int) -> ProbeResult | None:
    """Why a health check from the load balancer cannot reach `port` on the task, if it cannot."""
    if not path.balancers:
        return ProbeResult(False, None, "Target.NotInUse", NOT_ATTACHED)
    serving = [b for b in path.balancers if path.task_zone in b.zones]
    if not serving:
        return ProbeResult(False, None, "Target.NotInUse", ZONE_NOT_ENABLED)
    if not any(admits(path.task_ingress, b, port) for b in serving):
        return TIMED_OUT
    return None


def admits(rules: tuple[Ingress, ...], balancer: Balancer, port: int) -> bool:
    """Whether any rule lets TCP from the balancer's security groups or address reach `port`."""
    for rule in rules:
        if rule.protocol not in ("tcp", "-1"):
            continue
        if rule.protocol == "tcp" and not (rule.from_port or 0) <= port <= (rule.to_port or 0):
            continue
        if rule.source_group is not None and rule.source_group in balancer.security_groups:
            return True
        if rule.cidr is not None and _in(balancer.address, rule.cidr):
            return True
    return False


def _in(address: str, cidr: str) -> bool:
    try:
        return ipaddress.ip_address(address) in ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False

"""Read-only facts for redoing a refused move to another target group (TG_TARGET_TYPE_MISMATCH).

CI asked UpdateService for a target group AWS refused (an `instance` group for awsvpc tasks).
Redoing it with an `ip` group needs what the snapshot does not hold: the refused group's
settings, and the exact actions of the listeners and rules that forward to the service's
group now (to point them at the new group, and back on rollback).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ecs_medic.analyzers.signals import service_calls
from ecs_medic.aws.gateway import Gateway, GatewayError
from ecs_medic.aws.parsing import parse_target_group
from ecs_medic.aws.snapshot import ServiceSnapshot, TargetGroup
from ecs_medic.remedies.refused import request_of, requested_groups

TARGET_TYPE_CODES = frozenset({"TG_TARGET_TYPE_MISMATCH"})
MAX_NAME = 32  # characters of a target group name
IP_SUFFIX = "-ip"


@dataclass(frozen=True, slots=True)
class Forwarding:
    """A listener's default actions, or a rule's actions, forwarding to the service's group."""

    kind: str  # "listener" | "rule"
    arn: str
    actions: tuple[dict[str, Any], ...]  # as DescribeListeners / DescribeRules return them


@dataclass(frozen=True, slots=True)
class GroupFacts:
    """The target groups refused calls asked for, and what forwards to the service's groups."""

    refused: tuple[TargetGroup, ...] = ()
    forwarding: tuple[Forwarding, ...] = ()
    taken_names: tuple[str, ...] = ()  # `ip_group_name`s of the refused groups that exist


def ip_group_name(name: str) -> str:
    """The name of the `ip` twin of a target group: `<name>-ip`, within 32 characters."""
    return name[: MAX_NAME - len(IP_SUFFIX)].rstrip("-") + IP_SUFFIX


def group_facts(gateway: Gateway, snapshot: ServiceSnapshot) -> GroupFacts:
    """Read the refused groups (DescribeTargetGroups) and the forwarding listeners and rules."""
    arns = [
        a
        for call in service_calls(snapshot)
        if call.name in ("CreateService", "UpdateService") and (r := request_of(call))
        for a in requested_groups(r)
    ]
    refused = _groups(gateway, tuple(dict.fromkeys(arns)))
    return GroupFacts(
        refused=refused,
        forwarding=_forwarding(gateway, snapshot),
        taken_names=_taken(gateway, [ip_group_name(g.name) for g in refused]),
    )


def _groups(gateway: Gateway, arns: tuple[str, ...]) -> tuple[TargetGroup, ...]:
    if not arns:
        return ()
    try:
        found = gateway.call("elbv2", "DescribeTargetGroups", {"TargetGroupArns": list(arns)})
    except GatewayError:
        return ()  # TargetGroupNotFound or no access: the planner recommends
    return tuple(parse_target_group(g) for g in found.get("TargetGroups", ()))


def _taken(gateway: Gateway, names: list[str]) -> tuple[str, ...]:
    """Which of these target group names exist already (one lookup each; absent: free)."""
    taken = []
    for name in names:
        try:
            found = gateway.call("elbv2", "DescribeTargetGroups", {"Names": [name]})
        except GatewayError:
            continue  # TargetGroupNotFound: the name is free
        if found.get("TargetGroups"):
            taken.append(name)
    return tuple(taken)


def _forwarding(gateway: Gateway, snapshot: ServiceSnapshot) -> tuple[Forwarding, ...]:
    """The listeners and rules of the service groups' load balancers forwarding to them."""
    mine = {lb.target_group_arn for lb in snapshot.service.load_balancers} - {None}
    balancers = {b for g in snapshot.target_groups if g.arn in mine for b in g.load_balancer_arns}
    found: list[Forwarding] = []
    for balancer in sorted(balancers):
        try:
            listeners = gateway.call("elbv2", "DescribeListeners", {"LoadBalancerArn": balancer})
            for listener in listeners.get("Listeners", ()):
                found += _listener_forwarding(gateway, listener, mine)
        except GatewayError:
            return ()  # half a picture would leave a listener pointing at the old group
    return tuple(found)


def _listener_forwarding(
    gateway: Gateway, listener: dict[str, Any], groups: set[str | None]
) -> list[Forwarding]:
    """The listener's default actions and its non-default rules that forward to `groups`."""
    arn = str(listener["ListenerArn"])
    found = []
    if forwards_to(listener.get("DefaultActions") or (), groups):
        found.append(Forwarding("listener", arn, tuple(listener["DefaultActions"])))
    rules = gateway.call("elbv2", "DescribeRules", {"ListenerArn": arn}).get("Rules", ())
    for rule in rules:
        if not rule.get("IsDefault") and forwards_to(rule.get("Actions") or (), groups):
            found.append(Forwarding("rule", str(rule["RuleArn"]), tuple(rule["Actions"])))
    return found


def forwards_to(actions: Any, groups: set[str | None]) -> bool:
    """Whether any forward action (plain or weighted) sends to one of `groups`."""
    for action in actions:
        weighted = (action.get("ForwardConfig") or {}).get("TargetGroups") or ()
        targets = {action.get("TargetGroupArn"), *(t.get("TargetGroupArn") for t in weighted)}
        if action.get("Type") == "forward" and targets & groups - {None}:
            return True
    return False

"""A small IAM policy evaluator: the lab's answer to "may this role do that?".

It decides the launch stages (may the execution role pull, read the secret, write the logs)
and backs the lab's iam:SimulatePrincipalPolicy. It implements the part of IAM's logic that
ECS troubleshooting depends on: Allow and Deny statements, Action / NotAction and Resource /
NotResource with `*` and `?` wildcards (actions case-insensitive), the common string, ARN and
Bool condition operators (with IfExists), and resource policies with principals. An explicit
Deny wins over any Allow; nothing allowed is an implicit deny. Pure: no AWS, no moto.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

ALLOWED, IMPLICIT_DENY, EXPLICIT_DENY = "allowed", "implicitDeny", "explicitDeny"
Context = Mapping[str, Sequence[str]]  # condition key -> values, e.g. kms:ViaService


@dataclass(frozen=True, slots=True)
class Request:
    """One action on one resource, with the request context conditions may test."""

    action: str  # "ecr:BatchGetImage"
    resource: str  # an ARN or "*"
    context: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def values(self, key: str) -> tuple[str, ...] | None:
        """The context values of a condition key (case-insensitive), None when absent."""
        wanted = key.lower()
        return next((v for k, v in self.context if k.lower() == wanted), None)


@dataclass(frozen=True, slots=True)
class Decision:
    """The outcome for one request, and the ids of the statements that decided it."""

    decision: str  # allowed | implicitDeny | explicitDeny
    matched: tuple[str, ...] = ()  # "<policy name>#<statement index>"

    @property
    def allowed(self) -> bool:
        """Whether the request is allowed."""
        return self.decision == ALLOWED


def evaluate(policies: Iterable[tuple[str, str | Mapping[str, Any]]], request: Request) -> Decision:
    """Evaluate identity policies, given as (name, document), for one request."""
    allows: list[str] = []
    for name, document in policies:
        for index, statement in enumerate(_statements(document)):
            if not _applies(statement, request):
                continue
            if str(statement.get("Effect")) == "Deny":
                return Decision(EXPLICIT_DENY, (f"{name}#{index}",))
            allows.append(f"{name}#{index}")
    return Decision(ALLOWED, tuple(allows)) if allows else Decision(IMPLICIT_DENY)


def evaluate_resource_policy(
    document: str | Mapping[str, Any], principal: str, account: str, request: Request
) -> tuple[Decision, bool]:
    """A resource policy's decision for a principal, and whether it delegates to IAM.

    Delegation means a statement allows the whole account (`arn:aws:iam::<account>:root` or
    the bare account id), as KMS default key policies do: the caller's IAM policies decide.
    """
    allows: list[str] = []
    delegates = False
    for index, statement in enumerate(_statements(document)):
        principals = _principals(statement.get("Principal"))
        named = _principal_matches(principals, principal)
        root = {f"arn:aws:iam::{account}:root", account} & set(principals)
        if not (named or root) or not _applies(statement, request):
            continue
        if str(statement.get("Effect")) == "Deny":
            return Decision(EXPLICIT_DENY, (f"resource#{index}",)), False
        if named:
            allows.append(f"resource#{index}")
        delegates = delegates or bool(root)
    decision = Decision(ALLOWED, tuple(allows)) if allows else Decision(IMPLICIT_DENY)
    return decision, delegates


def _statements(document: str | Mapping[str, Any]) -> list[Mapping[str, Any]]:
    parsed = json.loads(document) if isinstance(document, str) else document
    statements = parsed.get("Statement", [])
    return [statements] if isinstance(statements, dict) else list(statements)


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement:
        action_ok = _any_match(statement["Action"], request.action, ignore_case=True)
    else:
        action_ok = not _any_match(statement.get("NotAction", []), request.action, ignore_case=True)
    if "Resource" in statement:
        resource_ok = _any_match(statement["Resource"], request.resource, ignore_case=False)
    elif "NotResource" in statement:
        resource_ok = not _any_match(statement["NotResource"], request.resource, ignore_case=False)
    else:
        resource_ok = True  # resource policies may leave it out
    return action_ok and resource_ok and _conditions_hold(statement.get("Condition"), request)


def _any_match(patterns: Any, value: str, *, ignore_case: bool) -> bool:
    return any(_glob(str(p), ignore_case).fullmatch(value) for p in _as_list(patterns))


@lru_cache(maxsize=1024)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if ch == "*" else "." if ch == "?" else re.escape(ch) for ch in pattern)
    return re.compile(body, re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


# --- conditions -----------------------------------------------------------------------------


def _conditions_hold(conditions: Any, request: Request) -> bool:
    """Every operator block must hold; within one, every key; a key holds for any value."""
    if not conditions:
        return True
    for operator, block in dict(conditions).items():
        for key, expected in dict(block).items():
            if not _condition(str(operator), request.values(str(key)), _as_list(expected)):
                return False
    return True


def _condition(operator: str, actual: tuple[str, ...] | None, expected: list[Any]) -> bool:
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = "Not" in base
    if actual is None:  # an absent key: IfExists and negated operators hold, Null tests it
        return if_exists or negated or (base == "Null" and str(expected[0]).lower() == "true")
    test = _OPERATORS.get(base.replace("Not", ""))
    if base == "Null":
        return str(expected[0]).lower() == "false"
    if test is None:
        return False  # an operator the lab does not model never matches
    hit = any(test(str(e), a) for e in expected for a in actual)
    return not hit if negated else hit


def _like(pattern: str, value: str) -> bool:
    return _glob(pattern, False).fullmatch(value) is not None


_OPERATORS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda e, a: e == a,
    "StringEqualsIgnoreCase": lambda e, a: e.lower() == a.lower(),
    "StringLike": _like,
    "ArnEquals": lambda e, a: e == a,
    "ArnLike": _like,
    "Bool": lambda e, a: e.lower() == a.lower(),
}


# --- principals -----------------------------------------------------------------------------


def _principals(value: Any) -> list[str]:
    if value == "*":
        return ["*"]
    if isinstance(value, Mapping):
        found: list[str] = []
        for kind in ("AWS", "Service"):
            found += [str(v) for v in _as_list(value.get(kind, []))]
        return found
    return []


def _principal_matches(principals: list[str], principal: str) -> bool:
    return any(p in {"*", principal} for p in principals)


def trusted_services(trust_document: str | Mapping[str, Any]) -> tuple[str, ...]:
    """Service principals a role's trust policy lets assume it with sts:AssumeRole."""
    services: list[str] = []
    request = Request("sts:AssumeRole", "*")
    for statement in _statements(trust_document):
        if str(statement.get("Effect")) != "Allow" or not _applies(statement, request):
            continue
        principal = statement.get("Principal")
        if isinstance(principal, Mapping):
            services += [str(s) for s in _as_list(principal.get("Service", []))]
    return tuple(services)


# --- documents the lab writes ---------------------------------------------------------------


def trust_policy(service: str | list[str]) -> dict[str, Any]:
    """A role trust policy that lets an AWS service (e.g. ecs-tasks.amazonaws.com) assume it."""
    statement = {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    return {"Version": "2012-10-17", "Statement": [statement]}


# What AmazonECSTaskExecutionRolePolicy allows: pull from ECR and write to CloudWatch Logs.
# AmazonEC2ContainerServiceforEC2Role grants the same to the container instances.
PULL_AND_LOG_ACTIONS = (
    "ecr:GetAuthorizationToken",
    "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchGetImage",
    "logs:CreateLogStream",
    "logs:PutLogEvents",
)


def allow_policy(actions: Sequence[str], sid: str | None = None) -> dict[str, Any]:
    """A policy of one statement that allows `actions` on every resource."""
    statement: dict[str, Any] = {"Sid": sid} if sid else {}
    statement |= {"Effect": "Allow", "Action": list(actions), "Resource": "*"}
    return {"Version": "2012-10-17", "Statement": [statement]}

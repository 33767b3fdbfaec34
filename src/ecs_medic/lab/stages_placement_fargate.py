"""Stage 1 on Fargate (LAB.md): capacity in the service's zones, the account's vCPU quota.

Fargate decides placement before any task exists, so a refusal is a service event, not a
stopped task: `(service <s>) was unable to place a task. Reason: ...` (catalogue S7). The
scheduler asks `place` how many of the tasks it wants may start and in which subnets; the
answer comes from the account's Service Quotas value and the Fargate fleet's capacity
(`account: fargate:` in a scenario), compared with the vCPU the account's tasks hold now.
So a quota increase or a subnet in a zone with capacity takes effect on the next tick.

What Fargate refuses outright - a cpu/memory pair it has no size for, a revision without the
execution role its ECR images or awslogs need, a platform version that does not exist or lacks
the revision's capabilities, an `instance` target group for awsvpc tasks - AWS rejects at
RegisterTaskDefinition, CreateService or UpdateService; `lab/_moto_fargate.py` makes moto
answer those calls with AWS's error (the rules are below).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ecs_medic.lab import _moto, _moto_fargate, stubs_trail
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab.live import LiveService, LiveTaskDefinition

_UNABLE = "(service {service}) was unable to place a task. Reason: "
CAPACITY_UNAVAILABLE = (
    _UNABLE + "Capacity is unavailable at this time. Please try again later or in a different "
    "availability zone."
)
# AWS spells this one with a typographic apostrophe (catalogue S7).
# A launch batch needs one ENI per task; when EC2 throttles the scheduler's calls, ECS drops
# the batch and tries it again later, whole (the lab's simplification of its retries).
THROTTLED = "(service {service}) operations are being throttled. Will try again later."
VCPU_LIMIT = _UNABLE + "You’ve reached the limit on the number of vCPUs you can run concurrently"  # noqa: RUF001


@dataclass(frozen=True, slots=True)
class Placement:
    """How many tasks Fargate places now, in which subnets, and the event for the rest."""

    count: int
    subnets: tuple[str, ...]
    event: str | None = None  # {service} to fill


def place(
    scope: Scope,
    live: LiveService,
    definition: LiveTaskDefinition,
    wanted: int,
    now: float = 0.0,
) -> Placement:
    """Place up to `wanted` tasks: only in zones with capacity, only within the vCPU quota."""
    if live.launch_type != "FARGATE":
        return Placement(wanted, live.subnets)
    empty = _moto_fargate.no_capacity_zones(scope, live.cluster)
    subnets = tuple(s for s in live.subnets if _moto.subnet_zone(scope, s) not in empty)
    if not subnets:
        return Placement(0, (), CAPACITY_UNAVAILABLE)
    fits = _within_quota(scope, live.cluster, definition, wanted)
    burst = _moto_fargate.eni_burst(scope, live.cluster)
    if burst is not None and fits > burst:
        _throttled(scope, fits - burst, now)
        return Placement(0, subnets, THROTTLED)
    return Placement(fits, subnets, VCPU_LIMIT if fits < wanted else None)


def _throttled(scope: Scope, calls: int, now: float) -> None:
    """The scheduler's refused CreateNetworkInterface calls, as CloudTrail records them."""
    for _ in range(calls):
        stubs_trail.scheduler_event(
            scope.account,
            scope.region,
            ("ec2.amazonaws.com", "CreateNetworkInterface"),
            ("Client.RequestLimitExceeded", "Request limit exceeded."),
            when=now,
        )


def _within_quota(scope: Scope, cluster: str, definition: LiveTaskDefinition, wanted: int) -> int:
    """How many tasks of this size fit under the On-Demand vCPU quota next to those running."""
    vcpu = (definition.cpu or 0) / 1024
    limit = _moto_fargate.quota(scope, _moto_fargate.VCPU_QUOTA, cluster)
    if vcpu <= 0 or limit is None:
        return wanted
    headroom = limit - _moto_fargate.vcpu_in_use(scope, cluster)
    return max(0, min(wanted, math.floor(headroom / vcpu + 1e-9)))


# --- what Fargate accepts at registration and deployment (AWS rejects the call) -----------

# Fargate Linux: task CPU units -> valid task memory (MiB), as AWS documents them.
FARGATE_SIZES: dict[int, frozenset[int]] = {
    256: frozenset({512, 1024, 2048}),
    512: frozenset(range(1024, 4097, 1024)),
    1024: frozenset(range(2048, 8193, 1024)),
    2048: frozenset(range(4096, 16385, 1024)),
    4096: frozenset(range(8192, 30721, 1024)),
    8192: frozenset(range(16384, 61441, 4096)),
    16384: frozenset(range(32768, 122881, 8192)),
}
PLATFORM_VERSIONS = frozenset({"LATEST", "1.4.0", "1.3.0"})  # Linux platform versions
INVALID_CPU = "Invalid 'cpu' setting for task."
NO_CONFIGURATION = "No Fargate configuration exists for given values."
NEEDS_EXECUTION_ROLE = "Fargate requires task definition to have execution role ARN to support "
PLATFORM_UNKNOWN = "The specified platform version does not exist."
PLATFORM_INCOMPATIBLE = (
    "The specified platform version does not satisfy the task definition's required capabilities."
)


@dataclass(frozen=True, slots=True)
class Rejection:
    """AWS's answer to a call it refuses: the error code and message."""

    code: str
    message: str


def registration_rejection(definition: dict[str, Any]) -> Rejection | None:
    """Why RegisterTaskDefinition refuses a Fargate revision (camelCase request fields)."""
    if "FARGATE" not in (definition.get("requiresCompatibilities") or ()):
        return None
    cpu, memory = _units(definition.get("cpu"), 1024), _units(definition.get("memory"), 1024)
    if cpu not in FARGATE_SIZES:
        return Rejection("ClientException", INVALID_CPU)
    if memory not in FARGATE_SIZES[cpu]:
        return Rejection("ClientException", NO_CONFIGURATION)
    return None if definition.get("executionRoleArn") else _role_rejection(definition)


def _role_rejection(definition: dict[str, Any]) -> Rejection | None:
    """A Fargate revision without an execution role is refused if it uses ECR or awslogs."""
    containers = definition.get("containerDefinitions") or ()
    if any(".dkr.ecr." in str(c.get("image", "")) for c in containers):
        return Rejection("ClientException", NEEDS_EXECUTION_ROLE + "ECR images.")
    if any((c.get("logConfiguration") or {}).get("logDriver") == "awslogs" for c in containers):
        return Rejection("ClientException", NEEDS_EXECUTION_ROLE + "log driver awslogs.")
    return None


def platform_rejection(platform: str | None, ephemeral_gib: int, efs: bool) -> Rejection | None:
    """Why CreateService or UpdateService refuses a Fargate platform version for a revision.

    1.3.0 lacks what 1.4.0 added: ephemeral storage above 20 GiB and EFS volumes.
    """
    version = platform or "LATEST"
    if version not in PLATFORM_VERSIONS:
        return Rejection("PlatformUnknownException", PLATFORM_UNKNOWN)
    if version == "1.3.0" and (ephemeral_gib > 20 or efs):
        return Rejection("PlatformTaskDefinitionIncompatibilityException", PLATFORM_INCOMPATIBLE)
    return None


def target_type_rejection(group_arn: str, target_type: str, network_mode: str) -> Rejection | None:
    """Why a service's load balancer entry is refused: an instance group with awsvpc tasks."""
    if network_mode == "awsvpc" and target_type == "instance":
        return Rejection(
            "InvalidParameterException",
            f"The provided target group {group_arn} has target type instance, which is "
            "incompatible with the awsvpc network mode specified in the task definition.",
        )
    return None


def _units(value: Any, scale: int) -> int | None:
    """'1024', 1024 or '1 vCPU' / '2 GB' as CPU units or MiB; None when unreadable."""
    text = str(value or "").strip().lower()
    number, _, unit = text.partition(" ")
    try:
        amount = float(number)
    except ValueError:
        return None
    return int(amount * scale) if unit in ("vcpu", "gb") else int(amount)

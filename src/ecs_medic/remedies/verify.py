"""Verify a fix: the catalogue's standard verification plus "the code is gone", under a timeout.

Time is read from the service's own clock (its event timestamps), not from this machine's,
so verification means the same against AWS and against the lab's simulated time.
"""

from __future__ import annotations

import dataclasses
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ecs_medic.analyzers.registry import analyze
from ecs_medic.aws.snapshot import CapacityView, Service, ServiceSnapshot
from ecs_medic.findings import Severity

STEADY = "has reached a steady state"
RECURRENCE = "failure gone"  # a new stop with the fixed signature: no need to wait longer
OWN_CHECK = "code's own check"  # the fixed codes' analyzers on a full collection


@dataclass(frozen=True, slots=True)
class Check:
    """One verification check and what was seen."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True)
class Verification:
    """The outcome of verifying one service after a change."""

    ok: bool
    checks: tuple[Check, ...]
    polls: int


def service_clock(snapshot: ServiceSnapshot) -> datetime | None:
    """The newest time the service shows (events, deployments, tasks): "now" on its clock."""
    service = snapshot.service
    times = [e.created_at for e in service.events]
    times += [d.updated_at for d in service.deployments]
    tasks = (*snapshot.running_tasks, *snapshot.stopped_tasks)
    times += [t.created_at for t in tasks] + [t.stopped_at for t in tasks]
    return max((t for t in times if t is not None), default=None)


def since(snapshot: ServiceSnapshot, moment: datetime | None) -> ServiceSnapshot:
    """The snapshot cut to after `moment`: events, log lines, scaling activities, launched tasks.

    Tasks launched before the change, or from another revision, may still fail (or run) the
    old way while the rollout drains them; only tasks the changed configuration launched
    tell whether the fix works. Running tasks launched before it are left out too: an old
    task still running in a zone the fix took away is the past, not a recurrence. So are
    the events that name only such old tasks, and their targets (found by private IP).
    """
    if moment is None:
        return snapshot
    current = snapshot.service.task_definition_arn
    stopped = tuple(
        t
        for t in snapshot.stopped_tasks
        if t.created_at and t.created_at > moment and t.task_definition_arn == current
    )
    running = tuple(t for t in snapshot.running_tasks if t.created_at and t.created_at > moment)
    old = [t for t in (*snapshot.running_tasks, *snapshot.stopped_tasks) if t not in running]
    old_ids, old_ips = {t.id for t in old}, {t.private_ip for t in old if t.private_ip}
    events = tuple(
        e
        for e in snapshot.service.events
        if e.created_at and e.created_at > moment and not _only_about(e.message, old_ids)
    )
    logs = tuple(e for e in snapshot.log_events if e.timestamp and e.timestamp > moment)
    return dataclasses.replace(
        snapshot,
        service=dataclasses.replace(snapshot.service, events=events),
        running_tasks=running,
        stopped_tasks=stopped,
        target_health=tuple(h for h in snapshot.target_health if h.target_id not in old_ips),
        log_events=logs,
        capacity=_scaling_since(snapshot.capacity, moment),
    )


_TASK_ID = re.compile(r"\(task ([0-9a-f-]+)\)")  # AWS: 32 hex digits; moto: a UUID


def _only_about(message: str, task_ids: set[str]) -> bool:
    """Whether an event names tasks, all of them among `task_ids`.

    E.g. an old task's ELB health check failing while the rollout drains it.
    """
    named = set(_TASK_ID.findall(message))
    return bool(named) and named <= task_ids


def _scaling_since(capacity: CapacityView, moment: datetime) -> CapacityView:
    """The capacity view with only the scaling activities that started after `moment`."""
    scaling = capacity.autoscaling
    if scaling is None:
        return capacity
    recent = tuple(a for a in scaling.activities if a.start_time and a.start_time > moment)
    cut = dataclasses.replace(scaling, activities=recent)
    return dataclasses.replace(capacity, autoscaling=cut)


def standard_checks(snapshot: ServiceSnapshot, codes: frozenset[str]) -> tuple[Check, ...]:
    """The catalogue's "service healthy" checks on a snapshot already cut to after the change."""
    service = snapshot.service
    primary = service.primary_deployment
    targets = len(snapshot.target_health)
    unhealthy = [h for h in snapshot.target_health if h.state != "healthy"]
    steady = any(STEADY in e.message for e in service.events)
    recurring = [
        f.code for f in analyze(snapshot).findings
        if f.code in codes and f.severity.at_least(Severity.MEDIUM)
    ]  # fmt: skip
    return (
        Check("running == desired", service.running_count == service.desired_count > 0,
              f"{service.running_count} of {service.desired_count} running"),
        Check("rollout COMPLETED", bool(primary and primary.rollout_state == "COMPLETED"),
              f"PRIMARY rolloutState {primary.rollout_state if primary else 'missing'}"),
        Check("steady-state event", steady, "seen" if steady else "not yet"),
        Check("targets healthy", not unhealthy, f"{targets - len(unhealthy)} of {targets} healthy"),
        Check(RECURRENCE, not recurring,
              "no new stops with the same signature" if not recurring else ", ".join(recurring)),
    )  # fmt: skip


def own_check(snapshot: ServiceSnapshot, codes: frozenset[str]) -> Check:
    """Whether the fixed codes' own analyzers still find them (at any severity but info)."""
    found = sorted(
        {f.code for f in analyze(snapshot).findings
         if f.code in codes and f.severity.at_least(Severity.LOW)}
    )  # fmt: skip
    return Check(OWN_CHECK, not found, ", ".join(found) or "not found any more")


def wait_until_healthy(
    collect: Callable[[], ServiceSnapshot],
    moment: datetime | None,
    codes: frozenset[str],
    *,
    timeout_s: float,
    poll_s: float = 2.0,
    confirm: Callable[[], ServiceSnapshot] | None = None,
) -> Verification:
    """Poll until every check passes, the failure recurs, or the timeout ends.

    `collect` is polled (a light read set); `confirm`, when given, is read once when the
    polled checks pass, for the fixed codes' own check on everything their analyzers read.
    """
    deadline = time.monotonic() + timeout_s
    polls = 0
    while True:
        polls += 1
        checks = standard_checks(since(collect(), moment), codes)
        healthy = all(c.ok for c in checks)
        if healthy and confirm is not None:
            checks = (*checks, own_check(since(confirm(), moment), codes))
            return Verification(all(c.ok for c in checks), checks, polls)
        recurred = any(c.name == RECURRENCE and not c.ok for c in checks)
        if healthy or recurred or time.monotonic() >= deadline:
            return Verification(healthy, checks, polls)
        time.sleep(poll_s)


def _plain(value: object) -> str:
    """A dataclass as sorted JSON: a checkpoint may hand tuples back as lists."""
    return json.dumps(dataclasses.asdict(value), sort_keys=True, default=str)  # type: ignore[call-overload]


def change_moment(before: Service, after: Service) -> datetime | None:
    """When the change took effect on the service's own clock.

    The first deployment created after the clock read before the change, when the change
    started one (its createdAt is exact even if the rollout has moved on since); else
    the clock before the change.
    """
    start = service_clock(ServiceSnapshot("", None, before.cluster_arn, before))
    created = [
        d.created_at for d in after.deployments
        if d.created_at and (start is None or d.created_at > start)
    ]  # fmt: skip
    return min(created, default=start)


def restored_checks(before: ServiceSnapshot, after: ServiceSnapshot) -> tuple[Check, ...]:
    """Whether a rollback put back what the fix changed: revision, counts, scaling, network."""
    old, new = before.service, after.service
    old_groups = {g.arn: _plain(g) for g in before.target_groups}
    groups_same = all(old_groups.get(g.arn) in (None, _plain(g)) for g in after.target_groups)
    old_zones = {b.arn: set(b.subnet_ids) for b in before.network.load_balancers}
    zones_same = all(
        old_zones.get(b.arn) in (None, set(b.subnet_ids)) for b in after.network.load_balancers
    )
    network_same = _network(old) == _network(new)
    return (
        Check("task definition restored", old.task_definition_arn == new.task_definition_arn,
              new.task_definition_arn.rsplit("/", 1)[-1]),
        _desired_restored(before, after),
        _scalable_target_restored(before, after),
        Check("grace period restored",
              (old.health_check_grace_period_s or 0) == (new.health_check_grace_period_s or 0),
              f"{old.health_check_grace_period_s} -> {new.health_check_grace_period_s}"),
        Check("deployment configuration restored",
              _plain(old.deployment_config) == _plain(new.deployment_config),
              f"{old.deployment_config} -> {new.deployment_config}"),
        Check("target groups restored", groups_same, "same" if groups_same else "changed"),
        Check("network configuration restored", network_same,
              "same" if network_same else f"{_network(old)} -> {_network(new)}"),
        Check("load balancer subnets restored", zones_same, "same" if zones_same else "changed"),
    )  # fmt: skip


def _network(service: Service) -> tuple[frozenset[str], frozenset[str], str] | None:
    """The service's subnets, security groups and public IP setting, order aside."""
    network = service.network
    if network is None:
        return None
    public_ip = network.assign_public_ip or "DISABLED"
    return frozenset(network.subnets), frozenset(network.security_groups), public_ip


def _desired_restored(before: ServiceSnapshot, after: ServiceSnapshot) -> Check:
    """The desired count is back, unless Application Auto Scaling is the one that sets it."""
    old, new = before.service.desired_count, after.service.desired_count
    owned = _scalable_range(before) is not None
    detail = f"{new}" + (" (set by Application Auto Scaling)" if owned and old != new else "")
    return Check("desired count restored", old == new or owned, detail)


def _scalable_target_restored(before: ServiceSnapshot, after: ServiceSnapshot) -> Check:
    """The scalable target's range and SuspendedState flags are what they were."""
    old, new = _scalable_range(before), _scalable_range(after)
    return Check("scalable target restored", old == new, f"{old} -> {new}")


def _scalable_range(snapshot: ServiceSnapshot) -> tuple[int, int, tuple[str, ...]] | None:
    """(MinCapacity, MaxCapacity, suspended flags) of the service's scalable target."""
    scaling = snapshot.capacity.autoscaling
    target = scaling.target if scaling else None
    if target is None:
        return None
    return target.min_capacity, target.max_capacity, tuple(target.suspended_flags)

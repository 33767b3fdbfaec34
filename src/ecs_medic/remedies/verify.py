"""Verify a fix: the catalogue's standard verification plus "the code is gone", under a timeout.

Time is read from the service's own clock (its event timestamps), not from this machine's,
so verification means the same against AWS and against the lab's simulated time.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ecs_medic.analyzers.registry import analyze
from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.findings import Severity

STEADY = "has reached a steady state"


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
    """The newest service event time: "now" on the service's clock before a change."""
    times = [e.created_at for e in snapshot.service.events if e.created_at]
    return max(times, default=None)


def since(snapshot: ServiceSnapshot, moment: datetime | None) -> ServiceSnapshot:
    """The snapshot with only events and stopped tasks newer than `moment`."""
    if moment is None:
        return snapshot
    service = dataclasses.replace(
        snapshot.service,
        events=tuple(e for e in snapshot.service.events if e.created_at and e.created_at > moment),
    )
    stopped = tuple(t for t in snapshot.stopped_tasks if t.stopped_at and t.stopped_at > moment)
    return dataclasses.replace(snapshot, service=service, stopped_tasks=stopped)


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
        Check("failure gone", not recurring,
              "no new stops with the same signature" if not recurring else ", ".join(recurring)),
    )  # fmt: skip


def wait_until_healthy(
    collect: Callable[[], ServiceSnapshot],
    moment: datetime | None,
    codes: frozenset[str],
    *,
    timeout_s: float,
    poll_s: float = 2.0,
) -> Verification:
    """Poll until every check passes or the timeout ends; the last checks are reported."""
    deadline = time.monotonic() + timeout_s
    polls = 0
    while True:
        polls += 1
        checks = standard_checks(since(collect(), moment), codes)
        if all(c.ok for c in checks) or time.monotonic() >= deadline:
            return Verification(all(c.ok for c in checks), checks, polls)
        time.sleep(poll_s)

"""Verification: when the change took effect, the light polls and the code's own check."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from builders import NOW, deployment, event, oom_task, service, snapshot

from ecs_medic.remedies.verify import OWN_CHECK, change_moment, wait_until_healthy


def test_the_moment_is_the_deployment_the_change_started():
    """A deployment created after the clock read before the change marks the change."""
    old = replace(deployment(7), created_at=NOW - timedelta(hours=1), updated_at=NOW)
    new = replace(deployment(8), created_at=NOW + timedelta(seconds=30))
    before = replace(service(), deployments=(old,), events=(event("e", minutes_ago=5),))
    after = replace(before, deployments=(new, replace(old, status="ACTIVE")))
    assert new.created_at == change_moment(before, after)


def test_without_a_new_deployment_the_moment_is_the_clock_before():
    """A change that starts no deployment (desiredCount) is judged from the clock before."""
    old = replace(deployment(7), created_at=NOW - timedelta(hours=1), updated_at=NOW)
    before = replace(service(), deployments=(old,), events=())
    assert NOW == change_moment(before, before)


def test_healthy_polls_are_confirmed_by_the_codes_own_check():
    """The light polls pass, but the full read still shows the fixed code: not verified."""
    healthy = snapshot()
    still_oom = snapshot(
        stopped_tasks=tuple(replace(oom_task(n), created_at=NOW) for n in range(3))
    )
    verification = wait_until_healthy(
        lambda: healthy,
        NOW - timedelta(minutes=5),
        frozenset({"OOM_KILLED"}),
        timeout_s=0,
        confirm=lambda: still_oom,
    )
    own = next(c for c in verification.checks if c.name == OWN_CHECK)
    assert (False, False, "OOM_KILLED") == (verification.ok, own.ok, own.detail)

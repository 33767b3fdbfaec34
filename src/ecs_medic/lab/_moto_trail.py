"""CloudTrail event history for the lab account, kept on moto's CloudTrail backend object.

moto 5.2.5 keeps trails but no event history (LookupEvents is not implemented). The lab
records the management events ecs-medic reads - every write call the lab's server answers,
with its error when AWS refused it, and the ECS scheduler's own throttled calls - on the
account's backend, so they are reset with the account. lab/stubs_trail.py serves them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from moto.backends import get_backend

_EVENTS = "_ecs_medic_lab_trail"  # attribute on the CloudTrail backend
MAX_EVENTS = 5000  # the oldest go first; CloudTrail keeps 90 days, the lab a few thousand


@dataclass(frozen=True, slots=True)
class TrailEvent:
    """One management event as CloudTrail's LookupEvents describes it."""

    event_id: str
    time: float  # seconds since the epoch (the lab's simulated time)
    source: str  # e.g. ecs.amazonaws.com
    name: str  # the API operation
    user: dict[str, Any]  # userIdentity
    request: dict[str, Any] = field(default_factory=dict)  # requestParameters
    error_code: str | None = None
    error_message: str | None = None
    read_only: bool = False


def _backend(account: str, region: str) -> Any:
    return get_backend("cloudtrail")[account][region]


def record(account: str, region: str, event: TrailEvent) -> None:
    """Add an event to the account's history in this region."""
    backend = _backend(account, region)
    events: list[TrailEvent] = getattr(backend, _EVENTS, [])
    events.append(event)
    del events[:-MAX_EVENTS]
    setattr(backend, _EVENTS, events)


def events(account: str, region: str) -> list[TrailEvent]:
    """The account's events in this region, oldest first."""
    return list(getattr(_backend(account, region), _EVENTS, []))

"""Snapshot type for the account's recent API history (CloudTrail management events)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ApiCall:
    """A write call AWS refused, from CloudTrail: who called what, and AWS's error."""

    time: datetime
    source: str  # eventSource, e.g. ecs.amazonaws.com
    name: str  # eventName, e.g. RegisterTaskDefinition
    error_code: str
    error_message: str
    caller: str  # userIdentity ARN
    request: str = ""  # requestParameters as compact JSON (truncated)

    def mentions(self, *names: str) -> bool:
        """Tell whether the request names any of these (service, cluster, family, ARN)."""
        return any(n and n in self.request for n in names)

"""The refused calls a finding quotes, and what their requests asked for (CloudTrail).

A finding about a deployment AWS refused quotes the call from CloudTrail (its evidence). The
snapshot keeps the call's requestParameters as JSON cut at 2000 characters, so a request
may not parse; `request_of` says None then, and the planners recommend instead of guessing.
"""

from __future__ import annotations

import json
from typing import Any

from ecs_medic.analyzers.signals import call_evidence
from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_trail import ApiCall
from ecs_medic.findings import Finding

Request = dict[str, Any]


def quoted_calls(finding: Finding, snapshot: ServiceSnapshot, name: str) -> tuple[ApiCall, ...]:
    """The refused `name` calls (e.g. "UpdateService") the finding quotes, newest first."""
    quoted = set(finding.evidence)
    calls = [c for c in snapshot.api_calls if c.name == name and call_evidence(c) in quoted]
    return tuple(sorted(calls, key=lambda c: c.time, reverse=True))


def request_of(call: ApiCall) -> Request | None:
    """The call's requestParameters, or None when they were cut short or are not an object."""
    try:
        parsed = json.loads(call.request)
    except ValueError:
        return None
    return parsed if isinstance(parsed, dict) else None


def requested_groups(request: Request) -> tuple[str, ...]:
    """The target group ARNs of a CreateService or UpdateService request's loadBalancers."""
    entries = request.get("loadBalancers") or ()
    arns = (e.get("targetGroupArn") for e in entries if isinstance(e, dict))
    return tuple(dict.fromkeys(str(a) for a in arns if a))


def cut_short(call: ApiCall) -> str:
    """Why a request cannot be replayed: CloudTrail's copy is cut or unreadable."""
    when = call.time.strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        f"the {call.name} request AWS refused at {when} (caller {call.caller}) is cut short in "
        f"the event history ({len(call.request)} characters kept), so what it asked for is not "
        "known in full"
    )

"""The account's recent refused write calls, from CloudTrail's event history (LookupEvents).

A deployment CI attempted and AWS refused (RegisterTaskDefinition, UpdateService) leaves no
trace on the service; CloudTrail keeps it, with the errorCode and errorMessage AWS returned. The
last day's RegisterTaskDefinition, CreateService and UpdateService events are read (the newest
page of each) and only those with an error are kept; analyzers decide what concerns the
service.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_medic.aws.collect.reader import Reader
from ecs_medic.aws.parsing import to_datetime
from ecs_medic.aws.snapshot_trail import ApiCall

WINDOW = timedelta(days=1)
# The ECS writes a refused deployment goes through; one lookup each (LookupEvents filters on one
# attribute), the newest page only.
EVENT_NAMES = ("RegisterTaskDefinition", "CreateService", "UpdateService")
MAX_REQUEST = 2000  # characters of requestParameters kept per call


def refused_calls(reader: Reader, now: datetime) -> tuple[ApiCall, ...]:
    """ECS deployment calls AWS answered with an error in the last day, newest first."""
    found: dict[str, ApiCall] = {}
    for name in EVENT_NAMES:
        params = {
            "LookupAttributes": [{"AttributeKey": "EventName", "AttributeValue": name}],
            "StartTime": now - WINDOW,
            "MaxResults": 50,
        }
        page = reader.call("cloudtrail", "LookupEvents", params, name) or {}
        for entry in page.get("Events", ()):
            call = _refused(entry)
            if call is not None:
                found.setdefault(str(entry.get("EventId") or id(entry)), call)
    return tuple(sorted(found.values(), key=lambda c: c.time, reverse=True))


def _refused(entry: dict[str, Any]) -> ApiCall | None:
    """The call an Events[] entry records, when AWS refused it."""
    try:
        record = json.loads(entry.get("CloudTrailEvent") or "{}")
    except ValueError:
        return None
    code = record.get("errorCode")
    if not code:
        return None
    identity = record.get("userIdentity") or {}
    request = scalars_first(without_values(record.get("requestParameters") or {}))
    return ApiCall(
        time=_time(entry.get("EventTime"), record.get("eventTime")),
        source=str(record.get("eventSource") or entry.get("EventSource") or ""),
        name=str(record.get("eventName") or entry.get("EventName") or ""),
        error_code=str(code),
        error_message=str(record.get("errorMessage") or ""),
        caller=str(identity.get("arn") or entry.get("Username") or ""),
        request=request[:MAX_REQUEST],
    )


def scalars_first(params: Any) -> str:
    """The request as JSON with its top-level scalars first, each part with sorted keys.

    The text is cut at MAX_REQUEST characters; long containerDefinitions would otherwise push
    out what ties the call to the service (family, service, cluster) and the task's size.
    """
    if not isinstance(params, dict):
        return json.dumps(params, sort_keys=True)
    ordered = sorted(params.items(), key=lambda kv: (isinstance(kv[1], dict | list), kv[0]))
    return (
        "{"
        + ", ".join(f"{json.dumps(k)}: {json.dumps(v, sort_keys=True)}" for k, v in ordered)
        + "}"
    )


def without_values(value: Any) -> Any:
    """The request with each name/value pair's value dropped (container environment variables).

    A refused RegisterTaskDefinition carries the environment CI set, often credentials; the
    snapshot keeps names only, as it does for task definitions, and the request gets shorter.
    """
    if isinstance(value, dict):
        kept = {k: without_values(v) for k, v in value.items()}
        if {"name", "value"} <= kept.keys():
            kept.pop("value")
        return kept
    if isinstance(value, list):
        return [without_values(v) for v in value]
    return value


def _time(value: Any, fallback: Any) -> datetime:
    """EventTime as boto3 gives it (datetime), the CLI (ISO text or epoch) or the record's."""
    try:
        parsed = to_datetime(value if value not in (None, "") else fallback)
    except ValueError:
        parsed = None
    return parsed or datetime.fromtimestamp(0, tz=UTC)

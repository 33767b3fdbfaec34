"""The account's recent refused write calls, from CloudTrail's event history (LookupEvents).

A deployment CI attempted and AWS refused (RegisterTaskDefinition, UpdateService) leaves no
trace on the service; CloudTrail keeps it, with the errorCode and errorMessage AWS returned.
So do the ECS scheduler's throttled calls. Only write events of the last day are read, at
most a few pages, and only those with an error are kept; analyzers decide what concerns the
service.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from ecs_medic.aws.collect.reader import Reader
from ecs_medic.aws.snapshot_trail import ApiCall

WINDOW = timedelta(days=1)
PAGES = 3
MAX_REQUEST = 2000  # characters of requestParameters kept per call


def refused_calls(reader: Reader, now: datetime) -> tuple[ApiCall, ...]:
    """Write calls AWS answered with an error in the last day, newest first."""
    params = {
        "LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        "StartTime": now - WINDOW,
        "MaxResults": 50,
    }
    pages = reader.pages(
        "cloudtrail", "LookupEvents", params, limit=PAGES, resource="management events",
        token="NextToken",  # noqa: S106 - the pagination key, not a secret
    )  # fmt: skip
    found = [call for page in pages for e in page.get("Events", ()) if (call := _refused(e))]
    return tuple(found)


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
    request = json.dumps(record.get("requestParameters") or {}, sort_keys=True)
    return ApiCall(
        time=_time(entry.get("EventTime"), record.get("eventTime")),
        source=str(record.get("eventSource") or entry.get("EventSource") or ""),
        name=str(record.get("eventName") or entry.get("EventName") or ""),
        error_code=str(code),
        error_message=str(record.get("errorMessage") or ""),
        caller=str(identity.get("arn") or entry.get("Username") or ""),
        request=request[:MAX_REQUEST],
    )


def _time(value: Any, fallback: Any) -> datetime:
    """EventTime as boto3 gives it (datetime), the CLI (ISO text or epoch) or the record's."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value or fallback or "")
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return datetime.fromtimestamp(0, tz=UTC)

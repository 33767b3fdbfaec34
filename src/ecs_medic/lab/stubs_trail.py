"""CloudTrail for the lab: write calls recorded as management events, LookupEvents served.

`note` runs for every request the lab's server answers (lab/_moto.py): a write call becomes
an event with its request parameters and, when AWS refused it, its errorCode and errorMessage
- so a RegisterTaskDefinition or UpdateService that CI saw fail is in the account's event
history, as in AWS. `scheduler_event` adds the ECS scheduler's own calls (userIdentity
AWSServiceRoleForECS/ecs-service-scheduler). `lookup_events` serves cloudtrail:LookupEvents from
that history (moto 5.2.5 does not implement it): one LookupAttribute, StartTime, EndTime,
MaxResults (at most 50), NextToken; newest first.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from xml.etree import ElementTree

from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab._moto_trail import TrailEvent, events, record
from ecs_medic.lab.faults import is_mutating
from ecs_medic.lab.stubs_json import Answer, JsonStub
from ecs_medic.lab.wire import form, json_document, signer

_SOURCES = {"elbv2": "elasticloadbalancing", "cloudwatch": "monitoring"}
_ATTRIBUTES: dict[str, Callable[[TrailEvent], str]] = {
    "EventName": lambda e: e.name,
    "EventSource": lambda e: e.source,
    "ReadOnly": lambda e: "true" if e.read_only else "false",
    "Username": lambda e: str(e.user.get("userName") or e.user.get("sessionName") or ""),
    "EventId": lambda e: e.event_id,
}
SCHEDULER_SESSION = "ecs-service-scheduler"


def note(
    operation: tuple[str, str],
    environ: dict[str, Any],
    body: bytes,
    response: tuple[str, bytes],
    when: float,
) -> None:
    """Record a write call the lab answered (status, body) as a CloudTrail management event."""
    service, name = operation
    if not service or not name or not is_mutating(name) or service == "cloudtrail":
        return
    key, region = signer(environ)
    account = str(environ.get("HTTP_X_MOTO_ACCOUNT_ID", ""))
    status, payload = response
    code, message = _error(payload) if not status.startswith("2") else (None, None)
    user = {
        "type": "IAMUser",
        "arn": f"arn:aws:iam::{account}:user/moto",
        "accountId": account,
        "accessKeyId": key,
        "userName": "moto",
    }
    event = TrailEvent(
        event_id=str(uuid.uuid4()),
        time=float(int(when)),  # CloudTrail's eventTime has whole seconds
        source=f"{_SOURCES.get(service, service)}.amazonaws.com",
        name=name,
        user=user,
        request=_request(environ, body),
        error_code=code,
        error_message=message,
    )
    record(account, region, event)


def scheduler_event(
    account: str, region: str, call: tuple[str, str], error: tuple[str, str], *, when: float
) -> None:
    """Record a call (eventSource, eventName) the ECS scheduler made and AWS refused."""
    source, name = call
    user = {
        "type": "AssumedRole",
        "arn": f"arn:aws:sts::{account}:assumed-role/AWSServiceRoleForECS/{SCHEDULER_SESSION}",
        "accountId": account,
        "sessionName": SCHEDULER_SESSION,
        "invokedBy": "ecs.amazonaws.com",
    }
    record(
        account,
        region,
        TrailEvent(str(uuid.uuid4()), float(int(when)), source, name, user, {}, *error),
    )


def _request(environ: dict[str, Any], body: bytes) -> dict[str, Any]:
    """requestParameters: the JSON body, or the query form without Action and Version."""
    if environ.get("HTTP_X_AMZ_TARGET"):
        return json_document(body)
    return {
        k: v[0] if len(v) == 1 else v
        for k, v in form(environ, body).items()
        if k not in ("Action", "Version")
    }


def _error(payload: bytes) -> tuple[str | None, str | None]:
    """(errorCode, errorMessage) from a JSON or XML error body."""
    text = payload.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            parsed = json.loads(text)
        except ValueError:
            return None, None
        code = str(parsed.get("__type", "")).rsplit("#", 1)[-1] or None
        return code, parsed.get("message") or parsed.get("Message")
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - the lab's own moto response
    except ElementTree.ParseError:
        return None, None
    code = next((e.text for e in root.iter() if e.tag.endswith("Code")), None)
    message = next((e.text for e in root.iter() if e.tag.endswith("Message")), None)
    return code, message


# --- LookupEvents ---------------------------------------------------------------------------


def lookup_events(params: dict[str, Any], scope: Scope) -> Answer:
    """cloudtrail:LookupEvents from the lab's history in the region signed for."""
    found = [e for e in reversed(events(scope.account, scope.region)) if _wanted(e, params)]
    start = int(params.get("NextToken") or 0)
    size = max(1, min(50, int(params.get("MaxResults") or 50)))
    page = found[start : start + size]
    reply: dict[str, Any] = {"Events": [_lookup_entry(e, scope.region) for e in page]}
    if start + size < len(found):
        reply["NextToken"] = str(start + size)
    return "200 OK", reply


def _wanted(event: TrailEvent, params: dict[str, Any]) -> bool:
    if params.get("StartTime") is not None and event.time < float(params["StartTime"]):
        return False
    if params.get("EndTime") is not None and event.time > float(params["EndTime"]):
        return False
    for attribute in params.get("LookupAttributes") or ():
        read = _ATTRIBUTES.get(str(attribute.get("AttributeKey")))
        if read is not None and read(event) != str(attribute.get("AttributeValue")):
            return False
    return True


def _lookup_entry(event: TrailEvent, region: str) -> dict[str, Any]:
    """One Events[] entry, with the full record as the CloudTrailEvent JSON string."""
    record_json: dict[str, Any] = {
        "eventVersion": "1.08",
        "userIdentity": event.user,
        "eventTime": _iso(event.time),
        "eventSource": event.source,
        "eventName": event.name,
        "awsRegion": region,
        "requestParameters": event.request or None,
        "responseElements": None,
        "eventID": event.event_id,
        "readOnly": event.read_only,
        "eventType": "AwsApiCall",
        "managementEvent": True,
    }
    if event.error_code:
        record_json["errorCode"] = event.error_code
        record_json["errorMessage"] = event.error_message
    return {
        "EventId": event.event_id,
        "EventName": event.name,
        "ReadOnly": "true" if event.read_only else "false",
        "AccessKeyId": event.user.get("accessKeyId", ""),
        "EventTime": event.time,
        "EventSource": event.source,
        "Username": event.user.get("userName") or event.user.get("sessionName") or "",
        "Resources": [],
        "CloudTrailEvent": json.dumps(record_json),
    }


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


JSON_STUBS: dict[tuple[str, str], JsonStub] = {("cloudtrail", "LookupEvents"): lookup_events}

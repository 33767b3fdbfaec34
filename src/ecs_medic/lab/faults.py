"""Faults the lab can inject into one AWS operation: an IAM deny or a throttle.

A real account refuses calls for reasons no configuration in the emulator shows (the
caller's own IAM policy, API rate limits). The lab answers such a call with the error AWS
sends, in the wire protocol of that service, so every client (boto3, the AWS CLI inside
the MCP servers) sees exactly what it would see from AWS.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from ecs_medic.lab.errors import LabError
from ecs_medic.lab.wire import read_body

# SigV4 signing names that differ from the short service names ecs-medic uses.
_SIGNING_TO_SERVICE = {"elasticloadbalancing": "elbv2", "monitoring": "cloudwatch"}
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/[^/]+/([^/]+)/aws4_request")
KINDS = ("AccessDenied", "Throttling")


@dataclass(frozen=True, slots=True)
class Fault:
    """One operation ("elbv2:DescribeTargetHealth") and what to answer it with."""

    service: str
    operation: str
    kind: str  # AccessDenied | Throttling

    @classmethod
    def parse(cls, text: str) -> Fault:
        """`service:Operation[=Kind]`, e.g. `elbv2:DescribeTargetHealth=Throttling`."""
        source, _, kind = text.partition("=")
        service, _, operation = source.partition(":")
        kind = kind or "AccessDenied"
        if not service or not operation or kind not in KINDS:
            raise LabError(
                f"bad fault {text!r}: use service:Operation[=AccessDenied|Throttling], "
                "e.g. elbv2:DescribeTargetHealth"
            )
        return cls(service, operation, kind)


def request_operation(environ: dict[str, Any]) -> tuple[str, str]:
    """(service, operation) of a signed AWS request; reads and restores a form body."""
    auth = str(environ.get("HTTP_AUTHORIZATION", ""))
    match = _CREDENTIAL_SCOPE.search(auth)
    signing = match.group(1) if match else ""
    service = _SIGNING_TO_SERVICE.get(signing, signing)
    target = str(environ.get("HTTP_X_AMZ_TARGET", ""))
    if target:
        return service, target.rsplit(".", 1)[-1]
    return service, _query_action(environ)


def _query_action(environ: dict[str, Any]) -> str:
    """The `Action` of a query-protocol request, from the URL or the form body."""
    query = parse_qs(str(environ.get("QUERY_STRING", "")))
    if "Action" in query:
        return str(query["Action"][0])
    body = read_body(environ)
    return str(parse_qs(body.decode("utf-8", "replace")).get("Action", [""])[0])


READ_PREFIXES = ("Describe", "List", "Get", "BatchGet", "Filter", "Lookup", "Simulate", "Search")


def is_mutating(operation: str) -> bool:
    """Whether an AWS operation changes something (everything but reads)."""
    return not operation.startswith(READ_PREFIXES)


def matching(faults: Iterable[Fault], service: str, operation: str) -> Fault | None:
    """The fault registered for this operation, if any."""
    return next((f for f in faults if (f.service, f.operation) == (service, operation)), None)


def respond(
    fault: Fault, environ: Mapping[str, Any], account: str, start_response: Any
) -> list[bytes]:
    """Answer with the error AWS sends, as JSON or XML depending on the protocol."""
    code, status, message = _error(fault, account)
    if environ.get("HTTP_X_AMZ_TARGET"):
        body = json.dumps({"__type": code, "message": message}).encode()
        start_response(status, [("Content-Type", "application/x-amz-json-1.1")])
        return [body]
    if fault.service == "ec2":
        error = f"<Error><Code>{code}</Code><Message>{message}</Message></Error>"
        xml = f"<Response><Errors>{error}</Errors></Response>"
    else:
        xml = (
            f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
            f"<Message>{message}</Message></Error><RequestId>lab</RequestId></ErrorResponse>"
        )
    start_response(status, [("Content-Type", "text/xml")])
    return [xml.encode()]


def _error(fault: Fault, account: str) -> tuple[str, str, str]:
    """(error code, HTTP status, message) in the service's own spelling."""
    action = f"{fault.service}:{fault.operation}"
    if fault.kind == "Throttling":
        return (
            "ThrottlingException" if fault.service != "ec2" else "RequestLimitExceeded",
            "400 Bad Request",
            "Rate exceeded",
        )
    json_services = {"ecs", "logs", "ecr", "secretsmanager", "ssm", "application-autoscaling"}
    code = "AccessDeniedException" if fault.service in json_services else "AccessDenied"
    if fault.service == "ec2":
        code = "UnauthorizedOperation"
    message = (
        f"User: arn:aws:sts::{account}:assumed-role/ReadOnly/ecs-medic is not authorized "
        f"to perform: {action} because no identity-based policy allows the {action} action"
    )
    return code, "403 Forbidden" if code != "AccessDeniedException" else "400 Bad Request", message

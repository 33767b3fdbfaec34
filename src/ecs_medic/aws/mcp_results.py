"""Read the AWS MCP servers' tool results back into API-shaped dicts or GatewayErrors.

Both servers can report a failure with `isError: false` and the error inside the content
(`{"status": "failed", "error": ...}` from ecs_resource_management; `error`, `error_code` or
`status_code` inside a call_aws item), so the content is inspected, not just the flag.
Environment variable values are dropped here, at the boundary, so they never travel further
than the gateway (ALLOW_SENSITIVE_DATA is on for the secret references; see mcp_servers).
"""

from __future__ import annotations

import json
import re
from typing import Any

from mcp.types import CallToolResult, TextContent

from ecs_medic.aws.direct_transport import classify
from ecs_medic.aws.gateway import ErrorKind, GatewayError

_AWS_CODE = re.compile(r"An error occurred \((?P<code>[\w.]+)\)")
_PREAMBLE = re.compile(
    r"(?:.*?)An error occurred \([\w.]+\) when calling the \w+ operation"
    r"(?: \(reached max retries: \d+\))?: (?P<message>.*)",
    re.DOTALL,
)
_POLICY_DENIED = "denied by security policy"


def ecs_response(
    result: CallToolResult, source: str, *, keep_environment: bool = False
) -> dict[str, Any]:
    """The ECS API response inside an ecs_resource_management result.

    `keep_environment` is for the apply step only: a task definition revision is built from
    the live one and must carry its environment values unchanged.
    """
    data = _json_content(result, source)
    if not isinstance(data, dict):
        raise _error(source, "unexpected result shape from ecs_resource_management")
    if result.isError or (data.get("status") in {"failed", "error"} and "error" in data):
        raise _error(source, str(data.get("error", data)))
    return _clean(data, keep_environment=keep_environment)


def aws_response(
    result: CallToolResult, source: str, *, keep_environment: bool = False
) -> dict[str, Any]:
    """The API response inside the single item of a call_aws result."""
    data = _json_content(result, source)
    if isinstance(data, dict) and isinstance(data.get("result"), list):  # structured form
        data = data["result"]
    if not isinstance(data, list) or len(data) != 1 or not isinstance(data[0], dict):
        raise _error(source, f"unexpected result shape from call_aws: {str(data)[:200]}")
    item = data[0]
    if item.get("error"):
        raise _error(source, str(item["error"]))
    response = item.get("response") or {}
    if response.get("error") or response.get("error_code"):
        code = response.get("error_code") or ""
        raise _error(source, str(response.get("error") or code), code=code)
    if response.get("as_json") is None:
        raise _error(source, "call_aws returned no response body")
    body = json.loads(response["as_json"])
    if not isinstance(body, dict):
        raise _error(source, "call_aws returned a non-object response")
    body.pop("pagination_token", None)  # the server already followed every page
    return _clean(body, keep_environment=keep_environment)


def _json_content(result: CallToolResult, source: str) -> Any:
    """The one JSON text item of a result (an error result may be plain text)."""
    texts = [c.text for c in result.content if isinstance(c, TextContent)]
    if not texts:
        if result.structuredContent is not None:
            return result.structuredContent
        raise _error(source, "empty MCP result")
    try:
        return json.loads(texts[0])
    except ValueError as exc:
        raise _error(source, texts[0][:300]) from exc


def _error(source: str, message: str, code: str = "") -> GatewayError:
    """A GatewayError classified like the direct transport's, from a code or a message."""
    if not code:
        match = _AWS_CODE.search(message)
        code = match.group("code") if match else ""
    if not code and _POLICY_DENIED in message:
        return GatewayError(source, ErrorKind.ACCESS_DENIED, "DeniedByMcpServer", message)
    if not code:
        return GatewayError(source, ErrorKind.ERROR, "McpToolError", message)
    return GatewayError(source, classify(code), code, _message(message))


def _message(message: str) -> str:
    """The AWS message without the botocore preamble `An error occurred (X) when ...: `."""
    match = _PREAMBLE.match(message)
    return match.group("message") if match else message


def _clean(data: dict[str, Any], *, keep_environment: bool = False) -> dict[str, Any]:
    """Drop transport metadata and environment variable values (names are kept)."""
    data.pop("ResponseMetadata", None)
    if not keep_environment:
        _drop_environment_values(data)
    return data


def _drop_environment_values(node: Any) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "environment" and isinstance(value, list):
                node[key] = [
                    {k: v for k, v in item.items() if k != "value"}
                    if isinstance(item, dict)
                    else item
                    for item in value
                ]
            else:
                _drop_environment_values(value)
    elif isinstance(node, list):
        for item in node:
            _drop_environment_values(item)

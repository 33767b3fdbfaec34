"""MCP tool results become API-shaped dicts, or GatewayErrors classified like boto3's."""

from __future__ import annotations

import json

import pytest
from mcp.types import CallToolResult, TextContent

from ecs_medic.aws.gateway import ErrorKind, GatewayError
from ecs_medic.aws.mcp_results import aws_response, ecs_response


def result(payload: object, *, is_error: bool = False) -> CallToolResult:
    text = payload if isinstance(payload, str) else json.dumps(payload)
    return CallToolResult(content=[TextContent(type="text", text=text)], isError=is_error)


def call_aws_item(**response: object) -> list[dict[str, object]]:
    base = {"error": None, "status_code": 200, "error_code": None, "as_json": None}
    return [{"cli_command": "aws x y", "response": {**base, **response}}]


def test_ecs_response_drops_metadata_and_environment_values():
    """Only names of environment variables pass the gateway; secret references stay."""
    container = {
        "name": "web",
        "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}],
        "secrets": [{"name": "API_KEY", "valueFrom": "arn:aws:secretsmanager:r:1:secret:k"}],
    }
    payload = {
        "taskDefinition": {"containerDefinitions": [container]},
        "ResponseMetadata": {"RequestId": "x"},
    }
    response = ecs_response(result(payload), "ecs:DescribeTaskDefinition")
    assert {"taskDefinition"} == set(response)
    (definition,) = response["taskDefinition"]["containerDefinitions"]
    assert [{"name": "DB_PASSWORD"}] == definition["environment"]
    assert "arn:aws:secretsmanager:r:1:secret:k" == definition["secrets"][0]["valueFrom"]
    assert "hunter2" not in json.dumps(response)


@pytest.mark.parametrize(
    ("message", "kind", "code"),
    [
        (
            "An error occurred (ClusterNotFoundException) when calling the DescribeServices "
            "operation (reached max retries: 0): Cluster not found.",
            ErrorKind.NOT_FOUND,
            "ClusterNotFoundException",
        ),
        (
            "An error occurred (AccessDeniedException) when calling the ListTasks operation: "
            "not authorized",
            ErrorKind.ACCESS_DENIED,
            "AccessDeniedException",
        ),
        (
            "An error occurred (ThrottlingException) when calling the DescribeTasks operation "
            "(reached max retries: 2): Rate exceeded",
            ErrorKind.THROTTLED,
            "ThrottlingException",
        ),
    ],
)
def test_ecs_error_inside_content_is_an_error(message, kind, code):
    """`{"status": "failed", "error": ...}` with isError false still raises, classified."""
    with pytest.raises(GatewayError) as raised:
        ecs_response(result({"status": "failed", "error": message}), "ecs:DescribeServices")
    assert (kind, code) == (raised.value.kind, raised.value.code)


def test_ecs_error_message_loses_the_botocore_preamble():
    """The gap detail is AWS's own message, as with the direct transport."""
    message = (
        "An error occurred (ClusterNotFoundException) when calling the DescribeServices "
        "operation (reached max retries: 0): Cluster not found."
    )
    with pytest.raises(GatewayError) as raised:
        ecs_response(result({"status": "failed", "error": message}), "ecs:DescribeServices")
    assert "Cluster not found." == raised.value.message


def test_ecs_write_refusal_is_an_error_not_data():
    """The server's ALLOW_WRITE refusal is an error, never an empty response."""
    payload = {"status": "error", "error": "Operation UpdateService requires WRITE permission."}
    with pytest.raises(GatewayError) as raised:
        ecs_response(result(payload), "ecs:UpdateService")
    assert ErrorKind.ERROR == raised.value.kind


def test_is_error_flag_with_plain_text_is_an_error():
    """A tool error that is not JSON still becomes a GatewayError."""
    with pytest.raises(GatewayError):
        ecs_response(result("Error executing tool: boom", is_error=True), "ecs:ListTasks")


def test_call_aws_body_is_parsed_and_cleaned():
    """as_json is the API response; metadata and the server's page token are dropped."""
    body = {"Account": "123", "ResponseMetadata": {"RequestId": "x"}, "pagination_token": None}
    response = aws_response(result(call_aws_item(as_json=json.dumps(body))), "sts:X")
    assert {"Account": "123"} == response


def test_call_aws_structured_form_is_read_too():
    """The `{"result": [...]}` structured form carries the same item."""
    item = call_aws_item(as_json=json.dumps({"Vpcs": []}))
    assert {"Vpcs": []} == aws_response(result({"result": item}), "ec2:DescribeVpcs")


def test_call_aws_aws_error_code_is_classified():
    """error_code inside the response maps like boto3's error code."""
    item = call_aws_item(error="Role nope not found", status_code=404, error_code="NoSuchEntity")
    with pytest.raises(GatewayError) as raised:
        aws_response(result(item), "iam:GetRole")
    assert (ErrorKind.NOT_FOUND, "NoSuchEntity") == (raised.value.kind, raised.value.code)


def test_call_aws_policy_denial_is_access_denied():
    """READ_OPERATIONS_ONLY refusing an operation reads as denied access, with its own code."""
    item = [
        {
            "cli_command": "aws x y",
            "error": "Execution of this operation is denied by security policy.",
        }
    ]
    with pytest.raises(GatewayError) as raised:
        aws_response(result(item), "ecs:UpdateService")
    assert (ErrorKind.ACCESS_DENIED, "DeniedByMcpServer") == (
        raised.value.kind,
        raised.value.code,
    )


def test_call_aws_unparsable_aws_answer_is_an_error():
    """An execution error without an AWS code (an HTML 500 page) is a plain error."""
    item = [
        {"cli_command": "aws x y", "error": "Error while executing the command: Unable to parse"}
    ]
    with pytest.raises(GatewayError) as raised:
        aws_response(result(item), "iam:SimulatePrincipalPolicy")
    assert (ErrorKind.ERROR, "McpToolError") == (raised.value.kind, raised.value.code)


def test_call_aws_unexpected_shape_is_an_error():
    """Anything but one item is refused rather than guessed at."""
    with pytest.raises(GatewayError):
        aws_response(result([]), "ec2:DescribeVpcs")

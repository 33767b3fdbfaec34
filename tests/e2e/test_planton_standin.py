"""The Planton stand-in keeps the hosted server's contract (reference/planton-mcp.md)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import ClientSession, McpError
from mcp.client.streamable_http import streamable_http_client

from ecs_medic.lab.planton import EcsServiceSeed, PlantonServer, PlantonStore

SEED = EcsServiceSeed(
    name="orders-api",
    env="prod",
    region="us-east-1",
    account_id="123456789012",
    cluster_arn="arn:aws:ecs:us-east-1:123456789012:cluster/main",
    service_arn="arn:aws:ecs:us-east-1:123456789012:service/main/orders-api",
    cpu=512,
    memory=1024,
    image_repo="123456789012.dkr.ecr.us-east-1.amazonaws.com/orders",
    image_tag="1.4.2",
    port=8080,
    replicas=2,
    subnets=("subnet-0aa", "subnet-0bb"),
    security_groups=("sg-0a1b2c",),
)


@pytest.fixture(scope="module")
def server() -> Iterator[PlantonServer]:
    """The stand-in with one organisation and one service."""
    with PlantonServer.start(PlantonStore.from_seeds("acme", [SEED])) as running:
        yield running


async def _call(url: str, key: str, tool: str, args: dict[str, Any]) -> tuple[bool, str]:
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(headers=headers) as http,
        streamable_http_client(url, http_client=http) as (read, write, _),
        ClientSession(read, write) as session,
    ):
        await session.initialize()
        result = await session.call_tool(tool, args)
        return bool(result.isError), "".join(getattr(c, "text", "") for c in result.content)


def call(server: PlantonServer, tool: str, args: dict[str, Any], key: str = "") -> tuple[bool, str]:
    """One tools/call in a fresh session; (isError, text)."""
    return asyncio.run(_call(server.url, key or server.api_key, tool, args))


def test_health_answers_without_a_token(server):
    """GET /health is open."""
    assert (200, {"status": "ok"}) == (
        httpx.get(f"{server.url}health").status_code,
        httpx.get(f"{server.url}health").json(),
    )


def test_missing_bearer_header_is_401_plain_text(server):
    """No Authorization header: HTTP 401 with the server's sentence."""
    response = httpx.post(server.url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert (401, "missing or malformed Authorization: Bearer header") == (
        response.status_code,
        response.text,
    )


def test_wrong_key_initializes_but_every_call_fails(server):
    """A wrong key is only noticed on tools/call, with the isError sentence."""
    assert (True, "Authentication failed. Check your API key.") == call(
        server, "list_organizations", {}, key="pk_test_wrong"
    )


def mcp_errors(exc: BaseException) -> list[McpError]:
    """The McpErrors inside (nested) exception groups."""
    if isinstance(exc, BaseExceptionGroup):
        return [e for inner in exc.exceptions for e in mcp_errors(inner)]
    return [exc] if isinstance(exc, McpError) else []


def test_unknown_argument_is_invalid_params(server):
    """Input schemas forbid unknown properties: JSON-RPC -32602, not an isError result."""
    args = {"org": "acme", "env": "prod", "cloud_resource_kind": "AwsEcsService", "name": "x"}
    with pytest.raises(ExceptionGroup) as raised:  # the SDK wraps it in exception groups
        call(server, "lookup_cloud_resource", {**args, "slug": "x"})
    [error] = mcp_errors(raised.value)
    assert -32602 == error.error.code
    assert "Additional properties are not allowed" in error.error.message


def test_lookup_returns_the_search_record(server):
    """lookup_cloud_resource answers the record with id, slug, kind and readiness."""
    error, text = call(
        server,
        "lookup_cloud_resource",
        {
            "org": "acme",
            "env": "prod",
            "cloud_resource_kind": "AwsEcsService",
            "name": "orders-api",
        },
    )
    assert (False, True) == (error, '"cloud_resource_kind": "AwsEcsService"' in text)


def test_unknown_resource_is_the_not_found_sentence(server):
    """A missing resource is an isError with Planton's not-found sentence."""
    error, text = call(
        server,
        "lookup_cloud_resource",
        {"org": "acme", "env": "prod", "cloud_resource_kind": "AwsEcsService", "name": "nope"},
    )
    assert (True, True) == (error, text.endswith("not found. Verify the identifiers are correct."))


def test_apply_is_recorded_and_becomes_the_spec(server):
    """apply_cloud_resource keeps the applied object and a new succeeded stack job."""
    cloud_object = {
        "api_version": "aws.openmcf.org/v1",
        "kind": "AwsEcsService",
        "metadata": {"name": "orders-api", "org": "acme", "env": "prod"},
        "spec": {"container": {"memory": 2048}, "network": {"subnets": ["subnet-0aa"]}},
    }
    error, _ = call(server, "apply_cloud_resource", {"cloud_object": cloud_object})
    resource = server.store.find("prod", "orders-api")
    assert resource is not None
    assert (False, 2048, [{"value": "subnet-0aa"}]) == (
        error,
        resource["spec"]["cloud_object"]["spec"]["container"]["memory"],
        resource["spec"]["cloud_object"]["spec"]["network"]["subnets"],
    )
    assert cloud_object == server.store.applied[-1]

"""A Planton Cloud MCP session: connect (HTTP or stdio), check the tools, call them as JSON.

Planton answers every tool with one JSON text item; an isError result carries one sentence.
Everything that goes wrong becomes a PlantonError whose kind says whether a fallback to the
local AWS context is reasonable (unavailable, unauthorized) or not.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shlex
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from enum import StrEnum
from typing import Any, TypeVar

import anyio
import httpx
from mcp import ClientSession, McpError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

from ecs_medic.config import PlantonSettings
from ecs_medic.errors import ContextError

T = TypeVar("T")
AUTH_FAILED = "Authentication failed"


class PlantonErrorKind(StrEnum):
    """Why Planton could not help."""

    NOT_CONFIGURED = "not configured"
    UNAVAILABLE = "unreachable"
    UNAUTHORIZED = "unauthorized"
    MISSING_TOOL = "missing tool"
    NOT_FOUND = "not found"
    ERROR = "error"


class PlantonError(ContextError):
    """Planton Cloud could not give the context; the message is one sentence for the user."""

    def __init__(self, kind: PlantonErrorKind, message: str) -> None:
        super().__init__(message)
        self.kind = kind

    @property
    def falls_back(self) -> bool:
        """Whether the local AWS context may stand in (Planton down or the key refused)."""
        return self.kind in (PlantonErrorKind.UNAVAILABLE, PlantonErrorKind.UNAUTHORIZED)


class PlantonClient:
    """An open, initialized session with the tools the server offers."""

    def __init__(self, session: ClientSession, tools: frozenset[str]) -> None:
        self._session = session
        self.tools = tools

    async def call(self, tool: str, **arguments: Any) -> dict[str, Any]:
        """Call a tool and parse its JSON answer; isError results raise PlantonError."""
        try:
            result = await self._session.call_tool(tool, arguments)
        except McpError as exc:
            raise PlantonError(
                PlantonErrorKind.ERROR, f"Planton rejected {tool}: {exc.error.message}"
            ) from exc
        text = "".join(getattr(c, "text", "") for c in result.content).strip()
        if result.isError:
            raise _tool_error(tool, text)
        try:
            parsed = json.loads(text or "{}")
        except json.JSONDecodeError as exc:
            raise PlantonError(
                PlantonErrorKind.ERROR, f"Planton's {tool} answered no JSON."
            ) from exc
        if not isinstance(parsed, dict):
            raise PlantonError(PlantonErrorKind.ERROR, f"Planton's {tool} answered no JSON object.")
        return parsed


def _tool_error(tool: str, sentence: str) -> PlantonError:
    """An isError sentence as a PlantonError of the right kind."""
    lowered = sentence.lower()
    if sentence.startswith(AUTH_FAILED) or lowered.startswith("permission denied"):
        kind = PlantonErrorKind.UNAUTHORIZED
    elif "not found" in lowered:
        kind = PlantonErrorKind.NOT_FOUND
    elif "unavailable" in lowered or "timed out" in lowered:
        kind = PlantonErrorKind.UNAVAILABLE
    else:
        kind = PlantonErrorKind.ERROR
    return PlantonError(kind, f"Planton {tool}: {sentence}")


@contextlib.asynccontextmanager
async def connect(settings: PlantonSettings, needed: Iterable[str]) -> AsyncIterator[PlantonClient]:
    """An initialized client whose server offers every `needed` tool."""
    if not settings.api_key:
        raise PlantonError(
            PlantonErrorKind.NOT_CONFIGURED, "Planton is not configured: set PLANTON_API_KEY."
        )
    timeout = timedelta(seconds=settings.timeout_s)
    async with (
        _streams(settings) as (read, write),
        ClientSession(read, write, read_timeout_seconds=timeout) as session,
    ):
        await session.initialize()
        listed = await session.list_tools()
        tools = frozenset(t.name for t in listed.tools)
        missing = sorted(set(needed) - tools)
        if missing:
            raise PlantonError(
                PlantonErrorKind.MISSING_TOOL,
                f"The Planton MCP server at {where(settings)} lacks the tool(s) "
                f"{', '.join(missing)}; ecs-medic needs them (mcp-server-planton of March 2026 "
                "or newer).",
            )
        yield PlantonClient(session, tools)


@contextlib.asynccontextmanager
async def _streams(settings: PlantonSettings) -> AsyncIterator[tuple[Any, Any]]:
    """Read and write streams for HTTP (bearer token) or a stdio subprocess (key in its env)."""
    key = settings.api_key or ""
    if settings.command:
        argv = shlex.split(settings.command)
        # the SDK adds a safe base (PATH, HOME, ...); AWS credentials are not passed on
        planton_vars = {k: v for k, v in os.environ.items() if k.startswith("PLANTON_")}
        env = {**planton_vars, "PLANTON_API_KEY": key}
        params = StdioServerParameters(command=argv[0], args=argv[1:], env=env)
        async with stdio_client(params) as (read, write):
            yield read, write
        return
    timeout = httpx.Timeout(settings.timeout_s, read=settings.timeout_s * 2)
    headers = {"Authorization": f"Bearer {key}"}
    async with (
        httpx.AsyncClient(headers=headers, timeout=timeout, follow_redirects=True) as http,
        streamable_http_client(settings.url, http_client=http) as (read, write, _),
    ):
        yield read, write


def where(settings: PlantonSettings) -> str:
    """Where the server is, for messages (never the key)."""
    return f"'{settings.command}' (stdio)" if settings.command else settings.url


def run_planton(settings: PlantonSettings, work: Callable[[], Awaitable[T]]) -> T:
    """Run async Planton work to completion from sync code, with one overall time limit.

    The work runs on its own event loop in a helper thread, so this is safe to call from
    inside another event loop. Transport failures become one-sentence PlantonErrors.
    """

    async def bounded() -> T:
        with anyio.fail_after(settings.timeout_s * 2):
            return await work()

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="planton") as pool:
        try:
            return pool.submit(asyncio.run, bounded()).result()
        except Exception as exc:  # noqa: BLE001 - the Planton boundary: all becomes one sentence
            raise translate(exc, settings) from None


def translate(exc: BaseException, settings: PlantonSettings) -> PlantonError:
    """The PlantonError for whatever the MCP client raised (exception groups unwrapped)."""
    leaf = _leaf(exc)
    target = where(settings)
    if isinstance(leaf, PlantonError):
        return leaf
    if isinstance(leaf, httpx.HTTPStatusError):
        return _http_error(leaf.response.status_code, target)
    if isinstance(leaf, (httpx.TransportError, OSError, TimeoutError)):
        reason = f"is unreachable ({type(leaf).__name__})"
        return PlantonError(PlantonErrorKind.UNAVAILABLE, f"Planton at {target} {reason}.")
    if isinstance(leaf, McpError):
        reason = f"failed: {leaf.error.message}"
        return PlantonError(PlantonErrorKind.UNAVAILABLE, f"Planton at {target} {reason}")
    reason = f"failed: {type(leaf).__name__}: {leaf}"
    return PlantonError(PlantonErrorKind.ERROR, f"Planton at {target} {reason}")


def _http_error(status: int, target: str) -> PlantonError:
    """An HTTP status from the server: 401/403 mean the key, the rest an outage."""
    if status in (401, 403):
        return PlantonError(
            PlantonErrorKind.UNAUTHORIZED,
            f"Planton at {target} refused the API key (HTTP {status}): check PLANTON_API_KEY.",
        )
    return PlantonError(
        PlantonErrorKind.UNAVAILABLE, f"Planton at {target} answered HTTP {status}."
    )


def _leaf(exc: BaseException) -> BaseException:
    """The first non-group exception inside (nested) exception groups."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc

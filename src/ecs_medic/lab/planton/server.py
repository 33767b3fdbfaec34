"""The stand-in served over MCP Streamable HTTP on loopback, with Planton's bearer-token rules.

- `GET /health` answers `{"status":"ok"}` without a token.
- Any other request without `Authorization: Bearer <key>` gets HTTP 401, plain text.
- A wrong key still initializes and lists tools; every tools/call then answers the isError
  "Authentication failed. Check your API key." The key of a session is the one sent with
  `initialize`.
- Unknown tools and arguments outside a tool's schema are JSON-RPC errors -32602.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import secrets
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import anyio
import jsonschema  # type: ignore[import-untyped]  # no stubs published for it
import uvicorn
from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import McpError
from starlette.types import Message, Receive, Scope, Send

from ecs_medic.lab.errors import LabError
from ecs_medic.lab.planton.records import PlantonStore
from ecs_medic.lab.planton.tools import TOOLS, ToolError, ToolSpec

HOST = "127.0.0.1"
AUTH_FAILED = "Authentication failed. Check your API key."
MALFORMED = b"missing or malformed Authorization: Bearer header"
_BEARER = re.compile(r"^Bearer (\S+)$")


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One tools/call as the stand-in received it (for tests that audit what was sent)."""

    tool: str
    arguments: dict[str, Any]
    authorized: bool


def new_api_key() -> str:
    """A fresh test API key."""
    return f"pk_test_{secrets.token_hex(16)}"


@dataclass
class _Sessions:
    """The API key each MCP session was initialized with."""

    keys: dict[str, str] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def remember(self, session_id: str, key: str) -> None:
        with self.lock:
            self.keys.setdefault(session_id, key)

    def key(self, session_id: str | None, fallback: str) -> str:
        with self.lock:
            return self.keys.get(session_id or "", fallback)


class PlantonServer:
    """A running stand-in. Start with `PlantonServer.start(store)`; stop with `stop()`."""

    def __init__(self, store: PlantonStore, api_key: str, without: Iterable[str] = ()) -> None:
        self.store = store
        self.api_key = api_key
        self.tools = tuple(t for t in TOOLS if t.name not in set(without))
        self.calls: list[RecordedCall] = []
        self._sessions = _Sessions()
        self._mcp = self._build_mcp()
        self._manager = StreamableHTTPSessionManager(app=self._mcp)
        self._uvicorn: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.url = ""

    @classmethod
    def start(
        cls,
        store: PlantonStore,
        *,
        api_key: str | None = None,
        port: int = 0,
        without: Iterable[str] = (),
    ) -> PlantonServer:
        """Serve `store` on 127.0.0.1:`port` (0: any free port) until `stop()`.

        `without` leaves tools out, as an older server would.
        """
        server = cls(store, api_key or new_api_key(), without)
        server._serve(port)
        return server

    @property
    def env(self) -> dict[str, str]:
        """What a user exports to point ecs-medic at this stand-in."""
        envs = sorted({r["metadata"]["env"] for r in self.store.resources.values()})
        exports = {
            "PLANTON_MCP_URL": self.url,
            "PLANTON_API_KEY": self.api_key,
            "PLANTON_ORG": self.store.org,
        }
        if len(envs) == 1:
            exports["PLANTON_ENV"] = envs[0]
        return exports

    # --- MCP ------------------------------------------------------------------------------

    def _build_mcp(self) -> Server[Any, Any]:
        mcp: Server[Any, Any] = Server("planton-cloud-standin")
        tools = {t.name: t for t in self.tools}

        @mcp.list_tools()  # type: ignore[no-untyped-call, untyped-decorator]
        async def list_tools() -> list[types.Tool]:
            return [
                types.Tool(name=t.name, description=t.description, inputSchema=t.input_schema)
                for t in self.tools
            ]

        async def call_tool(request: types.CallToolRequest) -> types.ServerResult:
            name, args = request.params.name, dict(request.params.arguments or {})
            spec = tools.get(name)
            if spec is None:
                raise McpError(
                    types.ErrorData(code=types.INVALID_PARAMS, message=f"unknown tool {name!r}")
                )
            _validate(spec, args)
            authorized = self._authorized(mcp)
            self.calls.append(RecordedCall(name, json.loads(json.dumps(args)), authorized))
            if not authorized:
                return _error(AUTH_FAILED)
            try:
                answer = spec.handler(self.store, args)
            except ToolError as exc:
                return _error(str(exc))
            text = json.dumps(answer, indent=2)
            return types.ServerResult(
                types.CallToolResult(content=[types.TextContent(type="text", text=text)])
            )

        mcp.request_handlers[types.CallToolRequest] = call_tool
        return mcp

    def _authorized(self, mcp: Server[Any, Any]) -> bool:
        request = mcp.request_context.request
        if request is None:  # stdio: the key was read once from the environment
            sent = os.environ.get("PLANTON_API_KEY", "")
            return secrets.compare_digest(sent, self.api_key)
        headers = getattr(request, "headers", {})
        sent = _bearer(headers.get("authorization", "")) or ""
        return secrets.compare_digest(
            self._sessions.key(headers.get("mcp-session-id"), sent), self.api_key
        )

    # --- HTTP -----------------------------------------------------------------------------

    async def _app(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI app: lifespan, /health, the bearer check, then MCP."""
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        if scope["path"] == "/health" and scope["method"] == "GET":
            await _respond(send, 200, b'{"status":"ok"}', b"application/json")
            return
        headers = {k.decode().lower(): v.decode() for k, v in scope.get("headers", [])}
        key = _bearer(headers.get("authorization", ""))
        if key is None:
            await _respond(send, 401, MALFORMED, b"text/plain; charset=utf-8")
            return
        if "mcp-session-id" not in headers:
            send = self._capturing_session(send, key)
        await self._manager.handle_request(scope, receive, send)

    def _capturing_session(self, send: Send, key: str) -> Send:
        """Wrap `send` to remember the key of the session an initialize response opens."""

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                for name, value in message.get("headers", []):
                    if name.decode().lower() == "mcp-session-id":
                        self._sessions.remember(value.decode(), key)
            await send(message)

        return capture

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        async with self._running():
            await receive()
            await send({"type": "lifespan.startup.complete"})
            await receive()
        await send({"type": "lifespan.shutdown.complete"})

    @contextlib.asynccontextmanager
    async def _running(self) -> AsyncIterator[None]:
        async with self._manager.run():
            yield

    def _serve(self, port: int) -> None:
        # The SDK logs a traceback whenever a client closes its SSE stream; that is normal here.
        logging.getLogger("mcp.server.streamable_http").setLevel(logging.CRITICAL)
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError as exc:
            sock.close()
            raise LabError(f"Planton stand-in: cannot listen on {HOST}:{port}: {exc}") from exc
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            interface="asgi3",
            timeout_graceful_shutdown=1,
        )
        self._uvicorn = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._uvicorn.run,
            kwargs={"sockets": [sock]},
            name="planton-standin",
            daemon=True,
        )
        self._thread.start()
        self.url = f"http://{HOST}:{sock.getsockname()[1]}/"
        deadline = time.monotonic() + 10
        while not self._uvicorn.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise LabError("Planton stand-in did not start within 10 s.")
            time.sleep(0.02)

    def serve_stdio(self) -> None:
        """Serve over stdin/stdout until the client closes them (as `mcp-server-planton`)."""
        from mcp.server.stdio import stdio_server  # noqa: PLC0415

        async def run() -> None:
            async with stdio_server() as (read, write):
                options = self._mcp.create_initialization_options()
                await self._mcp.run(read, write, options)

        anyio.run(run)

    def stop(self) -> None:
        """Stop serving."""
        if self._uvicorn is not None:
            self._uvicorn.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> PlantonServer:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _bearer(header: str) -> str | None:
    match = _BEARER.match(header.strip())
    return match[1] if match else None


def _validate(spec: ToolSpec, args: dict[str, Any]) -> None:
    """Reject arguments outside the tool's schema the way the Go SDK does (-32602)."""
    try:
        jsonschema.validate(args, spec.input_schema)
    except jsonschema.ValidationError as exc:
        message = f"invalid params: {exc.message}"
        raise McpError(types.ErrorData(code=types.INVALID_PARAMS, message=message)) from exc


def _error(sentence: str) -> types.ServerResult:
    return types.ServerResult(
        types.CallToolResult(content=[types.TextContent(type="text", text=sentence)], isError=True)
    )


async def _respond(send: Send, status: int, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", content_type)],
        }
    )
    await send({"type": "http.response.body", "body": body})

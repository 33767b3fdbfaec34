"""Persistent MCP sessions with stdio servers, driven from synchronous threads.

The Gateway is synchronous and called from the collector's worker threads, while the MCP
SDK is asyncio. One daemon thread runs one event loop for the whole run; each server is one
subprocess whose session is held open by one task on that loop (anyio requires a context to
be exited by the task that entered it). Threads submit tool calls with
`run_coroutine_threadsafe`; the SDK matches responses to requests by id, so concurrent calls
on one session are safe.
"""

from __future__ import annotations

import asyncio
import tempfile
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import timedelta
from typing import Any, TextIO, TypeVar

import anyio
from mcp import ClientSession, McpError, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.types import CallToolResult

from ecs_medic.aws.mcp_servers import ServerSpec

T = TypeVar("T")


class ServerFailureError(Exception):
    """The server did not start, died, or did not answer in time (not an AWS error)."""

    def __init__(self, label: str, what: str, detail: str = "") -> None:
        super().__init__(f"{label} MCP server {what}" + (f": {detail}" if detail else ""))
        self.what = what


class EventLoopThread:
    """One asyncio loop in a daemon thread; `run` waits for a coroutine from any thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="ecs-medic-mcp", daemon=True
        )
        self._thread.start()

    def submit(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedule `coro` on the loop."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, T], timeout_s: float) -> T:
        """Run `coro` on the loop and wait at most `timeout_s`; cancel it when that passes."""
        future = self.submit(coro)
        try:
            return future.result(timeout_s)
        except FutureTimeout:
            future.cancel()
            raise

    def stop(self) -> None:
        """Stop the loop and wait for its thread."""
        if self.loop.is_running():
            self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)


class ServerSession:
    """One server subprocess and its MCP session, alive from `start` to `close`."""

    def __init__(self, spec: ServerSpec) -> None:
        self.spec = spec
        self._session: ClientSession | None = None
        self._ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stderr: TextIO = tempfile.TemporaryFile(mode="w+", encoding="utf-8")  # noqa: SIM115

    async def start(self, timeout_s: float) -> None:
        """Start the subprocess and initialize the session; ServerFailureError when it cannot."""
        self._task = asyncio.create_task(self._hold(), name=f"mcp-{self.spec.label}")
        ready = asyncio.create_task(self._ready.wait())
        done, _ = await asyncio.wait(
            {self._task, ready}, timeout=timeout_s, return_when="FIRST_COMPLETED"
        )
        if ready in done:
            return
        ready.cancel()
        if self._task in done:
            raise ServerFailureError(self.spec.label, "failed to start", self._why())
        await self.close()
        raise ServerFailureError(self.spec.label, "did not start in time", f"{timeout_s:.0f} s")

    async def _hold(self) -> None:
        params = StdioServerParameters(
            command=self.spec.command, args=list(self.spec.args), env=dict(self.spec.env)
        )
        async with (
            stdio_client(params, errlog=self._stderr) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            self._session = session
            self._ready.set()
            await self._closing.wait()

    async def call(self, tool: str, arguments: dict[str, Any], timeout_s: float) -> CallToolResult:
        """One tool call; ServerFailureError when the server is gone or does not answer in time."""
        if self._session is None or self._task is None or self._task.done():
            raise ServerFailureError(self.spec.label, "is not running", self._why())
        try:
            return await self._session.call_tool(
                tool, arguments, read_timeout_seconds=timedelta(seconds=timeout_s)
            )
        except McpError as exc:
            what = "timed out" if "timed out" in str(exc).lower() else "stopped answering"
            raise ServerFailureError(self.spec.label, what, str(exc)[:200]) from exc
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError) as exc:
            raise ServerFailureError(self.spec.label, "died", self._why()) from exc

    async def close(self) -> None:
        """End the session; leaving the stdio context terminates the subprocess."""
        self._closing.set()
        if self._task is not None and not self._task.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._task), timeout=5)
            except (TimeoutError, Exception):  # noqa: BLE001 - a server that will not stop is killed
                self._task.cancel()
        self._stderr.close()

    def _why(self) -> str:
        """The last line the server wrote to stderr, else the task's error."""
        if line := self._last_stderr_line():
            return line
        if self._task is not None and self._task.done() and not self._task.cancelled():
            error = self._task.exception()
            if error is not None:
                return _describe(error)
        return ""

    def _last_stderr_line(self) -> str:
        try:
            self._stderr.seek(0)
            lines = [line.strip() for line in self._stderr.read().splitlines() if line.strip()]
        except (OSError, ValueError):
            return ""
        return lines[-1][:200] if lines else ""


def _describe(error: BaseException) -> str:
    """A one-line reason from an exception or a (nested) exception group."""
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return f"{type(error).__name__}: {error}"[:200]

"""The mcp transport: evidence reads through the awslabs AWS MCP servers.

ECS reads go to the ECS server's `ecs_resource_management`; every other service to the AWS
API server's `call_aws` as a CLI command. Each server is one subprocess with one session for
the whole run. A server that fails to start, dies or times out is restarted once; when it
fails again its reads go through the direct transport for the rest of the run, recorded as a
gap and as the transport "mcp+direct".
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field
from typing import Any

import boto3

from ecs_medic.aws import mcp_results
from ecs_medic.aws.direct_transport import make_session
from ecs_medic.aws.gateway import ErrorKind, Gateway, GatewayError, source_name
from ecs_medic.aws.mcp_cli import CliMappingError, cli_command
from ecs_medic.aws.mcp_provision import ProvisionError, servers_root
from ecs_medic.aws.mcp_servers import (
    AwsEnv,
    McpConfigError,
    ServerRole,
    ServerSpec,
    build_spec,
    default_command,
    load_config,
)
from ecs_medic.aws.mcp_session import EventLoopThread, ServerFailureError, ServerSession
from ecs_medic.aws.snapshot import Gap
from ecs_medic.config import Settings
from ecs_medic.errors import ContextError

SpecFactory = Callable[[ServerRole], ServerSpec]

# The reads ecs_resource_management serves without ALLOW_WRITE (ecs-mcp-server 0.1.37:
# Describe*/List* of its supported operations); other ECS reads go through call_aws.
ECS_SERVER_READS = frozenset(
    {
        "DescribeCapacityProviders",
        "DescribeClusters",
        "DescribeContainerInstances",
        "DescribeServiceDeployments",
        "DescribeServiceRevisions",
        "DescribeServices",
        "DescribeTaskDefinition",
        "DescribeTaskSets",
        "DescribeTasks",
        "ListAccountSettings",
        "ListAttributes",
        "ListClusters",
        "ListContainerInstances",
        "ListServiceDeployments",
        "ListServices",
        "ListServicesByNamespace",
        "ListTagsForResource",
        "ListTaskDefinitionFamilies",
        "ListTaskDefinitions",
        "ListTasks",
    }
)
# Reads neither server will make: ecs_resource_management does not offer GetTaskProtection,
# and the AWS API server's bundled metadata (all it has offline) does not list it as a read,
# so with READ_OPERATIONS_ONLY it refuses it. These go through the direct transport.
DIRECT_READS = frozenset({("ecs", "GetTaskProtection")})
# AWS's codes for expired temporary credentials: the servers restart on the refreshed ones
EXPIRED_CODES = frozenset({"ExpiredToken", "ExpiredTokenException", "RequestExpired"})


@dataclass(frozen=True, slots=True)
class McpTimeouts:
    """How long to wait for a server to start and for one tool call."""

    start_s: float = 60.0
    call_s: float = 30.0


@dataclass(frozen=True, slots=True)
class McpPool:
    """How many processes of each server to run; calls are spread over them in turn.

    Each server runs its calls one at a time, and call_aws costs about 100 ms of the server's
    CPU per call, so a second AWS API server lets the collector's parallel reads overlap.
    """

    ecs: int = 1
    aws_api: int = 2

    def size(self, role: ServerRole) -> int:
        """The number of processes for `role` (at least one)."""
        return max(1, self.ecs if role is ServerRole.ECS else self.aws_api)


@dataclass(frozen=True, slots=True)
class _Read:
    """One read: the API operation and the MCP tool call that answers it."""

    service: str
    operation: str
    params: Mapping[str, Any] | None
    source: str
    role: ServerRole
    tool: str
    args: dict[str, Any]


@dataclass
class _Slot:
    """One server's state: its session, how often it failed, whether it was given up."""

    role: ServerRole
    session: ServerSession | None = None
    generation: int = 0
    failures: int = 0
    given_up: bool = False
    reason: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


class McpGateway:
    """A Gateway over the AWS MCP servers, with the direct transport as the fallback."""

    def __init__(
        self,
        specs: SpecFactory,
        direct: Gateway,
        timeouts: McpTimeouts | None = None,
        pool: McpPool | None = None,
    ) -> None:
        self._specs = specs
        self._direct = direct
        self._timeouts = timeouts or McpTimeouts()
        self._loop = EventLoopThread()
        pool = pool or McpPool()
        self._pools = {role: [_Slot(role) for _ in range(pool.size(role))] for role in ServerRole}
        self._turns = itertools.count()
        self._gaps: list[Gap] = []
        self._lock = threading.Lock()
        self._calls = 0
        self._closed = False
        atexit.register(self.close)

    # -- Gateway ------------------------------------------------------------------------

    @property
    def transport(self) -> str:
        """The name: mcp, or mcp+direct once a server's reads went to the direct transport."""
        return "mcp+direct" if self.gaps else "mcp"

    @property
    def api_calls(self) -> int:
        """Reads made so far, through either transport."""
        return self._calls

    @property
    def gaps(self) -> tuple[Gap, ...]:
        """What went wrong with the servers themselves (not with AWS)."""
        with self._lock:
            return tuple(self._gaps)

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run one read through its server; a broken server means restart, then direct."""
        source = source_name(service, operation)
        with self._lock:
            self._calls += 1
        if (service, operation) in DIRECT_READS:
            return self._direct.call(service, operation, params)
        read = _Read(service, operation, params, source, *route_call(service, operation, params))
        try:
            return self._read(read)
        except GatewayError as exc:
            if exc.code not in EXPIRED_CODES:
                raise
        self._recycle(read.role)  # the servers' credentials expired: start them on fresh ones
        return self._read(read)

    def _read(self, read: _Read) -> dict[str, Any]:
        """One tool call parsed as the API response; direct once the role's servers are gone."""
        result = self._call_tool(read.role, read.tool, read.args)
        if result is None:
            self._fell_back(read.role, read.source)
            return self._direct.call(read.service, read.operation, read.params)
        if read.role is ServerRole.ECS:
            return mcp_results.ecs_response(result, read.source)
        return mcp_results.aws_response(result, read.source)

    # -- servers ------------------------------------------------------------------------

    def start(self, roles: Iterable[ServerRole] = tuple(ServerRole)) -> None:
        """Start these servers now, in parallel, instead of on their first call."""
        threads = [
            threading.Thread(target=self._session, args=(slot,), daemon=True)
            for role in roles
            for slot in self._pools[role]
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _all_slots(self) -> list[_Slot]:
        return [slot for slots in self._pools.values() for slot in slots]

    def _next_slot(self, role: ServerRole) -> _Slot:
        """The role's processes in turn; a process given up is skipped while another lives."""
        slots = self._pools[role]
        turn = next(self._turns)
        ordered = slots[turn % len(slots) :] + slots[: turn % len(slots)]
        return next((s for s in ordered if not s.given_up), ordered[0])

    def _call_tool(self, role: ServerRole, tool: str, args: dict[str, Any]) -> Any:
        """The tool's result, or None when every process of the role was given up."""
        while True:
            slot = self._next_slot(role)
            session, generation = self._session(slot)
            if session is None:
                if all(s.given_up for s in self._pools[role]):
                    return None
                continue
            try:
                return self._loop.run(
                    session.call(tool, args, self._timeouts.call_s), self._timeouts.call_s + 5
                )
            except (ServerFailureError, FutureTimeout) as exc:
                self._failed(slot, generation, failure_reason(exc, session.spec.label))

    def _session(self, slot: _Slot) -> tuple[ServerSession | None, int]:
        """The slot's live session, started on first use; (None, _) once given up."""
        with slot.lock:
            while slot.session is None and not slot.given_up:
                try:
                    slot.session = self._start(slot.role)
                except (ServerFailureError, ProvisionError, McpConfigError, FutureTimeout) as exc:
                    self._record_failure(slot, failure_reason(exc, slot.role.value))
            return slot.session, slot.generation

    def _start(self, role: ServerRole) -> ServerSession:
        if self._closed:
            raise ServerFailureError(role.value, "was not started", "the gateway is closed")
        session = ServerSession(self._specs(role))
        timeout = self._timeouts.start_s
        self._loop.run(session.start(timeout), timeout + 10)
        return session

    def _recycle(self, role: ServerRole) -> None:
        """Stop the role's servers without counting a failure; the next call starts them anew."""
        for slot in self._pools[role]:
            with slot.lock:
                old, slot.session = slot.session, None
                slot.generation += 1
            if old is not None:
                self._stop(old)

    def _failed(self, slot: _Slot, generation: int, reason: str) -> None:
        """A call found the server broken: drop it (another thread may already have)."""
        with slot.lock:
            if slot.generation != generation or slot.session is None:
                return
            old, slot.session = slot.session, None
            self._record_failure(slot, reason)
        self._stop(old)

    def _record_failure(self, slot: _Slot, reason: str) -> None:
        """Count a failure (slot.lock held); the second one gives the process up."""
        slot.generation += 1
        slot.failures += 1
        slot.reason = reason
        slot.given_up = slot.failures >= 2

    def _fell_back(self, role: ServerRole, source: str) -> None:
        """Record, once per server, that its reads now use the direct transport."""
        reasons = [s.reason for s in self._pools[role] if s.reason]
        detail = f"{reasons[-1] if reasons else 'failed'}; restarted once, then its reads used "
        detail += "the direct transport"
        gap = Gap(f"mcp:{role.value}", "McpServerFailed", detail[:300], source)
        with self._lock:
            if all(g.source != gap.source for g in self._gaps):
                self._gaps.append(gap)

    def _stop(self, session: ServerSession) -> None:
        with contextlib.suppress(FutureTimeout):
            self._loop.run(session.close(), 10)

    def close(self) -> None:
        """Stop the servers and the loop; the gateway falls back to direct afterwards."""
        if self._closed:
            return
        self._closed = True
        sessions = []
        for slot in self._all_slots():
            with slot.lock:
                if slot.session is not None:
                    sessions.append(slot.session)
                slot.session = None
        with contextlib.suppress(FutureTimeout):
            self._loop.run(_close_all(sessions), 15)
        self._loop.stop()
        atexit.unregister(self.close)


async def _close_all(sessions: list[ServerSession]) -> None:
    """Close several sessions at once (each may take a second or two to exit)."""
    await asyncio.gather(*(session.close() for session in sessions))


def route_call(
    service: str,
    operation: str,
    params: Mapping[str, Any] | None,
    ecs_operations: frozenset[str] = ECS_SERVER_READS,
) -> tuple[ServerRole, str, dict[str, Any]]:
    """The server, tool and arguments for one call: `ecs_operations` to the ECS server.

    Every other call goes to the AWS API server's call_aws as a CLI command.
    """
    if service == "ecs" and operation in ecs_operations:
        arguments = {"api_operation": operation, "api_params": dict(params or {})}
        return ServerRole.ECS, "ecs_resource_management", arguments
    try:
        command = cli_command(service, operation, params)
    except CliMappingError as exc:
        source = source_name(service, operation)
        raise GatewayError(source, ErrorKind.ERROR, "CliMapping", str(exc)) from exc
    return ServerRole.AWS_API, "call_aws", {"cli_command": command}


def failure_reason(exc: BaseException, label: str) -> str:
    """Why a server call or start failed, in one phrase (a timeout names the server)."""
    if isinstance(exc, FutureTimeout):
        return f"{label} MCP server timed out"
    return str(exc)


def open_mcp_gateway(settings: Settings, direct: Gateway, region: str) -> McpGateway:
    """An McpGateway with both servers started, on the same credentials as `direct`."""
    timeouts = McpTimeouts(settings.mcp.start_timeout_s, settings.mcp.call_timeout_s)
    pool = McpPool(aws_api=settings.mcp.api_servers)
    gateway = McpGateway(spec_factory(settings, direct, region), direct, timeouts, pool)
    gateway.start()
    return gateway


def spec_factory(
    settings: Settings, direct: Gateway, region: str, *, write: bool = False
) -> SpecFactory:
    """How to start each server: the user's override or the pinned one, with credentials.

    The credentials are frozen from `direct`'s session at each server start (so a restart
    after expiry gets the refreshed ones) and handed to the servers in their subprocess
    environment only. `write` is for the apply step's own sessions.
    """
    try:
        overrides = load_config(settings.mcp.config_file)
    except McpConfigError as exc:
        raise ContextError(str(exc)) from exc
    _aws_env(settings, direct, region)  # a profile problem is a clear error now, not later
    root = servers_root(settings.mcp.servers_dir, os.environ)
    work_dir = settings.state_dir / "mcp-work"

    def spec(role: ServerRole) -> ServerSpec:
        aws = _aws_env(settings, direct, region)
        command = overrides.get(role) or default_command(role, root)
        return build_spec(role, command, aws, work_dir, write=write)

    return spec


def _aws_env(settings: Settings, direct: Gateway, region: str) -> AwsEnv:
    """The direct gateway's credentials (e.g. an assumed role), frozen for the servers' env."""
    session = getattr(direct, "session", None)
    if not isinstance(session, boto3.Session):
        try:
            session = make_session(settings.aws.profile)
        except GatewayError as exc:
            raise ContextError(f"AWS profile problem: {exc.message}") from exc
    credentials = session.get_credentials()
    frozen = credentials.get_frozen_credentials() if credentials else None
    return AwsEnv(
        region=region,
        endpoint_url=settings.aws.endpoint_url,
        access_key_id=frozen.access_key if frozen else None,
        secret_access_key=frozen.secret_key if frozen else None,
        session_token=frozen.token if frozen else None,
    )

"""The apply step's gateway over the AWS MCP servers: write-enabled sessions, opened late.

The evidence sessions (mcp_transport) never write. After approval the apply (or rollback)
step opens this gateway: its own ECS server started with ALLOW_WRITE=true, and, only when a
change touches another service (IAM, EC2 security groups, ELBv2, Logs...), its own AWS API
server without READ_OPERATIONS_ONLY. It is closed when the step ends.

There is no fallback to boto3 for writes: a write server that does not start, dies or
times out fails the call with a clear GatewayError, so the action fails and is rolled back
or reported, and nothing is changed behind the user's choice of transport. A call is never
retried either: a timed-out write may have happened, and the audit log says what was sent.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from ecs_medic.aws import mcp_results
from ecs_medic.aws.gateway import ErrorKind, Gateway, GatewayError, source_name
from ecs_medic.aws.mcp_provision import ProvisionError
from ecs_medic.aws.mcp_servers import McpConfigError, ServerRole
from ecs_medic.aws.mcp_session import EventLoopThread, ServerFailureError, ServerSession
from ecs_medic.aws.mcp_transport import (
    ECS_SERVER_READS,
    McpTimeouts,
    SpecFactory,
    failure_reason,
    route_call,
    spec_factory,
)
from ecs_medic.config import Settings

# The writes ecs_resource_management offers (ecs-mcp-server 0.1.37, SUPPORTED_ECS_OPERATIONS
# minus Describe*/List*); other ECS operations go through call_aws.
ECS_SERVER_WRITES = frozenset(
    {
        "CreateCapacityProvider", "CreateCluster", "CreateService", "CreateTaskSet",
        "DeleteAccountSetting", "DeleteAttributes", "DeleteCapacityProvider", "DeleteCluster",
        "DeleteService", "DeleteTaskDefinitions", "DeleteTaskSet", "DeregisterContainerInstance",
        "DeregisterTaskDefinition", "ExecuteCommand", "GetTaskProtection", "PutAccountSetting",
        "PutAccountSettingDefault", "PutAttributes", "PutClusterCapacityProviders",
        "RegisterContainerInstance", "RegisterTaskDefinition", "RunTask", "StartTask",
        "StopTask", "SubmitAttachmentStateChanges", "SubmitContainerStateChange",
        "SubmitTaskStateChange", "TagResource", "UntagResource", "UpdateCapacityProvider",
        "UpdateCluster", "UpdateClusterSettings", "UpdateContainerAgent",
        "UpdateContainerInstancesState", "UpdateService", "UpdateServicePrimaryTaskSet",
        "UpdateTaskProtection", "UpdateTaskSet",
    }
)  # fmt: skip
# The write sessions also serve the reads a write depends on.
ECS_SERVER_OPERATIONS = ECS_SERVER_WRITES | ECS_SERVER_READS
WRITE_FAILED = "McpWriteServerFailed"


class McpWriteGateway:
    """A Gateway for one apply or rollback step, over write-enabled MCP server sessions."""

    def __init__(self, specs: SpecFactory, timeouts: McpTimeouts | None = None) -> None:
        self._specs = specs
        self._timeouts = timeouts or McpTimeouts()
        self._loop = EventLoopThread()
        self._sessions: dict[ServerRole, ServerSession] = {}
        self._failed: dict[ServerRole, str] = {}
        self._lock = threading.Lock()
        self._calls = 0
        self._closed = False

    @property
    def transport(self) -> str:
        """Always "mcp": writes never fall back to boto3."""
        return "mcp"

    @property
    def api_calls(self) -> int:
        """Calls made through the write sessions."""
        return self._calls

    @property
    def roles(self) -> tuple[ServerRole, ...]:
        """The servers this gateway started (the ECS one, and the AWS API one if needed)."""
        return tuple(self._sessions)

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run one call (a write, or the read a write depends on) through its write server."""
        source = source_name(service, operation)
        with self._lock:
            self._calls += 1
        role, tool, args = route_call(service, operation, params, ECS_SERVER_OPERATIONS)
        session = self._session(role, source)
        try:
            result = self._loop.run(
                session.call(tool, args, self._timeouts.call_s), self._timeouts.call_s + 5
            )
        except (ServerFailureError, FutureTimeout) as exc:
            raise self._broken(role, source, failure_reason(exc, session.spec.label)) from exc
        if role is ServerRole.ECS:
            return mcp_results.ecs_response(result, source, keep_environment=True)
        return mcp_results.aws_response(result, source, keep_environment=True)

    def start(self) -> None:
        """Start the ECS write server now (every plan touches ECS); raise GatewayError if not."""
        self._session(ServerRole.ECS, "mcp:start")

    def _session(self, role: ServerRole, source: str) -> ServerSession:
        """The role's write session, started on first use; a failed one is not restarted."""
        with self._lock:
            if role in self._sessions:
                return self._sessions[role]
            if role in self._failed:
                raise _error(source, self._failed[role])
            try:
                session = self._start(role)
            except (ServerFailureError, ProvisionError, McpConfigError, FutureTimeout) as exc:
                reason = failure_reason(exc, role.value)
                self._failed[role] = reason
                raise _error(source, reason) from exc
            self._sessions[role] = session
            return session

    def _start(self, role: ServerRole) -> ServerSession:
        if self._closed:
            raise ServerFailureError(role.value, "was not started", "the write gateway is closed")
        session = ServerSession(self._specs(role))
        timeout = self._timeouts.start_s
        self._loop.run(session.start(timeout), timeout + 10)
        return session

    def _broken(self, role: ServerRole, source: str, reason: str) -> GatewayError:
        """Drop a session that failed mid-call; later calls for it fail at once."""
        with self._lock:
            session = self._sessions.pop(role, None)
            self._failed[role] = reason
        if session is not None:
            with contextlib.suppress(FutureTimeout):
                self._loop.run(session.close(), 10)
        return _error(source, f"{reason}; the outcome of this call is unknown")

    def close(self) -> None:
        """Stop the write servers and the loop; safe to repeat."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            sessions = list(self._sessions.values())
            self._sessions.clear()
        for session in sessions:
            with contextlib.suppress(FutureTimeout):
                self._loop.run(session.close(), 10)
        self._loop.stop()


def _error(source: str, reason: str) -> GatewayError:
    """The clear error of a write server that cannot be used (never a silent boto3 write)."""
    message = (
        f"the write-enabled MCP server is not usable ({reason}); the change was not made "
        "through boto3 either (use --transport direct to apply with boto3)"
    )
    return GatewayError(source, ErrorKind.UNAVAILABLE, WRITE_FAILED, message)


def open_mcp_write_gateway(settings: Settings, direct: Gateway, region: str) -> McpWriteGateway:
    """A write gateway on `direct`'s credentials; its servers start on first use."""
    timeouts = McpTimeouts(settings.mcp.start_timeout_s, settings.mcp.call_timeout_s)
    return McpWriteGateway(spec_factory(settings, direct, region, write=True), timeouts)

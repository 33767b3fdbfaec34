"""The run context passed to every node: settings and the AWS connector (not state)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

from ecs_medic.aws.gateway import Gateway
from ecs_medic.aws.snapshot import Gap
from ecs_medic.config import Settings
from ecs_medic.context.credentials import open_gateway, open_planton_gateway
from ecs_medic.context.target import Target
from ecs_medic.report.model import ContextInfo


@dataclass
class AwsConnector:
    """Opens the gateway once per run and keeps it (and its credentials) out of the state."""

    settings: Settings
    _gateway: Gateway | None = field(default=None, init=False)
    _region: str = field(default="", init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _installed: Gateway | None = field(default=None, init=False)  # on Planton's account
    _writer: Gateway | None = field(default=None, init=False)  # open during apply/rollback

    def gateway(self) -> Gateway:
        """The run's gateway, opened on first use from the local AWS chain."""
        with self._lock:
            if self._gateway is None:
                direct, self._region = open_gateway(self.settings)
                self._gateway = self._transport_over(direct)
            return self._gateway

    def install(self, direct: Gateway, region: str) -> None:
        """Use this boto3 gateway (e.g. on the role Planton names) instead of the local chain."""
        self.close()  # a gateway opened earlier (e.g. by intake) must not leak its servers
        with self._lock:
            self._region = region
            self._installed = direct
            self._gateway = self._transport_over(direct)

    def reconnect(self, info: ContextInfo | None, target: Target, run_id: str) -> None:
        """On a resumed run, act on Planton's account again: assume its role anew.

        A run resumed in another process has only the checkpoint (never credentials); a
        Planton-context fix must not fall back to the local chain's account. No-op when this
        process already holds a gateway.
        """
        if info is None or info.source != "planton" or self._gateway is not None:
            return
        direct, region, _ = open_planton_gateway(
            self.settings,
            account_id=target.account_id,
            region=target.region,
            role_arn=info.role_arn,
            run_id=run_id,
        )
        self.install(direct, region)

    def _transport_over(self, direct: Gateway) -> Gateway:
        """The configured transport: the AWS MCP servers (direct as their fallback), or direct."""
        if self.settings.transport != "mcp":
            return direct
        from ecs_medic.aws.mcp_transport import open_mcp_gateway  # noqa: PLC0415 - heavy import

        return open_mcp_gateway(self.settings, direct, self._region)

    @property
    def transport_gaps(self) -> tuple[Gap, ...]:
        """What went wrong with the transport itself, e.g. an MCP server given up."""
        return tuple(getattr(self._gateway, "gaps", ()))

    def close(self) -> None:
        """Stop what the gateways started (the MCP server subprocesses); safe to repeat."""
        for gateway in (self._writer, self._gateway):
            close = getattr(gateway, "close", None)
            if callable(close):
                close()

    @property
    def region(self) -> str:
        """The region the gateway talks to."""
        self.gateway()
        return self._region

    @contextlib.contextmanager
    def writes(self) -> Iterator[Gateway]:
        """A write-enabled gateway for one apply or rollback step, closed when the step ends.

        mcp: separate MCP server sessions started with writes enabled (the evidence sessions
        stay read-only); direct: boto3. Same credentials as the reads (Planton's role, if any).
        """
        from ecs_medic.remedies.planton_apply import PlantonGateway, PlantonRouter  # noqa: PLC0415

        def planton() -> Gateway:  # Planton-owned fields change through Planton (planton_plan)
            return PlantonGateway(self.settings.planton)

        direct = self._write_direct()
        if self.settings.transport != "mcp":
            yield PlantonRouter(direct, planton)
            return
        from ecs_medic.aws.mcp_write import open_mcp_write_gateway  # noqa: PLC0415 - heavy

        writer = open_mcp_write_gateway(self.settings, direct, self.region)
        self._writer = writer
        try:
            yield PlantonRouter(writer, planton)
        finally:
            self._writer = None
            writer.close()

    def _write_direct(self) -> Gateway:
        """boto3 on the run's account: Planton's role when installed, else the local chain."""
        if self._installed is not None:
            return self._installed
        gateway, _ = open_gateway(self.settings)
        return gateway

    @property
    def api_calls(self) -> int:
        """Calls made so far by this run's gateway (0 before it opens)."""
        return self._gateway.api_calls if self._gateway else 0

    @property
    def transport(self) -> str:
        """The transport in use, or the configured one before the gateway opens."""
        return self._gateway.transport if self._gateway else self.settings.transport


@dataclass(frozen=True)
class RunContext:
    """Per-run dependencies, given to `graph.invoke(..., context=...)`."""

    settings: Settings
    aws: AwsConnector
    thread_id: str = ""

"""The run context passed to every node: settings and the AWS connector (not state)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from ecs_medic.aws.gateway import Gateway
from ecs_medic.aws.snapshot import Gap
from ecs_medic.config import Settings
from ecs_medic.context.credentials import open_gateway


@dataclass
class AwsConnector:
    """Opens the gateway once per run and keeps it (and its credentials) out of the state."""

    settings: Settings
    _gateway: Gateway | None = field(default=None, init=False)
    _region: str = field(default="", init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _installed: Gateway | None = field(default=None, init=False)  # on Planton's account

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
        """Stop what the gateway started (the MCP server subprocesses); safe to repeat."""
        close = getattr(self._gateway, "close", None)
        if callable(close):
            close()

    @property
    def region(self) -> str:
        """The region the gateway talks to."""
        self.gateway()
        return self._region

    def write_gateway(self) -> Gateway:
        """A separate gateway for the apply step only, opened after approval (boto3 for now)."""
        if self._installed is not None:  # the account Planton names, through its role
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

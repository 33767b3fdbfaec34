"""Settings, read from the environment in exactly one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

TRANSPORTS = ("direct", "mcp")
CONTEXTS = ("auto", "planton", "local")
PLANTON_DEFAULT_URL = "https://mcp.planton.ai/"
MCP_CALL_TIMEOUT_S = 30.0


@dataclass(frozen=True, slots=True)
class AwsSettings:
    """Where AWS is and whose credentials to use; None means "the standard chain decides"."""

    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None


@dataclass(frozen=True, slots=True)
class CollectSettings:
    """Bounds on evidence collection, so one service stays a few dozen calls."""

    max_workers: int = 8
    max_stopped_tasks: int = 20
    max_log_tasks: int = 4
    log_events_per_task: int = 50
    call_timeout_s: float = 10.0


@dataclass(frozen=True, slots=True)
class PlantonSettings:
    """Where Planton Cloud's MCP server is; the API key is never shown (repr=False)."""

    api_key: str | None = field(default=None, repr=False)
    url: str = PLANTON_DEFAULT_URL
    command: str | None = None  # a stdio server command line instead of the URL
    org: str | None = None
    env: str | None = None
    context: str = "auto"  # auto | planton | local
    timeout_s: float = 15.0

    @property
    def wanted(self) -> bool:
        """Whether this run should ask Planton first (auto: when an API key is set)."""
        if self.context == "local":
            return False
        return self.context == "planton" or bool(self.api_key)


@dataclass(frozen=True, slots=True)
class McpSettings:
    """Where the AWS MCP servers come from and how long to wait for them."""

    config_file: Path | None = None  # ECS_MEDIC_MCP_CONFIG: {"mcpServers": {...}} overrides
    servers_dir: Path | None = None  # ECS_MEDIC_MCP_DIR: where pinned servers are provisioned
    start_timeout_s: float = 60.0
    call_timeout_s: float = MCP_CALL_TIMEOUT_S
    api_servers: int = 2  # ECS_MEDIC_MCP_API_SERVERS: AWS API server processes (call_aws)


@dataclass(frozen=True, slots=True)
class Settings:
    """ecs-medic's own settings (`ECS_MEDIC_*`) plus the AWS ones it honours."""

    aws: AwsSettings = field(default_factory=AwsSettings)
    transport: str = "mcp"  # TRANSPORTS; DESIGN.md: the AWS MCP servers by default
    state_dir: Path = Path(".ecs-medic")
    checkpoint_db: Path | None = None  # None: <state_dir>/checkpoints.sqlite
    checkpoint_dsn: str | None = None  # postgresql://... : checkpoints in Postgres instead
    collect: CollectSettings = field(default_factory=CollectSettings)
    planton: PlantonSettings = field(default_factory=PlantonSettings)
    mcp: McpSettings = field(default_factory=McpSettings)

    @property
    def checkpoint_path(self) -> Path:
        """The SQLite file that holds the graph's checkpoints."""
        return self.checkpoint_db or self.state_dir / "checkpoints.sqlite"

    def with_aws(self, **changes: str | None) -> Settings:
        """A copy with some AWS settings replaced (flags win over the environment)."""
        given = {k: v for k, v in changes.items() if v is not None}
        return replace(self, aws=replace(self.aws, **given))

    def with_planton(self, **changes: str | None) -> Settings:
        """A copy with some Planton settings replaced (flags win over the environment)."""
        given: dict[str, Any] = {k: v for k, v in changes.items() if v is not None}
        return replace(self, planton=replace(self.planton, **given))


def default_state_dir(env: Mapping[str, str]) -> Path:
    """`$ECS_MEDIC_STATE_DIR`, else `$XDG_STATE_HOME/ecs-medic`, else `~/.local/state/ecs-medic`."""
    if env.get("ECS_MEDIC_STATE_DIR"):
        return Path(env["ECS_MEDIC_STATE_DIR"]).expanduser()
    base = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base).expanduser() / "ecs-medic"


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment (os.environ unless given)."""
    env = os.environ if env is None else env
    checkpoint = env.get("ECS_MEDIC_CHECKPOINT_DB")
    return Settings(
        aws=AwsSettings(
            profile=env.get("AWS_PROFILE") or None,
            region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
        ),
        transport=env.get("ECS_MEDIC_TRANSPORT") or "mcp",
        state_dir=default_state_dir(env),
        checkpoint_db=Path(checkpoint).expanduser() if checkpoint else None,
        checkpoint_dsn=env.get("ECS_MEDIC_CHECKPOINT_DSN") or None,
        planton=load_planton_settings(env),
        mcp=load_mcp_settings(env),
    )


def load_mcp_settings(env: Mapping[str, str]) -> McpSettings:
    """MCP server settings from `ECS_MEDIC_MCP_*`."""
    config, servers = env.get("ECS_MEDIC_MCP_CONFIG"), env.get("ECS_MEDIC_MCP_DIR")
    timeout = env.get("ECS_MEDIC_MCP_TIMEOUT")  # per tool call; a server start gets 60 s
    return McpSettings(
        config_file=Path(config).expanduser() if config else None,
        servers_dir=Path(servers).expanduser() if servers else None,
        call_timeout_s=_seconds("ECS_MEDIC_MCP_TIMEOUT", timeout) or MCP_CALL_TIMEOUT_S,
        api_servers=_count("ECS_MEDIC_MCP_API_SERVERS", env.get("ECS_MEDIC_MCP_API_SERVERS"), 2),
    )


def _count(name: str, value: str | None, default: int) -> int:
    """A count from 1 to 8 from an environment variable; a clear error otherwise."""
    if not value:
        return default
    if not value.isdigit() or not 1 <= int(value) <= 8:
        from ecs_medic.errors import ContextError  # noqa: PLC0415 - config stays import-light

        raise ContextError(f"{name} must be a whole number from 1 to 8, not '{value}'.")
    return int(value)


def _seconds(name: str, value: str | None) -> float | None:
    """A positive number of seconds from an environment variable; a clear error otherwise."""
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if seconds <= 0:
        from ecs_medic.errors import ContextError  # noqa: PLC0415 - config stays import-light

        raise ContextError(f"{name} must be a positive number of seconds, not '{value}'.")
    return seconds


def load_planton_settings(env: Mapping[str, str]) -> PlantonSettings:
    """Planton settings from `PLANTON_*` (and `ECS_MEDIC_CONTEXT` for the context mode)."""
    return PlantonSettings(
        api_key=env.get("PLANTON_API_KEY") or None,
        url=env.get("PLANTON_MCP_URL") or PLANTON_DEFAULT_URL,
        command=env.get("PLANTON_MCP_COMMAND") or None,
        org=env.get("PLANTON_ORG") or None,
        env=env.get("PLANTON_ENV") or None,
        context=env.get("ECS_MEDIC_CONTEXT") or "auto",
    )

"""Which AWS MCP servers ecs-medic starts, from where, and with which environment.

Defaults: the pinned awslabs servers from their own uv-made environments (mcp_provision).
Users can point at other commands or versions in the common MCP client shape, in the file
named by `ECS_MEDIC_MCP_CONFIG`:

    {"mcpServers": {"awslabs.ecs-mcp-server": {"command": "uvx",
        "args": ["--from", "awslabs.ecs-mcp-server==0.1.38", "ecs-mcp-server"],
        "env": {"FASTMCP_LOG_LEVEL": "ERROR"}}}}

Whatever the config says, the read-only switches, the region, the endpoint and the
credentials are set by ecs-medic last: evidence sessions can never write, and credentials
reach a server only through its subprocess environment. Only the apply step's own sessions
(`build_spec(..., write=True)`, see mcp_write) are started with writes enabled.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from ecs_medic.aws import mcp_launcher
from ecs_medic.aws.mcp_provision import Pin, ensure

ECS_PIN = Pin("awslabs.ecs-mcp-server", "0.1.37", "ecs-mcp-server")
API_PIN = Pin("awslabs.aws-api-mcp-server", "1.5.6", "awslabs.aws-api-mcp-server")
PINS = (ECS_PIN, API_PIN)


class ServerRole(StrEnum):
    """The two servers, named as in the awslabs READMEs' MCP client configs."""

    ECS = "awslabs.ecs-mcp-server"
    AWS_API = "awslabs.aws-api-mcp-server"


class McpConfigError(ValueError):
    """The MCP config file is missing, unreadable or not in the mcpServers shape."""


@dataclass(frozen=True, slots=True)
class AwsEnv:
    """Where the servers reach AWS and as whom; secrets are never shown (repr=False)."""

    region: str
    endpoint_url: str | None = None
    access_key_id: str | None = field(default=None, repr=False)
    secret_access_key: str | None = field(default=None, repr=False)
    session_token: str | None = field(default=None, repr=False)

    @property
    def offline(self) -> bool:
        """Whether AWS is a loopback emulator (the lab), so nothing may be fetched online."""
        host = (self.endpoint_url or "").split("://", 1)[-1].split(":", 1)[0].split("/", 1)[0]
        return host in {"127.0.0.1", "localhost", "::1", "[::1]"}

    def variables(self) -> dict[str, str]:
        """The standard AWS variables for a subprocess."""
        env = {"AWS_REGION": self.region, "AWS_DEFAULT_REGION": self.region}
        optional = {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key_id,
            "AWS_SECRET_ACCESS_KEY": self.secret_access_key,
            "AWS_SESSION_TOKEN": self.session_token,
        }
        env.update({k: v for k, v in optional.items() if v})
        return env


@dataclass(frozen=True, slots=True)
class ServerCommand:
    """How to start one server: a command line and the environment the user adds."""

    command: str
    args: tuple[str, ...] = ()
    env: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class ServerSpec:
    """Everything needed to start one server; the environment carries credentials."""

    role: ServerRole
    command: str
    args: tuple[str, ...]
    env: Mapping[str, str] = field(repr=False)

    @property
    def label(self) -> str:
        """Short name for messages and gaps."""
        return "ecs" if self.role is ServerRole.ECS else "aws-api"


# ecs-medic's own settings per server; they win over the user's config
_FORCED: dict[ServerRole, dict[str, str]] = {
    ServerRole.ECS: {
        "ALLOW_WRITE": "false",
        # on: with it off the server redacts secrets[].valueFrom and credentialsParameter,
        # the references the secret checks need; env values are dropped by the gateway
        "ALLOW_SENSITIVE_DATA": "true",
    },
    ServerRole.AWS_API: {
        "READ_OPERATIONS_ONLY": "true",
        "REQUIRE_MUTATION_CONSENT": "false",
        "AWS_API_MCP_TELEMETRY": "false",
        "AWS_API_MCP_SUPPRESS_DEPRECATION_WARNING": "true",
    },
}
# The apply step's sessions: writes on. ALLOW_SENSITIVE_DATA stays on: with it off the ECS
# server answers DescribeTaskDefinition with "[REDACTED]" env values, and a revision built
# from that answer would deploy them.
_WRITE: dict[ServerRole, dict[str, str]] = {
    ServerRole.ECS: {**_FORCED[ServerRole.ECS], "ALLOW_WRITE": "true"},
    ServerRole.AWS_API: {**_FORCED[ServerRole.AWS_API], "READ_OPERATIONS_ONLY": "false"},
}
_COMMON = {
    "FASTMCP_LOG_LEVEL": "ERROR",
    "AWS_MAX_ATTEMPTS": "3",  # like the direct transport: throttling is retried, then a gap
    "AWS_RETRY_MODE": "standard",
}


def load_config(path: Path | None) -> dict[ServerRole, ServerCommand]:
    """The user's overrides from the `$ECS_MEDIC_MCP_CONFIG` file (none when it is not set)."""
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise McpConfigError(f"cannot read MCP config {path}: {exc}") from exc
    servers = data.get("mcpServers") if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise McpConfigError(f"MCP config {path} has no mcpServers object")
    return {
        ServerRole(name): _server_command(path, name, entry)
        for name, entry in servers.items()
        if name in set(ServerRole)
    }


def _server_command(path: Path, name: str, entry: Any) -> ServerCommand:
    if not isinstance(entry, dict) or not isinstance(entry.get("command"), str):
        raise McpConfigError(f"MCP config {path}: {name} needs a command")
    args, extra = entry.get("args", []), entry.get("env", {})
    if not isinstance(args, list) or not isinstance(extra, dict):
        raise McpConfigError(f"MCP config {path}: {name} args must be a list, env an object")
    env = {str(k): str(v) for k, v in extra.items()}
    return ServerCommand(entry["command"], tuple(map(str, args)), env)


def default_command(role: ServerRole, root: Path) -> ServerCommand:
    """The pinned server from its own environment, provisioned on first use."""
    if role is ServerRole.ECS:
        return ServerCommand(str(ensure(ECS_PIN, root) / "bin" / ECS_PIN.script))
    python = ensure(API_PIN, root) / "bin" / "python"
    return ServerCommand(str(python), (mcp_launcher.__file__,))


def build_spec(
    role: ServerRole, command: ServerCommand, aws: AwsEnv, work_dir: Path, *, write: bool = False
) -> ServerSpec:
    """The full spec: the user's env, then ecs-medic's fixed settings, then AWS's.

    `write` starts the server with writes enabled (the apply step only); otherwise read-only.
    """
    forced = _WRITE[role] if write else _FORCED[role]
    env = {**command.env, **_COMMON, **forced, **aws.variables()}
    if role is ServerRole.AWS_API:
        work_dir.mkdir(parents=True, exist_ok=True)
        env["AWS_API_MCP_WORKING_DIR"] = str(work_dir.resolve())
        if aws.offline:
            env[mcp_launcher.OFFLINE_ENV] = "1"
    return ServerSpec(role, command.command, command.args, env)

"""Settings, read from the environment in exactly one place."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

TRANSPORTS = ("direct", "mcp")


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
class Settings:
    """ecs-medic's own settings (`ECS_MEDIC_*`) plus the AWS ones it honours."""

    aws: AwsSettings = field(default_factory=AwsSettings)
    transport: str = "direct"
    state_dir: Path = Path(".ecs-medic")
    checkpoint_db: Path | None = None  # None: <state_dir>/checkpoints.sqlite
    collect: CollectSettings = field(default_factory=CollectSettings)

    @property
    def checkpoint_path(self) -> Path:
        """The SQLite file that holds the graph's checkpoints."""
        return self.checkpoint_db or self.state_dir / "checkpoints.sqlite"

    def with_aws(self, **changes: str | None) -> Settings:
        """A copy with some AWS settings replaced (flags win over the environment)."""
        given = {k: v for k, v in changes.items() if v is not None}
        return replace(self, aws=replace(self.aws, **given))


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
        transport=env.get("ECS_MEDIC_TRANSPORT", "direct"),
        state_dir=default_state_dir(env),
        checkpoint_db=Path(checkpoint).expanduser() if checkpoint else None,
    )

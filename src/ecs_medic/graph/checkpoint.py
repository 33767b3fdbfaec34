"""Checkpointers: SQLite in the user's state directory by default."""

from __future__ import annotations

import dataclasses
import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from ecs_medic import findings
from ecs_medic.aws import snapshot, snapshot_access, snapshot_capacity, snapshot_network
from ecs_medic.config import Settings
from ecs_medic.context import target
from ecs_medic.errors import ContextError
from ecs_medic.graph import state
from ecs_medic.remedies import outcome, plan, verify
from ecs_medic.report import model

_STATE_MODULES: tuple[ModuleType, ...] = (
    findings,
    snapshot,
    snapshot_access,
    snapshot_capacity,
    snapshot_network,
    target,
    state,
    model,
    outcome,
    plan,
    verify,
)


def _own_types(modules: tuple[ModuleType, ...]) -> list[tuple[str, str]]:
    """(module, name) of every dataclass and enum our state may hold, for safe msgpack loads."""
    return [
        (module.__name__, name)
        for module in modules
        for name, value in vars(module).items()
        if isinstance(value, type)
        and value.__module__ == module.__name__
        and (dataclasses.is_dataclass(value) or issubclass(value, enum.Enum))
    ]


def serializer() -> JsonPlusSerializer:
    """A serializer that loads ecs-medic's own state types and nothing unexpected."""
    return JsonPlusSerializer(allowed_msgpack_modules=_own_types(_STATE_MODULES))


@contextmanager
def checkpointer_for(settings: Settings) -> Iterator[BaseCheckpointSaver[str]]:
    """Postgres when ECS_MEDIC_CHECKPOINT_DSN is set, else SQLite in the state directory."""
    if settings.checkpoint_dsn:
        with postgres_checkpointer(settings.checkpoint_dsn) as saver:
            yield saver
    else:
        with sqlite_checkpointer(settings.checkpoint_path) as sqlite_saver:
            yield sqlite_saver


@contextmanager
def postgres_checkpointer(dsn: str) -> Iterator[BaseCheckpointSaver[str]]:
    """A PostgresSaver on `dsn`, its tables created on first use; a clear error if unreachable."""
    from langgraph.checkpoint.postgres import PostgresSaver  # noqa: PLC0415 - optional backend
    from psycopg import Connection, OperationalError  # noqa: PLC0415
    from psycopg.rows import dict_row  # noqa: PLC0415

    try:
        conn = Connection.connect(dsn, autocommit=True, prepare_threshold=0, row_factory=dict_row)
    except OperationalError as exc:
        raise ContextError(f"Cannot reach the Postgres checkpointer: {str(exc).strip()}") from exc
    with conn:
        saver = PostgresSaver(conn, serde=serializer())
        saver.setup()
        yield saver


@contextmanager
def sqlite_checkpointer(path: Path) -> Iterator[SqliteSaver]:
    """A SqliteSaver on `path` (created with its directory), closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        yield SqliteSaver(conn, serde=serializer())
    finally:
        conn.close()

"""Checkpointers: SQLite in the user's state directory by default."""

from __future__ import annotations

import dataclasses
import enum
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType

from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.checkpoint.sqlite import SqliteSaver

from ecs_medic import findings
from ecs_medic.aws import snapshot, snapshot_access, snapshot_capacity, snapshot_network
from ecs_medic.context import target
from ecs_medic.graph import state
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
def sqlite_checkpointer(path: Path) -> Iterator[SqliteSaver]:
    """A SqliteSaver on `path` (created with its directory), closed on exit."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), check_same_thread=False)
    try:
        yield SqliteSaver(conn, serde=serializer())
    finally:
        conn.close()

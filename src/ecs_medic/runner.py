"""The factory the CLI stands on: build the graph, run it, hand back the report."""

from __future__ import annotations

import uuid

from langchain_core.runnables import RunnableConfig

from ecs_medic.config import Settings
from ecs_medic.graph.checkpoint import sqlite_checkpointer
from ecs_medic.graph.context import AwsConnector, RunContext
from ecs_medic.graph.graph import build_graph
from ecs_medic.graph.state import InputState, Request
from ecs_medic.report.model import Report


def new_thread_id() -> str:
    """A fresh thread id: one per run, the key of its checkpoints."""
    return f"diag-{uuid.uuid4().hex[:12]}"


def diagnose(settings: Settings, request: Request, thread_id: str | None = None) -> Report:
    """Run the diagnosis flow for one service, checkpointed to the state directory."""
    context = RunContext(settings=settings, aws=AwsConnector(settings))
    config: RunnableConfig = {"configurable": {"thread_id": thread_id or new_thread_id()}}
    with sqlite_checkpointer(settings.checkpoint_path) as checkpointer:
        graph = build_graph(checkpointer)
        result = graph.invoke(InputState(request=request), config, context=context)
    report: Report = result["report"]
    return report

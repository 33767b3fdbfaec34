"""The factory the CLI stands on: build the graph, run it, resume it, hand back the result."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.types import Command

from ecs_medic.config import Settings
from ecs_medic.errors import ContextError, MedicError
from ecs_medic.graph.checkpoint import checkpointer_for
from ecs_medic.graph.context import AwsConnector, RunContext
from ecs_medic.graph.graph import Graph, build_graph
from ecs_medic.graph.state import InputState, Request
from ecs_medic.remedies.outcome import FixOptions
from ecs_medic.report.model import Report

# Answers the approval question: gets the interrupt payload, returns the answer (None: no one).
Approver = Callable[[dict[str, Any]], dict[str, Any] | None]


@dataclass(frozen=True, slots=True)
class RunResult:
    """A finished run's report, or the approval question a paused run waits on."""

    thread_id: str
    report: Report | None = None
    pending: dict[str, Any] | None = None


def new_thread_id(kind: str = "diag") -> str:
    """A fresh thread id: one per run, the key of its checkpoints."""
    return f"{kind}-{uuid.uuid4().hex[:12]}"


def diagnose(settings: Settings, request: Request, thread_id: str | None = None) -> Report:
    """Run the diagnosis flow for one service, checkpointed to the state directory."""
    result = _run(settings, thread_id or new_thread_id(), InputState(request=request), None)
    if result.report is None:
        raise MedicError("the diagnosis paused unexpectedly; this is a bug")
    return result.report


def fix(
    settings: Settings, request: Request, options: FixOptions, approver: Approver | None
) -> RunResult:
    """Diagnose, plan, ask `approver` (or pause for `resume`), apply, verify, roll back."""
    start = InputState(request=request, fix=options)
    return _run(settings, new_thread_id("fix"), start, approver)


def resume(settings: Settings, thread_id: str, answer: dict[str, Any]) -> RunResult:
    """Continue a paused `fix` from its checkpoint with the approver's answer."""
    return _run(settings, thread_id, Command(resume=answer), None, must_exist=True)


def _run(
    settings: Settings,
    thread_id: str,
    start: InputState | Command[Any],
    approver: Approver | None,
    *,
    must_exist: bool = False,
) -> RunResult:
    context = RunContext(settings=settings, aws=AwsConnector(settings), thread_id=thread_id)
    config: RunnableConfig = {"configurable": {"thread_id": thread_id}}
    with checkpointer_for(settings) as checkpointer, closing(context.aws):
        graph = build_graph(checkpointer)
        if must_exist:
            _check_paused(graph, config, thread_id)
        result = graph.invoke(start, config, context=context)
        while (pending := _pending(result)) is not None:
            answer = approver(pending) if approver else None
            if answer is None:
                return RunResult(thread_id, pending=pending)
            result = graph.invoke(Command(resume=answer), config, context=context)
    return RunResult(thread_id, report=result["report"])


def _pending(result: dict[str, Any]) -> dict[str, Any] | None:
    """The approval question when the run stopped at the interrupt."""
    interrupts = result.get("__interrupt__") or ()
    return dict(interrupts[0].value) if interrupts else None


def _check_paused(graph: Graph, config: RunnableConfig, thread_id: str) -> None:
    """Refuse to resume a thread that does not exist or is not waiting for approval."""
    snapshot = graph.get_state(config)
    if not snapshot.values:
        raise ContextError(f"No run with thread id {thread_id} in this state directory.")
    if "approve" not in snapshot.next:
        raise ContextError(f"Run {thread_id} is not waiting for approval.")

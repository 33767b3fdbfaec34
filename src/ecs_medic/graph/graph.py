"""The diagnosis flow as a LangGraph StateGraph: wiring only (DESIGN.md, "The flow")."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from ecs_medic.graph.context import RunContext
from ecs_medic.graph.nodes.analyze import analyze
from ecs_medic.graph.nodes.collect_evidence import collect_evidence
from ecs_medic.graph.nodes.establish_context import establish_context
from ecs_medic.graph.nodes.intake import intake
from ecs_medic.graph.nodes.report import report
from ecs_medic.graph.state import DiagnosisState, InputState, OutputState

Graph = CompiledStateGraph[DiagnosisState, RunContext, InputState, OutputState]


def build_graph(checkpointer: BaseCheckpointSaver[str] | None = None) -> Graph:
    """Intake -> establish_context -> collect_evidence -> analyze -> report."""
    builder = StateGraph(
        DiagnosisState,
        context_schema=RunContext,
        input_schema=InputState,
        output_schema=OutputState,
    )
    builder.add_node("intake", intake)
    builder.add_node("establish_context", establish_context)
    builder.add_node("collect_evidence", collect_evidence)
    builder.add_node("analyze", analyze)
    builder.add_node("report", report)
    builder.add_edge(START, "intake")
    builder.add_edge("intake", "establish_context")
    builder.add_edge("establish_context", "collect_evidence")
    builder.add_edge("collect_evidence", "analyze")
    builder.add_edge("analyze", "report")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=checkpointer)

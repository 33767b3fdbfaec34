"""The diagnosis flow as a LangGraph StateGraph: wiring only (DESIGN.md, "The flow")."""

from __future__ import annotations

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph

from ecs_medic.graph.context import RunContext
from ecs_medic.graph.nodes.analyze import analyze
from ecs_medic.graph.nodes.apply import apply
from ecs_medic.graph.nodes.approve import approve
from ecs_medic.graph.nodes.collect_evidence import collect_evidence
from ecs_medic.graph.nodes.establish_context import establish_context
from ecs_medic.graph.nodes.intake import intake
from ecs_medic.graph.nodes.plan_fix import plan_fix
from ecs_medic.graph.nodes.report import report
from ecs_medic.graph.nodes.rollback import rollback
from ecs_medic.graph.nodes.verify import verify
from ecs_medic.graph.routes import (
    after_analyze,
    after_apply,
    after_approve,
    after_plan,
    after_verify,
)
from ecs_medic.graph.state import DiagnosisState, InputState, OutputState

Graph = CompiledStateGraph[DiagnosisState, RunContext, InputState, OutputState]


def build_graph(checkpointer: BaseCheckpointSaver[str] | None = None) -> Graph:
    """The diagnosis flow, and for `fix` its remediation branch (DESIGN.md, "The flow").

    intake -> establish_context -> collect_evidence -> analyze -> report, or after analyze:
    plan_fix -> approve (interrupt) -> apply -> verify -> (rollback) -> report.
    """
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
    builder.add_node("plan_fix", plan_fix)
    builder.add_node("approve", approve)
    builder.add_node("apply", apply)
    builder.add_node("verify", verify)
    builder.add_node("rollback", rollback)
    builder.add_node("report", report)

    builder.add_edge(START, "intake")
    builder.add_edge("intake", "establish_context")
    builder.add_edge("establish_context", "collect_evidence")
    builder.add_edge("collect_evidence", "analyze")
    builder.add_conditional_edges("analyze", after_analyze, ["plan_fix", "report"])
    builder.add_conditional_edges("plan_fix", after_plan, ["approve", "report"])
    builder.add_conditional_edges("approve", after_approve, ["apply", "report"])
    builder.add_conditional_edges("apply", after_apply, ["verify", "rollback"])
    builder.add_conditional_edges("verify", after_verify, ["rollback", "report"])
    builder.add_edge("rollback", "report")
    builder.add_edge("report", END)
    return builder.compile(checkpointer=checkpointer)

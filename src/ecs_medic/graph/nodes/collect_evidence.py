"""collect_evidence: read everything about the service into one frozen snapshot."""

from __future__ import annotations

from dataclasses import replace

from langgraph.runtime import Runtime

from ecs_medic.aws.collector import Collector
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState


def collect_evidence(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Fan out over the AWS sources; failed sources come back as gaps."""
    ctx = runtime.context
    snapshot = Collector(ctx.aws.gateway(), ctx.settings.collect).collect(state["target"])
    snapshot = replace(snapshot, expected=state.get("expected"))  # Planton spec, for drift
    return {"snapshot": snapshot, "gaps": list(snapshot.gaps)}

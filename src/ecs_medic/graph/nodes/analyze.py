"""analyze: run the pure analyzers over the snapshot and rank what they find."""

from __future__ import annotations

from ecs_medic.analyzers.registry import analyze as run_analyzers
from ecs_medic.graph.state import DiagnosisState


def analyze(state: DiagnosisState) -> DiagnosisState:
    """Findings, best root cause first, and the analyzers that failed."""
    analysis = run_analyzers(state["snapshot"])
    return {"findings": list(analysis.findings), "analyzer_errors": list(analysis.errors)}

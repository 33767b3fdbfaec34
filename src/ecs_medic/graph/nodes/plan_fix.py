"""plan_fix: turn the ranked findings into a remediation plan (no AWS call)."""

from __future__ import annotations

from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.planners import build_plan


def plan_fix(state: DiagnosisState) -> DiagnosisState:
    """Plan the root causes; a dry run stops here."""
    plan = build_plan(state.get("findings", []), state["snapshot"])
    status = "dry-run" if state["fix"].dry_run else "planned"
    return {"plan": plan, "remediation_status": "nothing-to-do" if plan.empty else status}

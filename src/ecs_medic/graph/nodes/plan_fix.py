"""plan_fix: turn the ranked findings into a remediation plan (read-only lookups, no change)."""

from __future__ import annotations

from langgraph.runtime import Runtime

from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.lookups import look_up
from ecs_medic.remedies.planners import build_plan
from ecs_medic.remedies.planton_plan import for_planton


def plan_fix(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Plan the root causes; a dry run stops here."""
    findings = state.get("findings", [])
    lookups = look_up(runtime.context.aws.gateway(), findings, state["snapshot"])
    plan = build_plan(findings, state["snapshot"], lookups)
    plan = for_planton(plan, state.get("expected"), direct_allowed=state["fix"].direct_on_planton)
    status = "dry-run" if state["fix"].dry_run else "planned"
    return {"plan": plan, "remediation_status": "nothing-to-do" if plan.empty else status}

"""Where the flow goes after each branching node: small pure functions of the state."""

from __future__ import annotations

from typing import Literal

from ecs_medic.graph.state import DiagnosisState


def after_analyze(state: DiagnosisState) -> Literal["plan_fix", "report"]:
    """`ecs-medic fix` plans; `diagnose` reports."""
    return "plan_fix" if "fix" in state else "report"


def after_plan(state: DiagnosisState) -> Literal["approve", "report"]:
    """A dry run or an empty plan ends at the report."""
    return "report" if state["fix"].dry_run or state["plan"].empty else "approve"


def after_approve(state: DiagnosisState) -> Literal["apply", "report"]:
    """Nothing approved: nothing applied (fail closed)."""
    return "report" if state["approval"].rejected else "apply"


def after_apply(state: DiagnosisState) -> Literal["verify", "rollback"]:
    """A failed step is rolled back at once; otherwise verify."""
    return "verify" if all(o.applied for o in state.get("outcomes", [])) else "rollback"


def after_verify(state: DiagnosisState) -> Literal["rollback", "report"]:
    """A fix that did not heal the service is rolled back."""
    return "report" if state["verification"].ok else "rollback"

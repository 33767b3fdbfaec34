"""approve: the human gate. Nothing before `interrupt()` here has a side effect.

The node runs again from the top when the thread resumes, so it only reads state. The
answer is `{"approve": ["a1", ...] | "all"}` or `{"reject": true}`; anything else, or no
answer at all, approves nothing (fail closed).
"""

from __future__ import annotations

from typing import Any

from langgraph.types import interrupt

from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.outcome import Approval
from ecs_medic.remedies.plan import RemediationPlan


def approval_request(plan: RemediationPlan) -> dict[str, Any]:
    """What the approver sees: every action with its diff, risk and rollback."""
    return {
        "question": "Apply these changes?",
        "actions": [
            {
                "id": a.id,
                "code": a.code,
                "title": a.title,
                "auto_level": a.auto_level,
                "diff": a.diff,
                "expected_effect": a.expected_effect,
                "risk": a.risk,
                "rollback": [c.source for c in a.rollback],
            }
            for a in plan.actions
        ],
    }


def parse_answer(answer: Any, plan: RemediationPlan) -> Approval:
    """The approval an answer grants; unknown ids and malformed answers grant nothing."""
    if not isinstance(answer, dict):
        return Approval((), "nobody", "no valid answer")
    by = str(answer.get("by", "resume"))
    wanted = answer.get("approve")
    known = [a.id for a in plan.actions]
    if answer.get("reject") or wanted is None:
        return Approval((), by, "rejected")
    if wanted == "all":
        return Approval(tuple(known), by)
    if not isinstance(wanted, list):
        return Approval((), by, "no valid answer")
    unknown = [str(w) for w in wanted if w not in known]
    reason = f"unknown action ids ignored: {', '.join(unknown)}" if unknown else ""
    return Approval(tuple(i for i in known if i in wanted), by, reason)


def approve(state: DiagnosisState) -> DiagnosisState:
    """Approve all with --yes; else wait for an answer, possibly from another process."""
    plan = state["plan"]
    if state["fix"].auto_approve:
        return {"approval": Approval(tuple(a.id for a in plan.actions), "--yes")}
    answer = interrupt(approval_request(plan))
    approval = parse_answer(answer, plan)
    return {
        "approval": approval,
        "remediation_status": "rejected" if approval.rejected else "approved",
    }

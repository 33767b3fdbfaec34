"""The `remediation` object of the report, shared by the JSON, text and Markdown renderers."""

from __future__ import annotations

from ecs_medic.remedies.outcome import RemediationOutcome
from ecs_medic.remedies.plan import Action
from ecs_medic.remedies.verify import Verification

JsonObject = dict[str, object]


def remediation_to_dict(outcome: RemediationOutcome) -> JsonObject:
    """Plan (actions with diffs and risk), approval, what was applied, verified, rolled back."""
    approval = outcome.approval
    return {
        "status": outcome.status,
        "plan": {
            "actions": [_action(a) for a in outcome.plan.actions],
            "recommendations": list(outcome.plan.recommendations),
        },
        "approved": list(approval.approved) if approval else [],
        "approved_by": approval.by if approval else None,
        "applied": outcome.applied,
        "verified": outcome.verified,
        "rolled_back": outcome.rolled_back,
        "actions": [
            {
                "id": o.action_id,
                "applied": o.applied,
                "error": o.error,
                "rolled_back": o.rolled_back,
                "rollback_error": o.rollback_error,
            }
            for o in outcome.actions
        ],
        "verification": _verification(outcome.verification),
        "rollback_verification": _verification(outcome.rollback_verification),
    }


def _action(action: Action) -> JsonObject:
    return {
        "id": action.id,
        "code": action.code,
        "title": action.title,
        "risk": action.auto_level,
        "steps": [s.source for s in action.steps],
        "rollback": [c.source for c in action.rollback],
        "diff": action.diff,
        "expected_effect": action.expected_effect,
        "risk_detail": action.risk,
    }


def _verification(verification: Verification | None) -> JsonObject | None:
    if verification is None:
        return None
    return {
        "ok": verification.ok,
        "polls": verification.polls,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in verification.checks],
    }


def remediation_lines(outcome: RemediationOutcome) -> list[str]:
    """Plain lines for the text and Markdown reports (each renderer adds its own markup)."""
    lines = [f"Remediation: {outcome.status}"]
    for action in outcome.plan.actions:
        lines.append(f"{action.id}  [{action.auto_level}] {action.code}: {action.title}")
        lines.append(f"    expected: {action.expected_effect}")
        if action.risk:
            lines.append(f"    risk: {action.risk}")
        lines.append(
            f"    rollback: {', '.join(c.source for c in action.rollback) or 'none needed'}"
        )
    lines.extend(f"Recommendation: {r}" for r in outcome.plan.recommendations)
    if outcome.approval is not None:
        approved = ", ".join(outcome.approval.approved) or "nothing"
        lines.append(f"Approved: {approved} (by {outcome.approval.by})")
    for result in outcome.actions:
        state = "applied" if result.applied else f"failed: {result.error}"
        if result.rolled_back:
            state += ", rolled back"
        lines.append(f"{result.action_id}: {state}")
    for title, verification in (("Verification", outcome.verification),
                                ("Rollback check", outcome.rollback_verification)):  # fmt: skip
        if verification is not None:
            checks = "; ".join(
                f"{c.name}: {'ok' if c.ok else 'NO'} ({c.detail})" for c in verification.checks
            )
            lines.append(f"{title}: {'passed' if verification.ok else 'failed'} - {checks}")
    return lines

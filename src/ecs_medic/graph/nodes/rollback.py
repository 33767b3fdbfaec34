"""rollback: undo the applied actions in reverse order and check the configuration is restored."""

from __future__ import annotations

import dataclasses

from langgraph.runtime import Runtime

from ecs_medic.aws.collector import Collector
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.outcome import ActionOutcome
from ecs_medic.remedies.verify import Verification, restored_checks


def rollback(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Roll back every applied (or half-applied) action, newest first, then re-read the service."""
    ctx = runtime.context
    ctx.aws.reconnect(state.get("context_info"), state["target"], ctx.thread_id)
    audit = AuditLog(ctx.settings.state_dir / "audit.jsonl", ctx.thread_id)
    with ctx.aws.writes() as gateway:
        outcomes = _roll_back_all(state, Applier(gateway, audit))
    after = Collector(ctx.aws.gateway(), ctx.settings.collect).collect(state["target"])
    checks = restored_checks(state["snapshot"], after)
    verification = Verification(all(c.ok for c in checks), checks, 1)
    status = (
        "rolled-back"
        if verification.ok and all(o.rolled_back for o in outcomes)
        else "rollback-failed"
    )
    return {
        "outcomes": outcomes,
        "rollback_verification": verification,
        "remediation_status": status,
    }


def _roll_back_all(state: DiagnosisState, applier: Applier) -> list[ActionOutcome]:
    """Every applied (or half-applied) action rolled back, newest first."""
    by_id = {a.id: a for a in state["plan"].actions}
    outcomes = list(state.get("outcomes", []))
    for index in reversed(range(len(outcomes))):
        result = applier.roll_back(by_id[outcomes[index].action_id], outcomes[index].bound)
        outcomes[index] = dataclasses.replace(
            outcomes[index], rolled_back=result.ok, rollback_error=result.error
        )
    return outcomes

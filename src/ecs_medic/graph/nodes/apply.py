"""apply: run the approved actions in plan order through a write-enabled gateway."""

from __future__ import annotations

from langgraph.runtime import Runtime

from ecs_medic.aws.collector import Collector
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.outcome import ActionOutcome
from ecs_medic.remedies.verify import service_clock


def apply(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Apply each approved action; the first failure stops the rest (it is rolled back later).

    The service's clock is read just before, so verification only judges what came after.
    """
    ctx = runtime.context
    audit = AuditLog(ctx.settings.state_dir / "audit.jsonl", ctx.thread_id)
    applier = Applier(ctx.aws.write_gateway(), audit)
    before = Collector(ctx.aws.gateway(), ctx.settings.collect).collect(state["target"])
    approved = set(state["approval"].approved)
    outcomes: list[ActionOutcome] = []
    for action in state["plan"].actions:
        if action.id not in approved:
            continue
        result = applier.apply(action)
        outcomes.append(ActionOutcome(action.id, result.ok, result.error))
        if not result.ok:
            break
    return {"outcomes": outcomes, "applied_at": service_clock(before)}

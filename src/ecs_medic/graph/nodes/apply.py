"""apply: run the approved actions in plan order through a write-enabled gateway."""

from __future__ import annotations

from langgraph.runtime import Runtime

from ecs_medic.aws.collector import Collector
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.outcome import ActionOutcome
from ecs_medic.remedies.plan import bind
from ecs_medic.remedies.verify import change_moment


def apply(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Apply each approved action; the first failure stops the rest (it is rolled back later).

    The service is read (DescribeServices) just before and just after: the deployment the
    change started, or else the clock before, marks where verification starts judging.
    """
    ctx = runtime.context
    ctx.aws.reconnect(state.get("context_info"), state["target"], ctx.thread_id)
    audit = AuditLog(ctx.settings.state_dir / "audit.jsonl", ctx.thread_id)
    reader = Collector(ctx.aws.gateway(), ctx.settings.collect)
    before = reader.service(state["target"])
    with ctx.aws.writes() as gateway:
        outcomes = _apply_approved(state, Applier(gateway, audit))
    after = reader.service(state["target"])
    return {"outcomes": outcomes, "applied_at": change_moment(before, after)}


def _apply_approved(state: DiagnosisState, applier: Applier) -> list[ActionOutcome]:
    """The approved actions in plan order, up to the first that fails."""
    approved = set(state["approval"].approved)
    outcomes: list[ActionOutcome] = []
    for action in state["plan"].actions:
        if action.id not in approved:
            continue
        result = applier.apply(action)
        bound = bind(action.rollback, result.responses)
        outcomes.append(ActionOutcome(action.id, result.ok, result.error, bound=bound))
        if not result.ok:
            break
    return outcomes

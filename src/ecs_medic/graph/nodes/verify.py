"""verify: poll the service until it is healthy by the catalogue's standard, or time runs out."""

from __future__ import annotations

from langgraph.runtime import Runtime

from ecs_medic.aws.collector import Collector
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.verify import service_clock, wait_until_healthy


def verify(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Standard verification plus "the fixed codes do not come back".

    Polls read the service, its tasks and target health; one full collection at the end
    runs the fixed codes' own analyzers.
    """
    ctx = runtime.context
    collector = Collector(ctx.aws.gateway(), ctx.settings.collect)
    applied = {o.action_id for o in state.get("outcomes", []) if o.applied}
    codes = frozenset(a.code for a in state["plan"].actions if a.id in applied)
    target = state["target"]
    verification = wait_until_healthy(
        lambda: collector.collect_light(target),
        state.get("applied_at") or service_clock(state["snapshot"]),
        codes,
        timeout_s=state["fix"].timeout_s,
        confirm=lambda: collector.collect(target),
    )
    return {
        "verification": verification,
        "remediation_status": "verified" if verification.ok else "not-verified",
    }

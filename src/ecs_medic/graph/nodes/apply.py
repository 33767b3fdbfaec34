"""apply: run the approved actions in plan order through a write-enabled gateway."""

from __future__ import annotations

from langgraph.runtime import Runtime

from ecs_medic.aws.collector import Collector
from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.apply import Applier, AuditLog
from ecs_medic.remedies.outcome import ActionOutcome
from ecs_medic.remedies.verify import service_clock


def apply(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Apply each approved action; the first failure stops the rest (it is rolled back later).

    The service's clock is read right after (one DescribeServices), so verification judges
    only tasks launched once every change was in place.
    """
    ctx = runtime.context
    audit = AuditLog(ctx.settings.state_dir / "audit.jsonl", ctx.thread_id)
    applier = Applier(ctx.aws.write_gateway(), audit)
    approved = set(state["approval"].approved)
    outcomes: list[ActionOutcome] = []
    for action in state["plan"].actions:
        if action.id not in approved:
            continue
        result = applier.apply(action)
        outcomes.append(ActionOutcome(action.id, result.ok, result.error))
        if not result.ok:
            break
    service = Collector(ctx.aws.gateway(), ctx.settings.collect).service(state["target"])
    after = ServiceSnapshot(state["snapshot"].region, None, service.cluster_arn, service)
    return {"outcomes": outcomes, "applied_at": service_clock(after)}

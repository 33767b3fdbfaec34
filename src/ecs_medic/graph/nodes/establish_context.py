"""establish_context: find the account, region, cluster and service to work on."""

from __future__ import annotations

from langgraph.runtime import Runtime

from ecs_medic.context.local import LocalContext, ServiceQuery
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState


def establish_context(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Resolve the request to exactly one service through the local AWS chain."""
    request = state["request"]
    aws = runtime.context.aws
    local = LocalContext(aws.gateway(), aws.region)
    target = local.resolve(ServiceQuery(service=request.service, cluster=request.cluster))
    return {"target": target}

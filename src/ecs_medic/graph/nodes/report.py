"""report: assemble what the renderers show."""

from __future__ import annotations

import time

from langgraph.runtime import Runtime

from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState
from ecs_medic.remedies.outcome import RemediationOutcome
from ecs_medic.report.model import ContextInfo, Report, ServiceRef, Stats


def report(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """The Report for this run, with its timing and call count."""
    target = state["target"]
    aws = runtime.context.aws
    return {
        "report": Report(
            service=ServiceRef(
                name=target.service_name,
                cluster=target.cluster_name,
                arn=target.service_arn,
                region=target.region,
                account_id=target.account_id,
            ),
            context=state.get("context_info") or ContextInfo(source="local"),
            findings=tuple(state.get("findings", ())),
            gaps=(*state.get("gaps", ()), *aws.transport_gaps),
            stats=Stats(
                duration_s=round(time.time() - state["started_at"], 3),
                api_calls=aws.api_calls,
                transport=aws.transport,
            ),
            analyzer_errors=tuple(state.get("analyzer_errors", ())),
            remediation=remediation(state),
            thread_id=runtime.context.thread_id or None,
        )
    }


def remediation(state: DiagnosisState) -> RemediationOutcome | None:
    """The remediation outcome of a `fix` run (None for `diagnose`)."""
    if "fix" not in state or "plan" not in state:
        return None
    return RemediationOutcome(
        plan=state["plan"],
        approval=state.get("approval"),
        actions=tuple(state.get("outcomes", ())),
        verification=state.get("verification"),
        rollback_verification=state.get("rollback_verification"),
        status=state.get("remediation_status", "planned"),
    )

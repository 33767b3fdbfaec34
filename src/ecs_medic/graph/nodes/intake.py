"""intake: check the request and start the clock."""

from __future__ import annotations

import time

from ecs_medic.errors import ContextError
from ecs_medic.graph.state import DiagnosisState


def intake(state: DiagnosisState) -> DiagnosisState:
    """Reject an empty service name before any AWS call; record when the run started."""
    request = state["request"]
    if not request.service.strip():
        raise ContextError("Name the ECS service to diagnose (a name or an ARN).")
    return {"started_at": time.time()}

"""intake: check the request, or turn a free-text sentence into one; start the clock."""

from __future__ import annotations

import time
from dataclasses import replace

from langgraph.runtime import Runtime

from ecs_medic.context.intake import Candidate, Hints, Match, match, parse_request
from ecs_medic.context.inventory import aws_inventory, planton_inventory
from ecs_medic.context.planton_client import PlantonError
from ecs_medic.errors import ContextError
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState, Request


def intake(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Reject an empty request before any AWS call; resolve a sentence to one service."""
    started = time.time()
    request = state["request"]
    if request.text:
        return {"started_at": started, "request": from_text(request, request.text, runtime.context)}
    if not request.service.strip():
        raise ContextError("Name the ECS service to diagnose (a name or an ARN).")
    return {"started_at": started}


def from_text(request: Request, text: str, ctx: RunContext) -> Request:
    """The one service the sentence means; candidates or close names otherwise (exit 2)."""
    hints = parse_request(text)
    if not hints.environment and ctx.settings.planton.env:
        hints = replace(hints, environment=ctx.settings.planton.env)
    if hints.arn:
        return Request(service=hints.arn, region=request.region, text=text)
    inventory, where = _inventory(ctx)
    result = match(hints, inventory)
    if result.chosen is None:
        raise ContextError(_no_choice(hints, result, where))
    chosen = result.chosen
    return Request(
        service=chosen.name,
        cluster=chosen.cluster,
        region=request.region,
        environment=chosen.environment,
        text=text,
    )


def _inventory(ctx: RunContext) -> tuple[list[Candidate], str]:
    """Planton's services when Planton is wanted and answers, else the AWS region's."""
    planton = ctx.settings.planton
    if planton.wanted:
        try:
            return planton_inventory(planton), f"Planton organisation {planton.org or ''}".strip()
        except PlantonError as exc:
            if planton.context == "planton" or not exc.falls_back:
                raise
    return aws_inventory(ctx.aws.gateway()), f"AWS region {ctx.aws.region}"


def _no_choice(hints: Hints, result: Match, where: str) -> str:
    asked = hints.services[0] if hints.services else "the request"
    scope = _scope(hints)
    if result.several:
        labels = ", ".join(c.label for c in result.several[:10])
        return (
            f"Several ECS services match '{asked}'{scope} in {where}: {labels}. "
            "Name one, e.g. with its environment or cluster."
        )
    message = f"No ECS service matches '{asked}'{scope} in {where}."
    if result.close:
        return f"{message} Did you mean: {', '.join(c.label for c in result.close)}?"
    return message


def _scope(hints: Hints) -> str:
    parts = [f"env {hints.environment}" if hints.environment else ""]
    parts.append(f"cluster {hints.cluster}" if hints.cluster else "")
    joined = ", ".join(p for p in parts if p)
    return f" ({joined})" if joined else ""

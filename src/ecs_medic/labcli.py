"""`ecs-medic lab ...`: list scenarios and serve the lab on loopback."""

from __future__ import annotations

import contextlib
import json
import threading
from typing import TYPE_CHECKING

import typer

from ecs_medic.errors import ContextError
from ecs_medic.lab import Lab, LabError, list_scenarios
from ecs_medic.lab.faults import Fault

if TYPE_CHECKING:
    from ecs_medic.lab.planton import PlantonServer


def print_scenarios(fmt: str) -> int:
    """Print every scenario with its category and expected root cause."""
    infos = list_scenarios()
    if fmt == "json":
        rows = [
            {"name": i.name, "category": i.category, "expected": i.expected, "summary": i.summary}
            for i in infos
        ]
        typer.echo(json.dumps(rows, indent=2))
        return 0
    width = max(len(i.name) for i in infos)
    for i in infos:
        typer.echo(f"{i.name:<{width}}  {i.category:<14} {i.expected or 'healthy':<24} {i.summary}")
    return 0


def serve(
    scenarios: list[str],
    *,
    port: int,
    speed: float,
    faults: list[str],
    planton_org: str | None = None,
) -> int:
    """Start the lab (and a Planton stand-in with `planton_org`), print the exports, wait."""
    try:
        parsed = [Fault.parse(f) for f in faults]
        lab = Lab.start(scenarios, port=port)
    except LabError as exc:
        raise ContextError(str(exc)) from exc
    with lab, contextlib.ExitStack() as stack:
        for fault in parsed:
            lab.inject(fault)
        lab.run_in_background(speed=speed)
        exports = lab.env()
        if planton_org:
            exports |= stack.enter_context(_planton(lab, planton_org)).env
        typer.echo("# The lab is running. In another shell:")
        for key, value in exports.items():
            typer.echo(f"export {key}={value}")
        for scenario, cluster, service in lab.targets:
            typer.echo(f"# {scenario}: ecs-medic diagnose {service} --cluster {cluster}")
        typer.echo("# Ctrl-C stops the lab.", err=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            typer.echo("ecs-medic: lab stopped.", err=True)
    return 0


def _planton(lab: Lab, org: str) -> PlantonServer:
    """The Planton stand-in for the lab's services (a context manager that stops it)."""
    from ecs_medic.lab.planton import serve_for_lab  # noqa: PLC0415 - uvicorn only when asked

    try:
        return serve_for_lab(lab, org)
    except LabError as exc:
        raise ContextError(str(exc)) from exc

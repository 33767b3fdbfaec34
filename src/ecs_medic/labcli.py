"""`ecs-medic lab ...`: list scenarios and serve the lab on loopback."""

from __future__ import annotations

import json
import threading

import typer

from ecs_medic.errors import ContextError
from ecs_medic.lab import Lab, LabError, list_scenarios
from ecs_medic.lab.faults import Fault


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


def serve(scenarios: list[str], *, port: int, speed: float, faults: list[str]) -> int:
    """Start the lab, print the exports, and tick until interrupted."""
    try:
        parsed = [Fault.parse(f) for f in faults]
        lab = Lab.start(scenarios, port=port)
    except LabError as exc:
        raise ContextError(str(exc)) from exc
    with lab:
        for fault in parsed:
            lab.inject(fault)
        lab.run_in_background(speed=speed)
        typer.echo("# The lab is running. In another shell:")
        for key, value in lab.env().items():
            typer.echo(f"export {key}={value}")
        for scenario, cluster, service in lab.targets:
            typer.echo(f"# {scenario}: ecs-medic diagnose {service} --cluster {cluster}")
        typer.echo("# Ctrl-C stops the lab.", err=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            typer.echo("ecs-medic: lab stopped.", err=True)
    return 0

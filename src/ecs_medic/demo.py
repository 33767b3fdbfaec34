"""`ecs-medic demo`: the whole diagnosis (and with --fix the healing loop) on the in-process lab."""

from __future__ import annotations

import sys
from collections.abc import Callable

import typer

from ecs_medic.config import Settings, load_settings
from ecs_medic.errors import ContextError
from ecs_medic.graph.state import Request
from ecs_medic.lab import Lab, LabError
from ecs_medic.lab_settings import export_lab_env, lab_request, lab_settings
from ecs_medic.remedies.outcome import FixOptions

Run = Callable[[Settings, Request], int]
DEMO_SPEED = 60.0  # simulated seconds per wall second while the fix is verified


def run_demo(scenario: str, run: Run, *, ticking: bool = False) -> int:
    """Start the lab with `scenario`, run `run` on its service, return the exit code.

    With `ticking` the lab's clock runs in the background, so a change can roll out.
    """
    try:
        lab = Lab.start([scenario])
    except LabError as exc:
        raise ContextError(str(exc)) from exc
    with lab:
        export_lab_env(lab)
        settings = lab_settings(lab, load_settings())
        if ticking:
            lab.run_in_background(speed=DEMO_SPEED)
        return run(settings, lab_request(lab))


def run_fix_demo(scenario: str, options: FixOptions, fmt: str) -> int:
    """Diagnose, plan, ask (or --yes), apply, verify and roll back on the lab."""
    from ecs_medic.fixcli import run_fix  # noqa: PLC0415 - pulls in the graph

    if not options.auto_approve and not sys.stdin.isatty():
        typer.echo(
            "No terminal to ask on and no --yes: the plan is shown and nothing is changed "
            "(the lab stops with the demo, so there is nothing to resume later).",
            err=True,
        )
    return run_demo(scenario, lambda s, r: run_fix(s, r, options, fmt), ticking=True)

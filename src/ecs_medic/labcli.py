"""`ecs-medic lab ...`: list scenarios and serve the lab on loopback."""

from __future__ import annotations

import contextlib
import json
import signal
import threading
import time
from typing import TYPE_CHECKING

import typer

from ecs_medic.errors import ContextError
from ecs_medic.lab import Lab, LabError, list_scenarios
from ecs_medic.lab.faults import Fault
from ecs_medic.lab.scaling_spec import AutoscalingSpec
from ecs_medic.lab.scenario import Scenario, load_scenario
from ecs_medic.lab.steps import describe_step

if TYPE_CHECKING:
    from ecs_medic.lab.planton import PlantonServer


def print_scenarios(fmt: str) -> int:
    """Print every scenario with its category and expected root cause."""
    if fmt not in ("text", "json"):
        raise ContextError(f"unknown format {fmt!r}; use text or json")
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
        _stop_on_signals()  # before the exports: whoever reads them may press Ctrl-C at once
        try:
            typer.echo("# The lab is running. In another shell:")
            for key, value in exports.items():
                typer.echo(f"export {key}={value}")
            for scenario, cluster, service in lab.targets:
                region = lab.region_of(scenario)
                where = f" --region {region}" if region != lab.region else ""
                typer.echo(f"# {scenario}: ecs-medic diagnose {service} --cluster {cluster}{where}")
            typer.echo("# Ctrl-C stops the lab.", err=True)
            _wait_for_interrupt()
        except KeyboardInterrupt:
            typer.echo("ecs-medic: lab stopped.", err=True)
    return 0


def _stop_on_signals() -> None:
    """Make Ctrl-C and SIGTERM stop the lab.

    Python leaves SIGINT ignored when the process started with it ignored, as every command
    a non-interactive shell runs in the background does; "Ctrl-C stops the lab" must hold
    there too.
    """
    if threading.current_thread() is not threading.main_thread():
        return

    def stop(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, stop)


def _wait_for_interrupt() -> None:
    """Sleep until Ctrl-C.

    Short sleeps, not one endless wait: a SIGINT the kernel hands to one of the lab's threads
    only sets Python's flag, which the main thread reads when it next runs; an endless wait
    could miss it.
    """
    while True:
        time.sleep(0.5)


def _planton(lab: Lab, org: str) -> PlantonServer:
    """The Planton stand-in for the lab's services (a context manager that stops it)."""
    from ecs_medic.lab.planton import serve_for_lab  # noqa: PLC0415 - uvicorn only when asked

    try:
        return serve_for_lab(lab, org)
    except LabError as exc:
        raise ContextError(str(exc)) from exc


def describe(name: str, fmt: str) -> int:
    """Explain one scenario: what is configured, what the app needs, its fix and a wrong fix."""
    if fmt not in ("text", "json"):
        raise ContextError(f"unknown format {fmt!r}; use text or json")
    try:
        scenario = load_scenario(name)
    except LabError as exc:
        raise ContextError(str(exc)) from exc
    if fmt == "json":
        typer.echo(json.dumps(describe_json(scenario), indent=2))
    else:
        typer.echo("\n".join(describe_lines(scenario)))
    return 0


def describe_json(scenario: Scenario) -> dict[str, object]:
    """The scenario as `lab describe --format json` prints it."""
    return {
        "name": scenario.name,
        "category": scenario.category,
        "expected": scenario.expected,
        "summary": scenario.summary,
        "cluster": scenario.service.cluster,
        "service": scenario.service.name,
        "fix": list(scenario.fix),
        "fix_steps": [describe_step(s) for s in scenario.fix_steps],
        "wrong_fix": list(scenario.wrong_fix),
        "wrong_fix_steps": [describe_step(s) for s in scenario.wrong_fix_steps],
        "evidence": [{"kind": e.kind, "value": e.value} for e in scenario.evidence],
    }


def describe_lines(scenario: Scenario) -> list[str]:
    """The text of `lab describe`."""
    spec = scenario.service
    lines = [
        f"{scenario.name}: {scenario.summary}",
        f"  category   {scenario.category}",
        f"  expected   {scenario.expected or 'healthy (no finding)'}",
        f"  service    {spec.name} in cluster {spec.cluster} ({spec.launch_type}, "
        f"desired {spec.desired}, cpu {spec.cpu}, memory {spec.memory})",
    ]
    lines += [f"  app        {name}: {_profile(p)}" for name, p in scenario.app]
    if scenario.autoscaling is not None:
        lines.append(f"  scaling    {_scaling(scenario.autoscaling)}")
    lines += _section("Evidence it shows", [f"{e.kind}: {e.value}" for e in scenario.evidence])
    fix = [*scenario.fix, *(f"API: {describe_step(s)}" for s in scenario.fix_steps)]
    lines += _section("Fix (heals through the AWS API)", fix or ["nothing to fix"])
    wrong = [*scenario.wrong_fix, *(f"API: {describe_step(s)}" for s in scenario.wrong_fix_steps)]
    lines += _section("Wrong fix (plausible, does not heal)", wrong or ["-"])
    return lines


def _scaling(spec: AutoscalingSpec) -> str:
    """The `autoscaling:` section in one line."""
    policies = ", ".join(f"{p.name} ({p.metric} target {p.target:g})" for p in spec.policies)
    text = f"MinCapacity {spec.min}, MaxCapacity {spec.max}"
    text += f"; suspended: {', '.join(spec.suspended)}" if spec.suspended else ""
    return text + (f"; target tracking: {policies}" if policies else "")


def _section(title: str, items: list[str]) -> list[str]:
    return ["", f"{title}:", *(f"  - {item}" for item in items)] if items else []


def _profile(profile: object) -> str:
    fields = getattr(profile, "__dataclass_fields__", {})
    default = type(profile)()
    changed = [
        f"{k}={getattr(profile, k)}" for k in fields if getattr(profile, k) != getattr(default, k)
    ]
    return ", ".join(changed) or "defaults"

"""The `ecs-medic` command: thin commands over the runner, one clear line per known error."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Annotated, NoReturn

import typer

from ecs_medic.config import TRANSPORTS, Settings, load_settings
from ecs_medic.errors import ContextError, ExitCode, MedicError
from ecs_medic.graph.state import Request
from ecs_medic.report.model import Report
from ecs_medic.report.render import render

app = typer.Typer(
    help="Find why an Amazon ECS service is failing, with the evidence that proves it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
lab_app = typer.Typer(help="The built-in AWS stand-in: try ecs-medic without an AWS account.")
app.add_typer(lab_app, name="lab")


class OutputFormat(StrEnum):
    """Report formats."""

    text = "text"
    json = "json"
    markdown = "markdown"


FormatOption = Annotated[OutputFormat, typer.Option("--format", "-f", help="Report format.")]


class ContextMode(StrEnum):
    """Where the context comes from (DESIGN.md, "Context and credentials")."""

    auto = "auto"
    planton = "planton"
    local = "local"


PlantonOrgOption = Annotated[
    str | None, typer.Option("--planton-org", help="Planton organisation (env PLANTON_ORG).")
]
PlantonEnvOption = Annotated[
    str | None, typer.Option("--planton-env", help="Planton environment (env PLANTON_ENV).")
]
ContextOption = Annotated[
    ContextMode | None,
    typer.Option(
        "--context", help="auto: Planton when PLANTON_API_KEY is set; env ECS_MEDIC_CONTEXT."
    ),
]
TransportOption = Annotated[
    str | None,
    typer.Option(
        help="mcp (the AWS MCP servers; default) or direct (boto3); env ECS_MEDIC_TRANSPORT."
    ),
]


def with_planton_flags(
    settings: Settings, org: str | None, env: str | None, context: ContextMode | None
) -> Settings:
    """Settings with the Planton flags applied over the environment."""
    return settings.with_planton(org=org, env=env, context=context.value if context else None)


def fail(message: str, code: ExitCode | int) -> NoReturn:
    """Print one line to stderr and exit with `code`."""
    typer.echo(f"ecs-medic: {message}", err=True)
    raise typer.Exit(int(code))


def guarded(action: Callable[[], int]) -> int:
    """Run a command body; known errors become one line and their exit code."""
    try:
        return action()
    except MedicError as exc:
        fail(str(exc), exc.exit_code)
    except KeyboardInterrupt:
        fail("interrupted.", 130)
    except Exception as exc:  # the one boundary where anything unexpected is caught
        if os.environ.get("ECS_MEDIC_DEBUG"):
            raise
        fail(f"internal error: {type(exc).__name__}: {exc} (ECS_MEDIC_DEBUG=1 shows details)", 4)


def exit_code_for(report: Report) -> ExitCode:
    """0 when healthy, 1 when anything is wrong or could not be checked."""
    return ExitCode.HEALTHY if report.status == "healthy" else ExitCode.PROBLEMS


def emit(report: Report, fmt: OutputFormat) -> int:
    """Print the report and return its exit code."""
    typer.echo(render(report, fmt.value, color=sys.stdout.isatty()))
    return int(exit_code_for(report))


def run_diagnosis(settings: Settings, request: Request, fmt: OutputFormat) -> int:
    """Diagnose and print."""
    from ecs_medic.runner import diagnose  # noqa: PLC0415 - keeps `--help` fast

    return emit(diagnose(settings, request), fmt)


@dataclass(frozen=True, slots=True)
class RunFlags:
    """The flags `diagnose` and `fix` share: where AWS is, the transport, the Planton context."""

    region: str | None
    profile: str | None
    transport: str | None
    planton_org: str | None
    planton_env: str | None
    context: ContextMode | None

    def resolve(self, service: str, cluster: str | None) -> tuple[Settings, Request]:
        """Settings with these flags over the environment, and the request for the service."""
        settings = load_settings().with_aws(region=self.region, profile=self.profile)
        settings = with_transport(settings, self.transport)
        settings = with_planton_flags(settings, self.planton_org, self.planton_env, self.context)
        request = Request(
            service=service,
            cluster=cluster,
            region=settings.aws.region,
            environment=settings.planton.env,
        )
        return settings, request


def with_transport(settings: Settings, transport: str | None) -> Settings:
    """Settings with the chosen evidence transport (the flag wins); unknown ones exit 2."""
    chosen = transport or settings.transport
    if chosen not in TRANSPORTS:
        raise ContextError(f"unknown transport '{chosen}': use {' or '.join(TRANSPORTS)}.")
    return replace(settings, transport=chosen)


@app.command("diagnose")
def diagnose_command(
    service: Annotated[str, typer.Argument(help="Service name or ARN.")],
    cluster: Annotated[
        str | None, typer.Option(help="Cluster name or ARN; default: search all.")
    ] = None,
    region: Annotated[str | None, typer.Option(help="AWS region (default: AWS_REGION).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: AWS_PROFILE).")] = None,
    transport: TransportOption = None,
    planton_org: PlantonOrgOption = None,
    planton_env: PlantonEnvOption = None,
    context: ContextOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Diagnose one ECS service: root cause, evidence, what to do."""

    def body() -> int:
        flags = RunFlags(region, profile, transport, planton_org, planton_env, context)
        settings, request = flags.resolve(service, cluster)
        return run_diagnosis(settings, request, fmt)

    raise typer.Exit(guarded(body))


@app.command("fix")
def fix_command(
    service: Annotated[str, typer.Argument(help="Service name or ARN.")],
    cluster: Annotated[str | None, typer.Option(help="Cluster name or ARN.")] = None,
    region: Annotated[str | None, typer.Option(help="AWS region (default: AWS_REGION).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: AWS_PROFILE).")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Approve every planned action.")] = False,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Stop after the plan.")] = False,
    timeout: Annotated[float, typer.Option(help="Seconds to wait for recovery.")] = 300.0,
    direct_on_planton: Annotated[
        bool,
        typer.Option(
            "--direct-on-planton",
            help="Change fields Planton's spec owns in AWS directly (drift) instead of in Planton.",
        ),
    ] = False,
    transport: TransportOption = None,
    planton_org: PlantonOrgOption = None,
    planton_env: PlantonEnvOption = None,
    context: ContextOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Diagnose, propose a fix with a diff, apply it after approval, verify, roll back if needed."""
    from ecs_medic.fixcli import run_fix  # noqa: PLC0415
    from ecs_medic.remedies.outcome import FixOptions  # noqa: PLC0415

    def body() -> int:
        flags = RunFlags(region, profile, transport, planton_org, planton_env, context)
        settings, request = flags.resolve(service, cluster)
        options = FixOptions(
            dry_run=dry_run,
            auto_approve=yes,
            timeout_s=timeout,
            direct_on_planton=direct_on_planton,
        )
        return run_fix(settings, request, options, fmt.value)

    raise typer.Exit(guarded(body))


@app.command("resume")
def resume_command(
    thread_id: Annotated[str, typer.Argument(help="The thread id `fix` printed.")],
    approve: Annotated[
        bool | None, typer.Option("--approve/--reject", help="Answer the approval question.")
    ] = None,
    actions: Annotated[str, typer.Option(help="Approve only these action ids, e.g. a1,a3.")] = "",
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Continue a `fix` that is waiting for approval, from any process."""
    from ecs_medic.fixcli import run_resume  # noqa: PLC0415

    if approve is None:
        fail("say --approve or --reject.", ExitCode.USAGE)
    chosen = [a.strip() for a in actions.split(",") if a.strip()]
    raise typer.Exit(
        guarded(lambda: run_resume(load_settings(), thread_id, approve, chosen, fmt.value))
    )


@app.command("ask")
def ask_command(
    text: Annotated[str, typer.Argument(help="The problem in your words, naming the service.")],
    region: Annotated[str | None, typer.Option(help="AWS region (default: AWS_REGION).")] = None,
    profile: Annotated[str | None, typer.Option(help="AWS profile (default: AWS_PROFILE).")] = None,
    planton_org: PlantonOrgOption = None,
    planton_env: PlantonEnvOption = None,
    context: ContextOption = None,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Diagnose from a sentence, e.g. "I have an issue with service checkout-api in prod"."""
    from ecs_medic.context.intake import parse_request  # noqa: PLC0415

    def body() -> int:
        hints = parse_request(text)
        settings = load_settings().with_aws(region=region or hints.region, profile=profile)
        settings = with_planton_flags(settings, planton_org, planton_env, context)
        request = Request(service="", region=settings.aws.region, text=text)
        return run_diagnosis(settings, request, fmt)

    raise typer.Exit(guarded(body))


@app.command("demo")
def demo_command(
    scenario: Annotated[
        str, typer.Argument(help="Lab scenario (see `ecs-medic lab list`).")
    ] = "oom",
    fix: Annotated[
        bool, typer.Option("--fix", help="Also plan a fix, ask, apply, verify, roll back.")
    ] = False,
    yes: Annotated[bool, typer.Option("--yes", help="With --fix: approve every action.")] = False,
    timeout: Annotated[
        float, typer.Option(help="With --fix: seconds to wait for recovery.")
    ] = 120.0,
    fmt: FormatOption = OutputFormat.text,
) -> None:
    """Start the lab in this process, break a service the scenario's way, diagnose (and fix) it."""
    from ecs_medic.demo import run_demo, run_fix_demo  # noqa: PLC0415 - the lab imports moto
    from ecs_medic.remedies.outcome import FixOptions  # noqa: PLC0415

    if fix:
        options = FixOptions(auto_approve=yes, timeout_s=timeout)
        raise typer.Exit(guarded(lambda: run_fix_demo(scenario, options, fmt.value)))
    raise typer.Exit(guarded(lambda: run_demo(scenario, lambda s, r: run_diagnosis(s, r, fmt))))


@lab_app.command("list")
def lab_list(
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """List the lab's scenarios and the root cause each one should produce."""
    from ecs_medic.labcli import print_scenarios  # noqa: PLC0415

    raise typer.Exit(guarded(lambda: print_scenarios(fmt)))


@lab_app.command("describe")
def lab_describe(
    scenario: Annotated[str, typer.Argument(help="Scenario name (see `ecs-medic lab list`).")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="text or json")] = "text",
) -> None:
    """Explain a scenario: its configuration, the evidence it shows, its fix and a wrong fix."""
    from ecs_medic.labcli import describe  # noqa: PLC0415

    raise typer.Exit(guarded(lambda: describe(scenario, fmt)))


@lab_app.command("serve")
def lab_serve(
    scenarios: Annotated[
        list[str],
        typer.Argument(help="One or more scenarios; REGION:SCENARIO runs one in another region."),
    ],
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (0: any free port).")] = 0,
    speed: Annotated[float, typer.Option(help="Simulated seconds per wall-clock second.")] = 10.0,
    fault: Annotated[
        list[str] | None,
        typer.Option(help="Make one operation fail: service:Operation[=AccessDenied|Throttling]."),
    ] = None,
    planton: Annotated[
        bool, typer.Option("--planton", help="Also serve a Planton Cloud stand-in (MCP over HTTP).")
    ] = False,
    planton_org: Annotated[
        str, typer.Option("--planton-org", help="Organisation of the Planton stand-in.")
    ] = "ecs-medic-lab",
) -> None:
    """Run the lab on loopback until interrupted; prints what to export."""
    from ecs_medic.labcli import serve  # noqa: PLC0415

    org = planton_org if planton else None
    faults = fault or []
    raise typer.Exit(
        guarded(lambda: serve(scenarios, port=port, speed=speed, faults=faults, planton_org=org))
    )


def main() -> None:
    """Console-script entry point."""
    app()

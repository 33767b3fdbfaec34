"""The console report (rich): root cause first, then the evidence lines verbatim.

Evidence lines are printed unwrapped (soft wrap) so that a stopped reason, an event or a
log line stays one line a person can copy or grep. Text is passed as `Text`, never as rich
markup, because AWS strings such as "codes: [404]" would be read as markup tags.
"""

from __future__ import annotations

from io import StringIO

from rich import box
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ecs_medic.findings import Finding, Severity
from ecs_medic.report.model import Report
from ecs_medic.report.remediation import remediation_lines

WIDTH = 100
STATUS_STYLE = {"healthy": "bold green", "degraded": "bold yellow", "failing": "bold red"}
SEVERITY_STYLE = {
    Severity.CRITICAL: "bold red",
    Severity.HIGH: "red",
    Severity.MEDIUM: "yellow",
    Severity.LOW: "cyan",
    Severity.INFO: "dim",
}


def render_text(report: Report, *, color: bool = False, width: int = WIDTH) -> str:
    """Render the report for a console; ANSI colour only when `color` is set."""
    buffer = StringIO()
    console = Console(
        file=buffer,
        width=width,
        force_terminal=color,
        no_color=not color,
        color_system="standard" if color else None,
        highlight=False,
        emoji=False,
    )
    _headline(console, report)
    _findings(console, report)
    _gaps(console, report)
    _remediation(console, report)
    st = report.stats
    console.print(Text(f"{st.duration_s:.1f} s, {st.api_calls} API calls, {st.transport}", "dim"))
    return "\n".join(line.rstrip() for line in buffer.getvalue().splitlines()) + "\n"


def _headline(console: Console, report: Report) -> None:
    """Print the service, its status and the root cause in one glance."""
    s = report.service
    line = Text(f"{s.name} (cluster {s.cluster}, {s.region}): ")
    line.append(report.status.upper(), STATUS_STYLE.get(report.status, "bold magenta"))
    console.print(line)
    root = report.root_cause
    if root:
        console.print(Text.assemble("Root cause: ", (root.code, "bold"), f" - {root.title}"))
        console.print(Text(root.summary))
    elif not report.findings:
        console.print(Text("No problems found." if report.status == "healthy" else "No finding."))
    for warning in report.context.warnings:
        console.print(Text(f"warning: {warning}", "yellow"))


def _findings(console: Console, report: Report) -> None:
    """Print the ranked table, then each finding with its evidence and fix."""
    if not report.findings:
        return
    table = Table(box=box.SIMPLE, show_edge=False, pad_edge=False)
    for name in ("#", "Code", "Severity", "Conf.", "Summary"):
        table.add_column(name, no_wrap=name != "Summary")
    for i, f in enumerate(report.findings, 1):
        severity = Text(f.severity.value, SEVERITY_STYLE[f.severity])
        table.add_row(str(i), f.code, severity, f"{f.confidence:.0%}", Text(f.summary))
    console.print()
    console.print(table)
    for i, f in enumerate(report.findings, 1):
        _finding(console, i, f)


def _finding(console: Console, index: int, finding: Finding) -> None:
    """Print one finding: heading, cause link, evidence verbatim, fix."""
    console.print()
    heading = Text(f"{index}. {finding.code}", "bold")
    heading.append(f"  {finding.title}", "dim")
    console.print(heading)
    if finding.caused_by:
        console.print(Text(f"   caused by {finding.caused_by}"))
    console.print(Text("   Evidence:"))
    for e in finding.evidence:
        console.print(Text(f"     {e.source} {e.resource}", "dim"), soft_wrap=True)
        console.print(Text(f"       {e.detail}"), soft_wrap=True)
    console.print(Padding(Text(f"Fix ({finding.auto_level}): {finding.remediation}"), (0, 0, 0, 3)))


def _gaps(console: Console, report: Report) -> None:
    """Print the evidence that could not be read and the analyzers that failed."""
    lines = [
        f"{g.source}: {g.reason}" + (f" ({g.detail})" if g.detail else "") for g in report.gaps
    ]
    lines += [f"analyzer failed: {e}" for e in report.analyzer_errors]
    if not lines:
        return
    console.print()
    console.print(Text("Gaps (not checked, so not known to be fine):", "yellow"))
    for line in lines:
        console.print(Text(f"   {line}"), soft_wrap=True)


def _remediation(console: Console, report: Report) -> None:
    """Print the plan with its diffs, the approval, and what applying it did."""
    outcome = report.remediation
    if outcome is None:
        return
    console.print()
    for action in outcome.plan.actions:
        console.print(Text(f"{action.id}  [{action.auto_level}] {action.title}", "bold"))
        console.print(Text(action.diff))
    for line in remediation_lines(outcome):
        console.print(Text(line))
    if report.thread_id and outcome.status == "awaiting-approval":
        console.print(Text(f"thread: {report.thread_id}", "bold"))

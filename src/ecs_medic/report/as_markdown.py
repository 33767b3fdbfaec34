"""The Markdown report, for tickets, pull requests and chat."""

from __future__ import annotations

from ecs_medic.findings import Finding
from ecs_medic.report.model import Report
from ecs_medic.report.remediation import remediation_lines


def render_markdown(report: Report) -> str:
    """Render the report as Markdown: headline, findings with evidence, gaps, stats."""
    sections = [
        _headline(report),
        _findings(report),
        _gaps(report),
        _remediation(report),
        _stats(report),
    ]
    return "\n\n".join(s for s in sections if s) + "\n"


def _headline(report: Report) -> str:
    """Write the title, the status, the root cause and where the service lives."""
    s = report.service
    root = report.root_cause
    lines = [f"# ecs-medic: {s.name} ({s.cluster}) is {report.status.upper()}", ""]
    if root:
        lines.append(f"**Root cause:** {code_span(root.code)}: {root.summary}")
    elif not report.findings:
        lines.append("**No problems found.**" if report.status == "healthy" else "**No finding.**")
    where = [f"region {s.region}", f"account {s.account_id or 'unknown'}"]
    where.append(f"context {report.context.source}")
    lines += ["", " · ".join(where) + (f" · {code_span(s.arn)}" if s.arn else "")]
    lines += [f"> warning: {w}" for w in report.context.warnings]
    return "\n".join(lines)


def _findings(report: Report) -> str:
    """Write a summary table, then one section per finding with its evidence."""
    if not report.findings:
        return ""
    rows = [
        f"| {i} | {code_span(f.code)} | {f.severity.value} | {f.confidence:.0%} "
        f"| {cell(f.summary)} |"
        for i, f in enumerate(report.findings, 1)
    ]
    table = ["| # | Code | Severity | Confidence | Summary |", "|---|---|---|---|---|", *rows]
    details = [_finding(i, f) for i, f in enumerate(report.findings, 1)]
    return "\n".join(["## Findings", "", *table]) + "\n\n" + "\n\n".join(details)


def _finding(index: int, finding: Finding) -> str:
    """Write one finding: title, summary, cause, evidence and fix."""
    lines = [f"### {index}. {finding.code}: {finding.title}", "", finding.summary, ""]
    facts = f"{finding.severity.value}, confidence {finding.confidence:.0%}, {finding.category}"
    if finding.caused_by:
        facts += f", caused by {code_span(finding.caused_by)}"
    lines += [f"*{facts}*", "", "**Evidence**", ""]
    lines += [
        f"- {code_span(e.detail)}  \n  {e.source} {code_span(e.resource)}" for e in finding.evidence
    ]
    lines += ["", f"**Fix** ({finding.auto_level}): {finding.remediation}"]
    return "\n".join(lines)


def _gaps(report: Report) -> str:
    """List what could not be read, and analyzers that failed."""
    lines = [
        f"- {code_span(g.source)}: {g.reason}" + (f" ({g.detail})" if g.detail else "")
        for g in report.gaps
    ]
    lines += [f"- analyzer failed: {e}" for e in report.analyzer_errors]
    return "\n".join(["## Gaps", "", *lines]) if lines else ""


def _stats(report: Report) -> str:
    """Write how long the diagnosis took and how many calls it made."""
    st = report.stats
    return f"---\n*{st.duration_s:.1f} s, {st.api_calls} API calls, transport {st.transport}*"


def code_span(text: str) -> str:
    """Wrap text in a Markdown code span that survives backticks inside it."""
    text = text.replace("\n", " ")
    fence = "``" if "`" in text else "`"
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def cell(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _remediation(report: Report) -> str:
    """Write the plan's diffs as code blocks, then what happened to it."""
    outcome = report.remediation
    if outcome is None:
        return ""
    parts = ["## Remediation"]
    for action in outcome.plan.actions:
        parts.append(
            f"### {action.id} [{action.auto_level}] {action.title}\n\n```diff\n{action.diff}\n```"
        )
    parts.append("\n".join(f"- {line}" for line in remediation_lines(outcome)))
    return "\n\n".join(parts)

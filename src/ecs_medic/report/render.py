"""One entry point for every report format: `render(report, fmt)`."""

from __future__ import annotations

from ecs_medic.report.as_json import render_json
from ecs_medic.report.as_markdown import render_markdown
from ecs_medic.report.as_text import render_text
from ecs_medic.report.model import Report

FORMATS = ("text", "json", "markdown")


def render(report: Report, fmt: str, *, color: bool = False) -> str:
    """Render the report as "text", "json" or "markdown"; `color` only affects text."""
    if fmt == "json":
        return render_json(report)
    if fmt == "markdown":
        return render_markdown(report)
    if fmt == "text":
        return render_text(report, color=color)
    raise ValueError(f"unknown report format {fmt!r}; use one of {', '.join(FORMATS)}")

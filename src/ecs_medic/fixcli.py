"""`ecs-medic fix` and `ecs-medic resume`: the plan, the approval question, the outcome."""

from __future__ import annotations

import json
import sys
from typing import Any

import typer

from ecs_medic.config import Settings
from ecs_medic.errors import ExitCode
from ecs_medic.graph.state import Request
from ecs_medic.remedies.outcome import FixOptions
from ecs_medic.report.render import render
from ecs_medic.runner import RunResult, fix, resume

APPROVAL_SCHEMA = "ecs-medic/approval/v1"


def run_fix(settings: Settings, request: Request, options: FixOptions, fmt: str) -> int:
    """Diagnose and fix; ask on a terminal, otherwise pause and print how to resume."""
    approver = prompt_approver if sys.stdin.isatty() and not options.auto_approve else None
    return emit(fix(settings, request, options, approver), fmt)


def run_resume(
    settings: Settings, thread_id: str, approve: bool, actions: list[str], fmt: str
) -> int:
    """Answer a paused run's approval question from this process."""
    answer: dict[str, Any] = {"reject": True, "by": "resume"}
    if approve:
        answer = {"approve": actions or "all", "by": "resume"}
    return emit(resume(settings, thread_id, answer), fmt)


def prompt_approver(question: dict[str, Any]) -> dict[str, Any] | None:
    """Show the plan on the terminal and ask; Enter or anything unclear rejects."""
    typer.echo(describe_question(question), err=True)
    ids = [a["id"] for a in question["actions"]]
    reply = typer.prompt(f"Apply? [all / {', '.join(ids)} / no]", default="no", err=True)
    return parse_reply(reply, ids)


def parse_reply(reply: str, ids: list[str]) -> dict[str, Any]:
    """Approve all on all/y/yes, the listed ids on a comma list, nothing otherwise."""
    text = reply.strip().lower()
    if text in ("all", "y", "yes"):
        return {"approve": "all", "by": "prompt"}
    chosen = [part.strip() for part in text.split(",") if part.strip() in ids]
    return {"approve": chosen, "by": "prompt"} if chosen else {"reject": True, "by": "prompt"}


def describe_question(question: dict[str, Any]) -> str:
    """The plan as a person reads it: each action's diff, risk, effect and rollback."""
    lines = [question["question"], ""]
    for action in question["actions"]:
        lines.append(
            f"{action['id']}  [{action['auto_level']}] {action['code']}: {action['title']}"
        )
        lines.extend(f"    {line}" for line in action["diff"].splitlines())
        lines.append(f"    expected: {action['expected_effect']}")
        if action.get("risk"):
            lines.append(f"    risk: {action['risk']}")
        lines.append(f"    rollback: {', '.join(action['rollback']) or 'none needed'}")
        lines.append("")
    return "\n".join(lines)


def emit(result: RunResult, fmt: str) -> int:
    """Print the report, or the pending question with the resume command; return the exit code."""
    if result.report is None:
        typer.echo(_pending(result, fmt))
        return int(ExitCode.PROBLEMS)
    typer.echo(render(result.report, fmt, color=sys.stdout.isatty()))
    outcome = result.report.remediation
    healed = outcome is not None and outcome.status == "verified"
    healthy = result.report.status == "healthy"
    return int(ExitCode.HEALTHY if healed or healthy else ExitCode.PROBLEMS)


def _pending(result: RunResult, fmt: str) -> str:
    question = result.pending or {}
    resume_line = f"ecs-medic resume {result.thread_id} --approve   (or --reject)"
    if fmt == "json":
        doc = {"schema": APPROVAL_SCHEMA, "thread_id": result.thread_id, **question}
        return json.dumps(doc, indent=2)
    return f"{describe_question(question)}\nApproval needed; nothing was changed.\n{resume_line}"

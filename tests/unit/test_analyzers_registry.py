"""analyze(): every registered analyzer runs; one that raises is recorded, not fatal."""

from __future__ import annotations

import ast
from pathlib import Path

from builders import oom_task, snapshot

import ecs_medic.analyzers
from ecs_medic.analyzers import ANALYZERS, analyze

FORBIDDEN_IMPORTS = ("boto3", "botocore", "langgraph", "mcp", "requests", "httpx", "subprocess")


def broken_analyzer(snapshot):
    """An analyzer with a bug."""
    raise KeyError("task definition")


def test_healthy_snapshot_has_no_findings_and_no_errors():
    """A healthy service gives an empty analysis."""
    analysis = analyze(snapshot())
    assert ((), ()) == (analysis.findings, analysis.errors)


def test_raising_analyzer_is_recorded_and_the_others_still_run():
    """The error names the analyzer; the OOM finding of the next analyzer survives."""
    analysis = analyze(snapshot(stopped_tasks=(oom_task(1),)), (broken_analyzer, *ANALYZERS))
    assert ("broken_analyzer: KeyError: 'task definition'",) == analysis.errors
    assert ["OOM_KILLED"] == [f.code for f in analysis.findings]


def test_every_registered_analyzer_is_distinct():
    """The registry lists each analyzer once."""
    assert len(set(ANALYZERS)) == len(ANALYZERS)


def test_analyzers_import_no_aws_graph_or_io_library():
    """Analyzers stay pure: no boto3, LangGraph, MCP or I/O imports."""
    package = Path(ecs_medic.analyzers.__file__).parent
    imported = {
        (path.name, name.split(".")[0])
        for path in package.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        for name in _imported_names(node)
    }
    assert [] == sorted(pair for pair in imported if pair[1] in FORBIDDEN_IMPORTS)


def _imported_names(node):
    """Module names an import statement pulls in."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return [node.module]
    return []

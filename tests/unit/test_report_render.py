"""render(): the JSON schema "ecs-medic/report/v1", Markdown and console text."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from builders import (
    ACCOUNT,
    OOM_REASON,
    REGION,
    SERVICE_ARN,
    failed_deployment,
    oom_task,
    service,
    snapshot,
)

from ecs_medic.analyzers import analyze
from ecs_medic.aws.snapshot import Gap
from ecs_medic.findings import Evidence
from ecs_medic.report.as_markdown import code_span
from ecs_medic.report.model import ContextInfo, Report, ServiceRef, Stats
from ecs_medic.report.render import render

REF = ServiceRef("ledger-api", "payments", SERVICE_ARN, REGION, ACCOUNT)
STATS = Stats(duration_s=0.42, api_calls=17, transport="direct")


def make_report(*, gaps=(), errors=(), failing=True):
    """A report on ledger-api: OOM kills that failed a deployment, or a healthy service."""
    snap = snapshot(
        stopped_tasks=(oom_task(1), oom_task(2)),
        service=service(running=0, deployments=(failed_deployment(),)),
    )
    findings = analyze(snap if failing else snapshot()).findings
    return Report(REF, ContextInfo(), findings, tuple(gaps), STATS, tuple(errors))


def oom_line():
    """The verbatim evidence of the first OOM-killed task."""
    return make_report().findings[0].evidence[0].detail


def test_json_has_exactly_the_schema_keys_and_types():
    """Top-level and nested keys and value types follow DESIGN.md."""
    doc = json.loads(render(make_report(), "json"))
    assert [
        "schema",
        "service",
        "context",
        "status",
        "root_cause",
        "findings",
        "gaps",
        "stats",
    ] == list(doc)
    assert {
        "name": "ledger-api",
        "cluster": "payments",
        "arn": SERVICE_ARN,
        "region": REGION,
        "account_id": ACCOUNT,
    } == doc["service"]
    assert {"source": "local", "planton_resource": None, "role_arn": None, "warnings": []} == doc[
        "context"
    ]
    assert {"duration_s": 0.42, "api_calls": 17, "transport": "direct"} == doc["stats"]
    assert ("ecs-medic/report/v1", "failing", "OOM_KILLED") == (
        doc["schema"],
        doc["status"],
        doc["root_cause"],
    )


def test_json_finding_carries_evidence_remediation_and_cause_link():
    """Each finding has the schema's fields; caused_by only where set."""
    oom, breaker = json.loads(render(make_report(), "json"))["findings"]
    expected = [
        "code",
        "category",
        "severity",
        "confidence",
        "title",
        "summary",
        "evidence",
        "remediation",
    ]
    assert expected == list(oom)
    assert [*expected, "caused_by"] == list(breaker)
    assert "OOM_KILLED" == breaker["caused_by"]
    assert {"source", "resource", "detail"} == set(oom["evidence"][0])
    assert {"summary": oom["remediation"]["summary"], "auto_level": "A2"} == oom["remediation"]
    assert ("runtime", "critical", 0.95) == (oom["category"], oom["severity"], oom["confidence"])


def test_json_of_a_healthy_service_has_null_root_cause():
    """No findings means status healthy and root_cause null."""
    doc = json.loads(render(make_report(failing=False), "json"))
    assert ("healthy", None, []) == (doc["status"], doc["root_cause"], doc["findings"])


def test_json_gap_adds_detail_and_resource_only_when_present():
    """Empty gap detail and resource are left out; analyzer errors become gaps."""
    gaps = (
        Gap("iam:SimulatePrincipalPolicy", "AccessDenied"),
        Gap("logs:GetLogEvents", "Throttling", "rate", "/ecs/x"),
    )
    doc = json.loads(render(make_report(gaps=gaps, errors=("oom_killed: KeyError: 'x'",)), "json"))
    assert [
        {"source": "iam:SimulatePrincipalPolicy", "reason": "AccessDenied"},
        {
            "source": "logs:GetLogEvents",
            "reason": "Throttling",
            "detail": "rate",
            "resource": "/ecs/x",
        },
        {
            "source": "ecs-medic:analyzer",
            "reason": "AnalyzerError",
            "detail": "oom_killed: KeyError: 'x'",
        },
    ] == doc["gaps"]


def test_analyzer_error_makes_an_otherwise_healthy_report_unknown():
    """A failed analyzer means part of the service was not checked, so it is not healthy."""
    assert "unknown" == make_report(failing=False, errors=("x: boom",)).status


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_human_formats_show_root_cause_and_verbatim_evidence(fmt):
    """Markdown and text name the root cause and quote the OOM evidence line whole."""
    out = render(make_report(), fmt)
    assert "Root cause" in out
    assert "OOM_KILLED" in out
    assert oom_line() in out
    assert OOM_REASON in out


@pytest.mark.parametrize("fmt", ["markdown", "text"])
def test_human_formats_show_gaps_and_stats(fmt):
    """Gaps and run statistics are visible to a person."""
    out = render(make_report(gaps=(Gap("elbv2:DescribeTargetHealth", "AccessDenied"),)), fmt)
    assert "elbv2:DescribeTargetHealth" in out
    assert "17 API calls" in out


def test_text_root_cause_comes_before_the_symptom():
    """The console shows the root cause before the breaker it caused."""
    out = render(make_report(), "text")
    assert out.index("Root cause: OOM_KILLED") < out.index("CIRCUIT_BREAKER_ROLLBACK")
    assert "caused by OOM_KILLED" in out


def test_text_keeps_aws_brackets_literal():
    """'codes: [404]' is printed as is, not swallowed as rich markup."""
    detail = "Health checks failed with these codes: [404] [bold]"
    finding = replace(make_report().findings[0], evidence=(Evidence("elbv2", "tg", detail),))
    report = Report(REF, ContextInfo(), (finding,), (), STATS)
    assert detail in render(report, "text")


def test_text_has_colour_only_when_asked():
    """ANSI escapes appear with color=True and never without."""
    report = make_report()
    assert "\x1b[" in render(report, "text", color=True)
    assert "\x1b[" not in render(report, "text")


def test_markdown_survives_backticks_in_evidence():
    """A backtick inside evidence widens the code span fence instead of ending it."""
    assert "``a `b` c``" == code_span("a `b` c")


def test_unknown_format_is_refused():
    """An unknown format is a ValueError naming the choices."""
    with pytest.raises(ValueError, match="text, json, markdown"):
        render(make_report(), "yaml")

"""The JSON report, schema "ecs-medic/report/v1" (DESIGN.md), for scripts."""

from __future__ import annotations

import json

from ecs_medic.aws.snapshot import Gap
from ecs_medic.findings import Finding
from ecs_medic.report.model import SCHEMA, Report
from ecs_medic.report.remediation import remediation_to_dict

JsonObject = dict[str, object]

ANALYZER_GAP_SOURCE = "ecs-medic:analyzer"


def render_json(report: Report) -> str:
    """Render the report as indented JSON."""
    return json.dumps(report_to_dict(report), indent=2, ensure_ascii=False)


def report_to_dict(report: Report) -> JsonObject:
    """Build the schema's document from a report; keys and order follow DESIGN.md."""
    doc = _diagnosis(report)
    if report.remediation is not None:
        doc["remediation"] = remediation_to_dict(report.remediation)
        doc["thread_id"] = report.thread_id
    return doc


def _diagnosis(report: Report) -> JsonObject:
    """The diagnosis part of the document."""
    root = report.root_cause
    service, context, stats = report.service, report.context, report.stats
    return {
        "schema": SCHEMA,
        "service": {
            "name": service.name,
            "cluster": service.cluster,
            "arn": service.arn,
            "region": service.region,
            "account_id": service.account_id,
        },
        "context": {
            "source": context.source,
            "planton_resource": context.planton_resource,
            "role_arn": context.role_arn,
            "warnings": list(context.warnings),
        },
        "status": report.status,
        "root_cause": root.code if root else None,
        "findings": [_finding(f) for f in report.findings],
        "gaps": [_gap(g) for g in (*report.gaps, *_analyzer_gaps(report))],
        "stats": {
            "duration_s": stats.duration_s,
            "api_calls": stats.api_calls,
            "transport": stats.transport,
        },
    }


def _finding(finding: Finding) -> JsonObject:
    """Build one finding; `caused_by` appears only when set."""
    doc: JsonObject = {
        "code": finding.code,
        "category": finding.category,
        "severity": finding.severity.value,
        "confidence": round(finding.confidence, 2),
        "title": finding.title,
        "summary": finding.summary,
        "evidence": [
            {"source": e.source, "resource": e.resource, "detail": e.detail}
            for e in finding.evidence
        ],
        "remediation": {"summary": finding.remediation, "auto_level": finding.auto_level},
    }
    if finding.caused_by:
        doc["caused_by"] = finding.caused_by
    return doc


def _gap(gap: Gap) -> JsonObject:
    """Build one gap; `detail` and `resource` appear only when non-empty."""
    doc: JsonObject = {"source": gap.source, "reason": gap.reason}
    if gap.detail:
        doc["detail"] = gap.detail
    if gap.resource:
        doc["resource"] = gap.resource
    return doc


def _analyzer_gaps(report: Report) -> tuple[Gap, ...]:
    """Show analyzers that failed as gaps: their part of the diagnosis is missing."""
    return tuple(
        Gap(ANALYZER_GAP_SOURCE, "AnalyzerError", detail=e) for e in report.analyzer_errors
    )

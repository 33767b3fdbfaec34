"""The diagnosis report: what every renderer (text, Markdown, JSON) shows."""

from __future__ import annotations

from dataclasses import dataclass, field

from ecs_medic.aws.snapshot import Gap
from ecs_medic.findings import Finding, Severity
from ecs_medic.remedies.outcome import RemediationOutcome

SCHEMA = "ecs-medic/report/v1"


@dataclass(frozen=True, slots=True)
class ServiceRef:
    """Which service the report is about."""

    name: str
    cluster: str
    arn: str | None
    region: str
    account_id: str | None


@dataclass(frozen=True, slots=True)
class ContextInfo:
    """Where the context came from (Planton Cloud or the local AWS chain)."""

    source: str = "local"  # planton | local
    planton_resource: str | None = None
    role_arn: str | None = None
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Stats:
    """How the diagnosis ran."""

    duration_s: float
    api_calls: int
    transport: str


@dataclass(frozen=True, slots=True)
class Report:
    """The full result of one diagnosis; `findings` are ordered by rank."""

    service: ServiceRef
    context: ContextInfo
    findings: tuple[Finding, ...]
    gaps: tuple[Gap, ...]
    stats: Stats
    analyzer_errors: tuple[str, ...] = field(default=())
    remediation: RemediationOutcome | None = None
    thread_id: str | None = None

    @property
    def root_cause(self) -> Finding | None:
        """The top-ranked finding, if any is medium severity or worse."""
        top = self.findings[0] if self.findings else None
        return top if top and top.severity.at_least(Severity.MEDIUM) else None

    @property
    def status(self) -> str:
        """The status, healthy | degraded | failing | unknown, from findings and gaps."""
        worst = self.findings[0].severity if self.findings else None
        if worst in (Severity.CRITICAL, Severity.HIGH):
            return "failing"
        if worst is Severity.MEDIUM:
            return "degraded"
        if self.gaps or self.analyzer_errors:  # missing evidence is never "healthy"
            return "unknown"
        return "healthy"

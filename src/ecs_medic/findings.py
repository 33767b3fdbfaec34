"""Findings: what an analyzer concludes, with the evidence that proves it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from ecs_medic.catalogue import failure_mode


class Severity(StrEnum):
    """How much a finding hurts the service; ordered from worst to mildest."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"

    @property
    def rank(self) -> int:
        """0 for critical up to 4 for info, for sorting."""
        return list(Severity).index(self)

    def at_least(self, other: Severity) -> bool:
        """Whether this severity is as bad as `other` or worse."""
        return self.rank <= other.rank


@dataclass(frozen=True, slots=True)
class Evidence:
    """One checkable fact: which API said it, about which resource, and exactly what."""

    source: str  # "ecs:DescribeTasks"
    resource: str  # an ARN or id
    detail: str  # the exact string AWS returned, or the concrete comparison


@dataclass(frozen=True, slots=True)
class Finding:
    """A failure mode found in a snapshot."""

    code: str
    category: str
    severity: Severity
    confidence: float
    title: str
    summary: str
    evidence: tuple[Evidence, ...]
    remediation: str
    auto_level: str
    caused_by: str | None = None  # code of the finding that explains this one
    affected_tasks: int = 0  # how many tasks show this failure; a ranking tie-breaker


def make_finding(
    code: str,
    *,
    summary: str,
    evidence: list[Evidence] | tuple[Evidence, ...],
    remediation: str,
    severity: Severity = Severity.HIGH,
    confidence: float = 0.9,
    auto_level: str | None = None,
    affected_tasks: int = 0,
) -> Finding:
    """Build a finding whose category, title and default fix level come from the catalogue."""
    mode = failure_mode(code)
    return Finding(
        code=code,
        category=mode.category,
        severity=severity,
        confidence=confidence,
        title=mode.title,
        summary=summary,
        evidence=tuple(evidence),
        remediation=remediation,
        auto_level=auto_level or mode.auto_level,
        affected_tasks=affected_tasks,
    )

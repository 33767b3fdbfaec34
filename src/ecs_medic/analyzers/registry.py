"""The one list of analyzers, and `analyze()`, which runs them all over a snapshot."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.findings import Finding

from . import deployment, expected, image, load_balancer, runtime
from .ranking import rank

Analyzer = Callable[[ServiceSnapshot], list[Finding]]

ANALYZERS: tuple[Analyzer, ...] = (
    image.image_pull_not_found,
    load_balancer.tg_healthcheck_failing,
    runtime.oom_killed,
    runtime.essential_container_exit,
    deployment.circuit_breaker_rollback,
    deployment.deployment_stuck,
    expected.expected_stops,
)


@dataclass(frozen=True, slots=True)
class Analysis:
    """Ranked findings (best root cause first) and the analyzers that failed."""

    findings: tuple[Finding, ...]
    errors: tuple[str, ...] = ()


def analyze(snapshot: ServiceSnapshot, analyzers: Sequence[Analyzer] = ANALYZERS) -> Analysis:
    """Run every analyzer; one that raises is recorded as an error and the others go on."""
    findings: list[Finding] = []
    errors: list[str] = []
    for analyzer in analyzers:
        try:
            findings.extend(analyzer(snapshot))
        except Exception as exc:  # noqa: BLE001 - the one boundary: a broken analyzer must not hide the rest
            errors.append(f"{_name(analyzer)}: {type(exc).__name__}: {exc}")
    return Analysis(findings=rank(findings), errors=tuple(errors))


def _name(analyzer: Analyzer) -> str:
    """Return the analyzer's function name, for error messages."""
    return getattr(analyzer, "__name__", repr(analyzer))

"""The graph's state: what flows from intake to report (never credentials)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from typing import Annotated, TypedDict

from ecs_medic.aws.snapshot import Gap, ServiceSnapshot
from ecs_medic.context.target import Target
from ecs_medic.findings import Finding
from ecs_medic.report.model import Report


@dataclass(frozen=True, slots=True)
class Request:
    """What the user asked for, before any AWS call."""

    service: str
    cluster: str | None = None
    region: str | None = None


class InputState(TypedDict):
    """What a run starts from."""

    request: Request


class OutputState(TypedDict, total=False):
    """What a run hands back."""

    report: Report


class DiagnosisState(TypedDict, total=False):
    """Everything the nodes share; lists that accumulate have reducers."""

    request: Request
    started_at: float
    target: Target
    snapshot: ServiceSnapshot
    findings: list[Finding]
    analyzer_errors: list[str]
    gaps: Annotated[list[Gap], operator.add]
    report: Report

"""The graph's state: what flows from intake to report (never credentials)."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, NotRequired, TypedDict

from ecs_medic.aws.snapshot import Gap, ServiceSnapshot
from ecs_medic.context.expected import ExpectedSpec
from ecs_medic.context.target import Target
from ecs_medic.findings import Finding
from ecs_medic.remedies.outcome import ActionOutcome, Approval, FixOptions
from ecs_medic.remedies.plan import RemediationPlan
from ecs_medic.remedies.verify import Verification
from ecs_medic.report.model import ContextInfo, Report


@dataclass(frozen=True, slots=True)
class Request:
    """What the user asked for, before any AWS call."""

    service: str
    cluster: str | None = None
    region: str | None = None
    environment: str | None = None  # a Planton environment hint (--planton-env, "in prod")
    text: str | None = None  # a free-text request (`ecs-medic ask`), parsed by intake


class InputState(TypedDict):
    """What a run starts from."""

    request: Request
    fix: NotRequired[FixOptions]  # present for `ecs-medic fix`


class OutputState(TypedDict, total=False):
    """What a run hands back."""

    report: Report


class DiagnosisState(TypedDict, total=False):
    """Everything the nodes share; lists that accumulate have reducers."""

    request: Request
    started_at: float
    target: Target
    context_info: ContextInfo  # where the target came from (Planton or local), with warnings
    expected: ExpectedSpec | None  # Planton spec of the target, when Planton manages it
    snapshot: ServiceSnapshot
    findings: list[Finding]
    analyzer_errors: list[str]
    gaps: Annotated[list[Gap], operator.add]
    fix: FixOptions
    plan: RemediationPlan
    approval: Approval
    outcomes: list[ActionOutcome]
    applied_at: datetime | None  # the service's own clock just before the change
    verification: Verification
    rollback_verification: Verification
    remediation_status: str
    report: Report

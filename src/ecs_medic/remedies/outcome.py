"""What happened to a remediation plan: approval, each action's result, verification, rollback."""

from __future__ import annotations

from dataclasses import dataclass

from ecs_medic.remedies.plan import Binding, RemediationPlan
from ecs_medic.remedies.verify import Verification


@dataclass(frozen=True, slots=True)
class FixOptions:
    """How `ecs-medic fix` was asked to run."""

    dry_run: bool = False
    auto_approve: bool = False  # --yes
    timeout_s: float = 300.0
    direct_on_planton: bool = False  # change Planton-owned fields in AWS directly (drift)


@dataclass(frozen=True, slots=True)
class Approval:
    """The approver's answer; fail closed: no answer is no change."""

    approved: tuple[str, ...] = ()  # action ids
    by: str = "nobody"  # "--yes" | "prompt" | "resume" | "nobody"
    reason: str = ""

    @property
    def rejected(self) -> bool:
        """Whether nothing was approved."""
        return not self.approved


@dataclass(frozen=True, slots=True)
class ActionOutcome:
    """One approved action: applied or not, and rolled back or not."""

    action_id: str
    applied: bool
    error: str | None = None
    rolled_back: bool = False
    rollback_error: str | None = None
    bound: tuple[Binding, ...] = ()  # what the rollback refers to in the steps' answers


@dataclass(frozen=True, slots=True)
class RemediationOutcome:
    """The `remediation` object of the report."""

    plan: RemediationPlan
    approval: Approval | None = None
    actions: tuple[ActionOutcome, ...] = ()
    verification: Verification | None = None
    rollback_verification: Verification | None = None
    status: str = "planned"  # planned | dry-run | awaiting-approval | rejected | verified |
    #                           not-verified | rolled-back | rollback-failed | nothing-to-do

    @property
    def applied(self) -> bool:
        """Whether any action changed AWS."""
        return any(a.applied for a in self.actions)

    @property
    def rolled_back(self) -> bool:
        """Whether the applied actions were rolled back."""
        return any(a.rolled_back for a in self.actions)

    @property
    def verified(self) -> bool:
        """Whether the service was verified healthy after the change."""
        return bool(self.verification and self.verification.ok)

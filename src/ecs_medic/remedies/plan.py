"""Remediation plans: ordered, reviewable API changes, each with its diff and its rollback.

A plan is data. Nothing here calls AWS: the planners build plans from a snapshot, the
approval node shows them, and only the apply step executes their API calls.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# A parameter value "$<step id>.<key>" is replaced by that key of an earlier step's response,
# e.g. "$register.taskDefinition.taskDefinitionArn".
REF_PREFIX = "$"
Binding = tuple[str, str]  # (reference, the value a step's response gave it)


@dataclass(frozen=True, slots=True)
class ApiCall:
    """One AWS API call: service, operation and API-shaped parameters."""

    service: str
    operation: str
    params: dict[str, Any]
    step_id: str = ""  # names the response for later references

    @property
    def source(self) -> str:
        """The call as "service:Operation", the way evidence and the audit log name it."""
        return f"{self.service}:{self.operation}"


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One task-definition field to change: task level when `container` is None."""

    field: str  # "memory", "cpu", "image", "healthCheck", ...
    before: Any
    after: Any
    container: str | None = None


@dataclass(frozen=True, slots=True)
class ReviseTaskDefinition:
    """Register a new revision of `base_arn` with these changes (read live at apply time).

    The live definition is read only when applying, because the snapshot never keeps
    environment values and a new revision must carry them unchanged.
    """

    base_arn: str
    changes: tuple[FieldChange, ...]
    step_id: str = "revision"

    @property
    def source(self) -> str:
        """The call that registers the revision."""
        return "ecs:RegisterTaskDefinition"


Step = ApiCall | ReviseTaskDefinition


@dataclass(frozen=True, slots=True)
class Action:
    """One change the user approves or rejects as a whole."""

    id: str  # "a1", "a2": what `--approve a1` names
    code: str  # the finding it fixes
    title: str
    auto_level: str  # A1 | A2
    steps: tuple[Step, ...]
    rollback: tuple[ApiCall, ...]
    diff: str  # unified diff of the configuration the steps change
    expected_effect: str
    risk: str = ""  # what could go wrong, in one sentence (auto_level is the risk level)


@dataclass(frozen=True, slots=True)
class RemediationPlan:
    """What ecs-medic proposes: automatable actions and precise recommendations."""

    actions: tuple[Action, ...] = ()
    recommendations: tuple[str, ...] = ()  # A3 (and unplannable A1/A2): what a person must do
    notes: tuple[str, ...] = field(default=())

    @property
    def empty(self) -> bool:
        """Whether there is nothing to apply."""
        return not self.actions

    def action(self, action_id: str) -> Action | None:
        """The action with this id."""
        return next((a for a in self.actions if a.id == action_id), None)


def resolve(value: Any, responses: dict[str, dict[str, Any]]) -> Any:
    """Replace "$step.key.path" references in a parameter tree with earlier responses' values."""
    if isinstance(value, dict):
        return {k: resolve(v, responses) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, responses) for v in value]
    if _is_reference(value):
        step, _, path = value[1:].partition(".")
        current: Any = responses[step]
        for key in path.split("."):
            current = current[int(key)] if isinstance(current, list) else current[key]
        return current
    return value


def references(value: Any) -> list[str]:
    """The "$step.key.path" references in a parameter tree, in order."""
    if isinstance(value, dict):
        return [r for v in value.values() for r in references(v)]
    if isinstance(value, list):
        return [r for v in value for r in references(v)]
    return [value] if _is_reference(value) else []


def bind(calls: tuple[ApiCall, ...], responses: dict[str, dict[str, Any]]) -> tuple[Binding, ...]:
    """The values the calls' references take in these responses (unanswered ones left out).

    A rollback that deletes what a step created (a listener) needs that step's answer; the
    apply step keeps just these values, so no whole response reaches the graph state.
    """
    bound: dict[str, str] = {}
    for ref in (r for call in calls for r in references(call.params)):
        try:
            bound[ref] = str(resolve(ref, responses))
        except (KeyError, IndexError, TypeError, ValueError):
            continue  # the step did not run or answered without it: nothing was created
    return tuple(bound.items())


def substitute(value: Any, bound: dict[str, str]) -> Any:
    """Replace bound references in a parameter tree with the values `bind` kept."""
    if isinstance(value, dict):
        return {k: substitute(v, bound) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v, bound) for v in value]
    return bound.get(value, value) if _is_reference(value) else value


def _is_reference(value: Any) -> bool:
    return isinstance(value, str) and value.startswith(REF_PREFIX) and "." in value

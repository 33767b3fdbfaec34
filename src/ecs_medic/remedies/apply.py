"""Apply approved actions through a write-enabled gateway, audit every mutating call, roll back.

The audit log is append-only JSON lines: time, thread, action, step, request (secrets and
environment values redacted), result. Only this module issues mutating AWS calls.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ecs_medic.aws.gateway import Gateway, GatewayError
from ecs_medic.remedies.plan import (
    Action,
    ApiCall,
    Binding,
    FieldChange,
    ReviseTaskDefinition,
    Step,
    references,
    resolve,
    substitute,
)

# Fields DescribeTaskDefinition returns that RegisterTaskDefinition does not accept.
_READ_ONLY_TD_FIELDS = (
    "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
    "registeredAt", "registeredBy", "deregisteredAt",
)  # fmt: skip
_REDACTED = "<redacted>"


@dataclass
class AuditLog:
    """Append-only JSON lines of every mutating call."""

    path: Path
    thread_id: str
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, action: Action, call: str, request: dict[str, Any], result: str) -> None:
        """Append one entry; the request is redacted before it is written."""
        entry = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "thread": self.thread_id,
            "action": action.id,
            "code": action.code,
            "call": call,
            "request": redact(request),
            "result": result,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._lock, self.path.open("a", encoding="utf-8") as log:
            log.write(json.dumps(entry, default=str) + "\n")


def redact(value: Any) -> Any:
    """Drop environment values and secret references' resolved values from a request."""
    if isinstance(value, dict):
        out = {k: redact(v) for k, v in value.items()}
        if {"name", "value"} <= out.keys():
            out["value"] = _REDACTED
        return out
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one applied action did."""

    action_id: str
    ok: bool
    error: str | None = None
    responses: dict[str, dict[str, Any]] = field(default_factory=dict)


class Applier:
    """Runs approved actions' steps in order; a failing step stops its action."""

    def __init__(self, gateway: Gateway, audit: AuditLog) -> None:
        self._gw = gateway
        self._audit = audit

    def apply(self, action: Action) -> StepResult:
        """Run every step of `action`; earlier responses feed later "$step.key" references."""
        responses: dict[str, dict[str, Any]] = {}
        for step in action.steps:
            try:
                response = self._run(action, step, responses)
            except GatewayError as exc:
                return StepResult(
                    action.id, False, f"{exc.source}: {exc.code}: {exc.message}", responses
                )
            if step.step_id:
                responses[step.step_id] = response
        return StepResult(action.id, True, None, responses)

    def roll_back(self, action: Action, bound: tuple[Binding, ...] = ()) -> StepResult:
        """Run the action's rollback calls; every one is attempted even if one fails.

        A call that refers to something a step never created (its reference is unbound) is
        skipped: there is nothing to undo.
        """
        errors = []
        values = dict(bound)
        for call in action.rollback:
            if any(r not in values for r in references(call.params)):
                continue
            try:
                self._call(action, call, {}, values)
            except GatewayError as exc:
                errors.append(f"{exc.source}: {exc.code}")
        return StepResult(action.id, not errors, "; ".join(errors) or None)

    def _run(
        self, action: Action, step: Step, responses: dict[str, dict[str, Any]]
    ) -> dict[str, Any]:
        if isinstance(step, ReviseTaskDefinition):
            return self._revise(action, step)
        return self._call(action, step, responses)

    def _call(
        self,
        action: Action,
        call: ApiCall,
        responses: dict[str, dict[str, Any]],
        bound: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        params = substitute(call.params, bound) if bound else resolve(call.params, responses)
        try:
            response = self._gw.call(call.service, call.operation, params)
        except GatewayError as exc:
            self._audit.record(action, call.source, params, f"error: {exc.code}")
            raise
        self._audit.record(action, call.source, params, "ok")
        return response

    def _revise(self, action: Action, step: ReviseTaskDefinition) -> dict[str, Any]:
        """Read the live definition, apply the changes, register it as a new revision."""
        live = self._gw.call("ecs", "DescribeTaskDefinition", {"taskDefinition": step.base_arn})
        params = revised(live["taskDefinition"], step.changes)
        return self._call(action, ApiCall("ecs", "RegisterTaskDefinition", params), {})


def revised(definition: dict[str, Any], changes: tuple[FieldChange, ...]) -> dict[str, Any]:
    """RegisterTaskDefinition parameters: the live definition with `changes` applied."""
    params = {k: v for k, v in copy.deepcopy(definition).items() if k not in _READ_ONLY_TD_FIELDS}
    for change in changes:
        if change.container is None:
            _set(params, change.field, change.after)
            continue
        for container in params.get("containerDefinitions", []):
            if container.get("name") == change.container:
                _set(container, change.field, change.after)
    return params


def _set(params: dict[str, Any], key: str, value: Any) -> None:
    """Set one field; None removes it (RegisterTaskDefinition rejects nulls)."""
    if value is None:
        params.pop(key, None)
    else:
        params[key] = value

"""Apply a spec change to a Planton-managed service and follow its stack job to the end.

`planton:ApplyCloudResource` steps (planton_plan) run here, behind the Gateway interface, so
the Applier audits them like any AWS call. The step reads the stored AwsEcsService, sets the
changed fields, and sends the full envelope to `apply_cloud_resource` the way the server
accepts it (reference/planton-mcp.md, wire facts): snake_case keys, api_version
aws.openmcf.org/v1, metadata name/org/env, every value-or-reference field a plain string
(references are resolved first). Then `get_latest_stack_job` is polled until the new job
completes; a failed or cancelled job is a failed step with the job's errors.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable, Mapping
from typing import Any

from ecs_medic.aws.gateway import ErrorKind, Gateway, GatewayError, source_name
from ecs_medic.config import PlantonSettings
from ecs_medic.context.planton_client import (
    PlantonClient,
    PlantonError,
    PlantonErrorKind,
    connect,
    run_planton,
)
from ecs_medic.context.planton_values import dig, parse_resolved_yaml
from ecs_medic.remedies.planton_plan import APPLY, PLANTON

KIND = "AwsEcsService"
OPENMCF_API = "aws.openmcf.org/v1"
TOOLS = ("get_cloud_resource", "resolve_value_references", "apply_cloud_resource",
         "get_latest_stack_job")  # fmt: skip
STACK_JOB_TIMEOUT_S = 1800.0  # a Pulumi update of an ECS service takes minutes
POLL_S = 1.0
# Fields that hold a value or a reference ({"value": x} / {"value_from": ...} when read).
_REFERENCE_PATHS = (
    ("cluster_arn",), ("network", "subnets"), ("network", "security_groups"),
    ("iam", "task_execution_role_arn"), ("iam", "task_role_arn"), ("alb", "arn"),
)  # fmt: skip


class PlantonGateway:
    """The `planton` service of the apply step: ApplyCloudResource, followed to completion."""

    def __init__(
        self,
        settings: PlantonSettings,
        *,
        timeout_s: float = STACK_JOB_TIMEOUT_S,
        poll_s: float = POLL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings
        self._timeout_s = timeout_s
        self._poll_s = poll_s
        self._clock = clock
        self._calls = 0

    @property
    def transport(self) -> str:
        """Planton's MCP server."""
        return "planton"

    @property
    def api_calls(self) -> int:
        """Spec changes applied through this gateway."""
        return self._calls

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Apply one spec change and wait for its stack job; GatewayError when it fails."""
        source = source_name(service, operation)
        if (service, operation) != (PLANTON, APPLY):
            raise GatewayError(source, ErrorKind.ERROR, "Unsupported", "not a Planton operation")
        self._calls += 1
        args = dict(params or {})
        try:
            started = run_planton(self._settings, lambda: _apply(self._settings, args))
            job = self._follow(str(args["resource_id"]), started)
        except PlantonError as exc:
            raise GatewayError(source, ErrorKind.UNAVAILABLE, "PlantonError", str(exc)) from exc
        return _finished(source, job)

    def _follow(self, resource_id: str, started: str) -> dict[str, Any]:
        """Poll the resource's latest stack job until the one this apply started completes."""
        deadline = self._clock() + self._timeout_s
        while True:
            job = run_planton(self._settings, lambda: _latest_job(self._settings, resource_id))
            if _is(job, started) and dig(job, "status", "progress", "status") == "completed":
                return job
            if self._clock() > deadline:
                raise PlantonError(
                    PlantonErrorKind.UNAVAILABLE,
                    f"Planton's stack job {started or '(new)'} did not finish in "
                    f"{self._timeout_s:.0f} s; follow it in Planton before retrying.",
                )
            time.sleep(self._poll_s)


def _is(job: dict[str, Any], started: str) -> bool:
    """Whether `job` is the one the apply started (any newer job when its id is not known)."""
    return not started or dig(job, "metadata", "id") == started


def _finished(source: str, job: dict[str, Any]) -> dict[str, Any]:
    """The completed job as the step's response; a failed job raises with its errors."""
    progress = dig(job, "status", "progress") or {}
    result = str(progress.get("result") or "")
    job_id = str(dig(job, "metadata", "id") or "")
    if result != "succeeded":
        errors = "; ".join(str(e) for e in progress.get("errors") or ()) or "no error given"
        message = f"Planton stack job {job_id} ended {result or 'without a result'}: {errors}"
        raise GatewayError(source, ErrorKind.ERROR, "StackJobFailed", message[:500])
    return {"stack_job": {"id": job_id, "result": result}}


# --- Planton calls ------------------------------------------------------------------------------


async def _apply(settings: PlantonSettings, args: dict[str, Any]) -> str:
    """Send the changed envelope; the id of the stack job it started ("" if not said)."""
    async with connect(settings, TOOLS) as client:
        envelope = await _envelope(client, str(args["resource_id"]), args.get("changes") or {})
        answer = await client.call("apply_cloud_resource", cloud_object=envelope)
    return str(dig(answer, "status", "stack_job_id") or "")


async def _latest_job(settings: PlantonSettings, resource_id: str) -> dict[str, Any]:
    async with connect(settings, ("get_latest_stack_job",)) as client:
        return await client.call("get_latest_stack_job", cloud_resource_id=resource_id)


async def _envelope(
    client: PlantonClient, resource_id: str, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """The stored AwsEcsService with `changes` applied, in the shape apply accepts."""
    wrapper = await client.call("get_cloud_resource", id=resource_id)
    obj = dig(wrapper, "spec", "cloud_object") or {}
    resolved = await client.call("resolve_value_references", kind=KIND, id=resource_id)
    resolved_spec = parse_resolved_yaml(str(resolved.get("cloud_resource_yaml") or ""))
    spec = plain_spec(obj.get("spec") or {}, resolved_spec.get("spec") or {})
    for path, value in changes.items():
        set_path(spec, path, value)
    meta = obj.get("metadata") or {}
    return {
        "api_version": OPENMCF_API,
        "kind": KIND,
        "metadata": {k: meta[k] for k in ("name", "slug", "org", "env") if meta.get(k)},
        "spec": spec,
    }


def plain_spec(stored: dict[str, Any], resolved: dict[str, Any]) -> dict[str, Any]:
    """The stored spec (exact keys, env names intact) with reference fields as plain strings.

    `{"value": x}` becomes x; `{"value_from": ...}` becomes the resolved value at that path.
    """
    spec = copy.deepcopy(stored)
    for path in _REFERENCE_PATHS:
        *parents, leaf = path
        node = dig(spec, *parents) if parents else spec
        if not isinstance(node, dict) or leaf not in node:
            continue
        node[leaf] = _plain(node[leaf], dig(resolved, *path), ".".join(path))
    return spec


def _plain(field: Any, resolved: Any, where: str) -> Any:
    if isinstance(field, list):
        values = resolved if isinstance(resolved, list) else [None] * len(field)
        return [_plain(f, r, where) for f, r in zip(field, values, strict=False)]
    if not isinstance(field, dict):
        return field
    if "value" in field:
        return str(field["value"])
    if isinstance(resolved, str | int) and resolved != "":
        return str(resolved)
    raise PlantonError(
        PlantonErrorKind.ERROR,
        f"Planton could not resolve the reference at spec.{where}; the spec change was not sent.",
    )


def set_path(spec: dict[str, Any], path: str, value: Any) -> None:
    """Set `spec[a][b][c]` for "a.b.c", creating the objects on the way."""
    *parents, leaf = path.split(".")
    node = spec
    for key in parents:
        node = node.setdefault(key, {})
    node[leaf] = value


class PlantonRouter:
    """The apply step's gateway: `planton` calls to Planton, everything else to AWS."""

    def __init__(self, aws: Gateway, planton: Callable[[], Gateway]) -> None:
        self._aws = aws
        self._planton_factory = planton
        self._planton: Gateway | None = None

    @property
    def transport(self) -> str:
        """The AWS write transport."""
        return self._aws.transport

    @property
    def api_calls(self) -> int:
        """Calls through both."""
        return self._aws.api_calls + (self._planton.api_calls if self._planton else 0)

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Route one call."""
        if service != PLANTON:
            return self._aws.call(service, operation, params)
        if self._planton is None:
            self._planton = self._planton_factory()
        return self._planton.call(service, operation, params)

"""Read Planton's JSON and YAML shapes: value-or-reference fields, either key style."""

from __future__ import annotations

import re
from typing import Any

import yaml

from ecs_medic.context.expected import ExpectedSpec, StackJob

_CAMEL = re.compile(r"(?<=[a-z0-9])([A-Z])")


def snake_keys(node: Any) -> Any:
    """A copy with every camelCase key turned into snake_case (snake_case keys unchanged)."""
    if isinstance(node, list):
        return [snake_keys(item) for item in node]
    if isinstance(node, dict):
        return {_CAMEL.sub(r"_\1", str(k)).lower(): snake_keys(v) for k, v in node.items()}
    return node


def dig(node: Any, *path: str) -> Any:
    """`node[path[0]][path[1]]...`, or None where a key is missing."""
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def plain(field: Any) -> str | None:
    """The value of a value-or-reference field: "x", {"value": "x"}; None for an unresolved ref."""
    if isinstance(field, dict):
        field = field.get("value")
    if field is None or isinstance(field, (dict, list)):
        return None
    return str(field)


def plains(fields: Any) -> tuple[str, ...]:
    """Plain values of a list of value-or-reference fields (unresolved ones left out)."""
    values = (plain(f) for f in (fields or ()))
    return tuple(v for v in values if v)


def integer(value: Any) -> int | None:
    """An int from a JSON number or an int64-as-string; None when absent or not a number."""
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def parse_resolved_yaml(text: str) -> dict[str, Any]:
    """The resolved cloud object from `resolve_value_references`, keys in snake_case."""
    loaded = yaml.safe_load(text or "") or {}
    return snake_keys(loaded) if isinstance(loaded, dict) else {}


def expected_spec(resource: str, resource_id: str, spec: dict[str, Any]) -> ExpectedSpec:
    """The fields ecs-medic compares, from an AwsEcsService spec (snake_case keys)."""
    container = spec.get("container") or {}
    image = container.get("image") or {}
    repo, tag = plain(image.get("repo")), plain(image.get("tag"))
    alb = spec.get("alb") or {}
    autoscaled = bool(dig(spec, "autoscaling", "enabled"))
    return ExpectedSpec(
        resource=resource,
        resource_id=resource_id,
        cpu=integer(container.get("cpu")),
        memory=integer(container.get("memory")),
        image=f"{repo}:{tag}" if repo and tag else repo,
        port=integer(container.get("port")),
        desired_count=None if autoscaled else integer(container.get("replicas")),
        min_tasks=integer(dig(spec, "autoscaling", "min_tasks")) if autoscaled else None,
        max_tasks=integer(dig(spec, "autoscaling", "max_tasks")) if autoscaled else None,
        health_check_path=plain(dig(alb, "health_check", "path")) if alb.get("enabled") else None,
        grace_period_s=integer(spec.get("health_check_grace_period_seconds")),
        subnets=plains(dig(spec, "network", "subnets")),
        security_groups=plains(dig(spec, "network", "security_groups")),
    )


def stack_job(answer: dict[str, Any]) -> StackJob | None:
    """The StackJob of `get_latest_stack_job`, or None for an empty answer."""
    job_id = dig(answer, "metadata", "id")
    if not job_id:
        return None
    progress = dig(answer, "status", "progress") or {}
    return StackJob(
        id=str(job_id),
        operation=str(dig(answer, "spec", "stack_job_operation") or "unknown"),
        status=str(progress.get("status") or "unknown"),
        result=str(progress.get("result") or "tbd"),
        errors=tuple(str(e) for e in progress.get("errors") or ())[:5],
        finished_at=progress.get("end_time"),
    )

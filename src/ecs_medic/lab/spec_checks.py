"""The two checks every part of the scenario parser makes: a mapping, with only known keys."""

from __future__ import annotations

from typing import Any

from ecs_medic.lab.errors import ScenarioError


def mapping(data: Any, where: str) -> dict[str, Any]:
    """`data` as a mapping with string keys, or a ScenarioError that says where."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{where}: expected a mapping, got {type(data).__name__}")
    return {str(k): v for k, v in data.items()}


def only_keys(data: dict[str, Any], allowed: set[str], where: str) -> None:
    """Refuse keys outside `allowed` (a typo in a scenario must not pass silently)."""
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ScenarioError(f"{where}: unknown keys {', '.join(unknown)}")

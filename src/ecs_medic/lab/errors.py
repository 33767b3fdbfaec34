"""Errors the lab raises to its callers."""

from __future__ import annotations


class LabError(Exception):
    """The lab could not start or run."""


class ScenarioError(LabError):
    """A scenario file is malformed."""


class UnknownScenarioError(LabError, LookupError):
    """No built-in scenario has this name."""

    def __init__(self, name: str, known: list[str]) -> None:
        super().__init__(f"unknown scenario {name!r}; known scenarios: {', '.join(known)}")
        self.name = name
        self.known = known

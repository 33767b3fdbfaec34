"""Errors that reach the user as one clear line and a documented exit code."""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Exit codes of `ecs-medic diagnose` (DESIGN.md)."""

    HEALTHY = 0
    PROBLEMS = 1
    USAGE = 2
    AWS_ACCESS = 3


class MedicError(Exception):
    """A known failure: its message is shown as is, and it maps to an exit code."""

    exit_code: ExitCode = ExitCode.USAGE


class ContextError(MedicError):
    """The target could not be established: unknown or ambiguous service, no credentials."""

    exit_code = ExitCode.USAGE


class AwsAccessError(MedicError):
    """AWS could not be reached or refused so much that no diagnosis is possible."""

    exit_code = ExitCode.AWS_ACCESS

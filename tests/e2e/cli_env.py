"""Helpers for end-to-end tests: the real `ecs-medic` command in a subprocess against a lab.

Not a conftest: tests/aws has its own conftest, and `from conftest import` would pick
whichever was imported first when both folders run in one pytest session.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from ecs_medic.lab import Lab

EXE = Path(sys.executable).with_name("ecs-medic")


def clean_env(tmp_path: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """An environment with no AWS settings of the host: no profile, no keys, no metadata lookups."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "ECS_MEDIC_"))}
    env.update(
        {
            "HOME": str(tmp_path),
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
            "ECS_MEDIC_STATE_DIR": str(tmp_path / "state"),
        }
    )
    env.update(extra or {})
    return env


# A hang guard, not a speed limit: a loaded 2-core machine ran a fix with rollback past 120 s.
HANG_GUARD_S = 900
# How long a stopped `lab serve` may take to exit: a guard against a hang, not a measure (a
# loaded machine delays the shutdown; 30 s was once not enough while other suites ran).
STOP_GUARD_S = 120


def run_cli(args: list[str], env: Mapping[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `ecs-medic ARGS` and capture its output."""
    return subprocess.run(
        [str(EXE), *args], env=dict(env), capture_output=True, text=True,
        timeout=HANG_GUARD_S, check=False,
    )  # fmt: skip


def start_lab(scenarios: list[str], tmp_path: Path) -> tuple[Lab, dict[str, str]]:
    """Start a lab and the environment a user would export for it."""
    lab = Lab.start(scenarios)
    return lab, clean_env(tmp_path, lab.env())

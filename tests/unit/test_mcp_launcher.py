"""The offline launcher only patches the server version it knows, and says so otherwise."""

from __future__ import annotations

import subprocess
import sys

from ecs_medic.aws import mcp_launcher


def test_launcher_refuses_an_environment_without_the_server():
    """Run with a Python that lacks the server, it exits 2 with one line, no traceback."""
    done = subprocess.run(
        [sys.executable, mcp_launcher.__file__],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert 2 == done.returncode
    assert [f"ecs-medic launcher: {mcp_launcher.PACKAGE} is not installed in {sys.prefix}."] == (
        done.stderr.strip().splitlines()
    )


def test_launcher_is_pinned_to_the_provisioned_version():
    """The version the launcher patches is the one ecs-medic provisions."""
    from ecs_medic.aws.mcp_servers import API_PIN  # noqa: PLC0415

    assert {API_PIN.version} == set(mcp_launcher.PATCHED_VERSIONS)

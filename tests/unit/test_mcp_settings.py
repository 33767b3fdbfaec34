"""MCP settings from the environment: defaults, overrides, and one clear line for bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from ecs_medic.config import load_settings
from ecs_medic.errors import ContextError


def test_mcp_is_the_default_transport():
    """Without ECS_MEDIC_TRANSPORT the AWS MCP servers are used."""
    assert "mcp" == load_settings({}).transport


def test_environment_sets_transport_config_dir_timeout_and_pool():
    """Every MCP setting has an ECS_MEDIC_ variable."""
    settings = load_settings(
        {
            "ECS_MEDIC_TRANSPORT": "direct",
            "ECS_MEDIC_MCP_CONFIG": "/etc/mcp.json",
            "ECS_MEDIC_MCP_DIR": "/opt/servers",
            "ECS_MEDIC_MCP_TIMEOUT": "2.5",
            "ECS_MEDIC_MCP_API_SERVERS": "3",
        }
    )
    mcp = settings.mcp
    assert ("direct", Path("/etc/mcp.json"), Path("/opt/servers"), 2.5, 3) == (
        settings.transport,
        mcp.config_file,
        mcp.servers_dir,
        mcp.call_timeout_s,
        mcp.api_servers,
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ECS_MEDIC_MCP_TIMEOUT", "soon"),
        ("ECS_MEDIC_MCP_TIMEOUT", "-1"),
        ("ECS_MEDIC_MCP_API_SERVERS", "0"),
        ("ECS_MEDIC_MCP_API_SERVERS", "many"),
        ("ECS_MEDIC_MCP_API_SERVERS", "50"),
    ],
)
def test_bad_values_are_a_usage_error_naming_the_variable(name, value):
    """A value that makes no sense is refused with the variable's name, not ignored."""
    with pytest.raises(ContextError, match=name):
        load_settings({name: value})

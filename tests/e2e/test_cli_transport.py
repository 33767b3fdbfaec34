"""The CLI on both transports against the lab: mcp by default, direct on request."""

from __future__ import annotations

import json

import pytest
from cli_env import clean_env, run_cli, start_lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def oom(tmp_path_factory):
    lab, env = start_lab(["oom"], tmp_path_factory.mktemp("oom"))
    yield lab, env
    lab.stop()


def diagnose_json(env, *args):
    result = run_cli(["diagnose", "web", "--format", "json", *args], env)
    return result, json.loads(result.stdout or "{}")


def test_default_transport_is_mcp_and_agrees_with_direct(oom):
    """Without a flag the MCP servers answer; --transport direct finds the same root cause."""
    _, env = oom
    by_mcp, mcp_report = diagnose_json(env)
    by_direct, direct_report = diagnose_json(env, "--transport", "direct")
    assert (1, 1) == (by_mcp.returncode, by_direct.returncode), by_mcp.stderr + by_direct.stderr
    assert ("mcp", "direct") == (
        mcp_report["stats"]["transport"],
        direct_report["stats"]["transport"],
    )
    assert "OOM_KILLED" == mcp_report["root_cause"] == direct_report["root_cause"]
    assert [f["code"] for f in direct_report["findings"]] == [
        f["code"] for f in mcp_report["findings"]
    ]


def test_environment_chooses_the_transport(oom):
    """ECS_MEDIC_TRANSPORT=direct is honoured like the flag."""
    _, env = oom
    _, report = diagnose_json({**env, "ECS_MEDIC_TRANSPORT": "direct"})
    assert "direct" == report["stats"]["transport"]


def test_unknown_transport_exits_2_with_one_line(oom):
    """A transport that does not exist is a usage error, not a traceback."""
    _, env = oom
    result = run_cli(["diagnose", "web", "--transport", "carrier-pigeon"], env)
    assert 2 == result.returncode
    assert ["ecs-medic: unknown transport 'carrier-pigeon': use direct or mcp."] == (
        result.stderr.strip().splitlines()
    )


def test_broken_mcp_config_exits_2_with_one_line(oom, tmp_path):
    """A config file that is not the mcpServers shape is named in one line."""
    _, env = oom
    config = tmp_path / "mcp.json"
    config.write_text("{}")
    result = run_cli(["diagnose", "web"], {**env, "ECS_MEDIC_MCP_CONFIG": str(config)})
    assert 2 == result.returncode
    assert 1 == len(result.stderr.strip().splitlines())
    assert "mcp.json" in result.stderr


def test_unstartable_server_falls_back_to_direct_and_says_so(oom, tmp_path):
    """A server that cannot start leaves a gap and the transport mcp+direct; the cause stands."""
    _, env = oom
    config = tmp_path / "mcp.json"
    config.write_text(
        json.dumps({"mcpServers": {"awslabs.ecs-mcp-server": {"command": "/no/such"}}})
    )
    result, report = diagnose_json({**env, "ECS_MEDIC_MCP_CONFIG": str(config)})
    assert 1 == result.returncode, result.stderr
    assert ("OOM_KILLED", "mcp+direct") == (report["root_cause"], report["stats"]["transport"])
    assert ["mcp:awslabs.ecs-mcp-server"] == [
        g["source"] for g in report["gaps"] if g["source"].startswith("mcp:")
    ]


def test_demo_uses_the_mcp_servers(tmp_path):
    """`ecs-medic demo` runs the whole loop through the MCP servers by default."""
    result = run_cli(["demo", "oom", "-f", "json"], clean_env(tmp_path))
    report = json.loads(result.stdout)
    assert ("OOM_KILLED", "mcp") == (report["root_cause"], report["stats"]["transport"])

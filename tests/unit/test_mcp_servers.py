"""Server specs: the user's MCP config shape, and the settings ecs-medic always imposes."""

from __future__ import annotations

import json

import pytest

from ecs_medic.aws.mcp_servers import (
    AwsEnv,
    McpConfigError,
    ServerCommand,
    ServerRole,
    build_spec,
    load_config,
)

AWS = AwsEnv(
    region="eu-west-1",
    endpoint_url="http://127.0.0.1:5000",
    access_key_id="AKIDEXAMPLE",
    secret_access_key="wJalrXUtnFEMI",
    session_token="tok",
)


def test_config_file_in_mcp_servers_shape_overrides_a_server(tmp_path):
    """The common {"mcpServers": {...}} shape names the command, args and env of a server."""
    path = tmp_path / "mcp.json"
    entry = {"command": "uvx", "args": ["--from", "awslabs.ecs-mcp-server==9.9", "ecs-mcp-server"]}
    path.write_text(json.dumps({"mcpServers": {"awslabs.ecs-mcp-server": entry, "other": {}}}))
    config = load_config(path)
    assert {ServerRole.ECS: ServerCommand("uvx", tuple(entry["args"]))} == config


def test_no_config_file_means_no_overrides():
    """Without ECS_MEDIC_MCP_CONFIG the pinned servers are used."""
    assert {} == load_config(None)


@pytest.mark.parametrize(
    "content",
    ["not json", "[]", '{"servers": {}}', '{"mcpServers": {"awslabs.ecs-mcp-server": {}}}'],
)
def test_bad_config_file_is_a_clear_error(tmp_path, content):
    """A config that is not the mcpServers shape is refused with the file's name."""
    path = tmp_path / "mcp.json"
    path.write_text(content)
    with pytest.raises(McpConfigError, match=r"mcp\.json"):
        load_config(path)


def test_missing_config_file_is_a_clear_error(tmp_path):
    """A config path that does not exist is refused, not ignored."""
    with pytest.raises(McpConfigError, match="cannot read"):
        load_config(tmp_path / "absent.json")


def test_user_env_cannot_enable_writes(tmp_path):
    """ALLOW_WRITE and READ_OPERATIONS_ONLY are ecs-medic's, whatever the config says."""
    command = ServerCommand("x", env={"ALLOW_WRITE": "true", "READ_OPERATIONS_ONLY": "false"})
    ecs = build_spec(ServerRole.ECS, command, AWS, tmp_path)
    api = build_spec(ServerRole.AWS_API, command, AWS, tmp_path)
    assert "false" == ecs.env["ALLOW_WRITE"]
    assert "true" == api.env["READ_OPERATIONS_ONLY"]


def test_only_write_specs_enable_writes_and_they_keep_sensitive_data(tmp_path):
    """The apply step's specs turn writes on (and keep env values for revisions); user env
    cannot turn them off either."""
    command = ServerCommand("x", env={"ALLOW_WRITE": "false", "ALLOW_SENSITIVE_DATA": "false"})
    ecs = build_spec(ServerRole.ECS, command, AWS, tmp_path, write=True)
    api = build_spec(ServerRole.AWS_API, command, AWS, tmp_path, write=True)
    assert ("true", "true") == (ecs.env["ALLOW_WRITE"], ecs.env["ALLOW_SENSITIVE_DATA"])
    assert ("false", "false") == (
        api.env["READ_OPERATIONS_ONLY"],
        api.env["REQUIRE_MUTATION_CONSENT"],
    )


def test_credentials_region_and_endpoint_reach_the_server_environment(tmp_path):
    """The servers get AWS settings only through their environment."""
    spec = build_spec(ServerRole.ECS, ServerCommand("x"), AWS, tmp_path)
    expected = {
        "AWS_REGION": "eu-west-1",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5000",
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "wJalrXUtnFEMI",
        "AWS_SESSION_TOKEN": "tok",
    }
    assert expected == {k: spec.env[k] for k in expected}
    assert "wJalrXUtnFEMI" not in " ".join(spec.args)


def test_secrets_are_not_in_reprs(tmp_path):
    """Printing a spec or its AWS settings never shows a key."""
    spec = build_spec(ServerRole.AWS_API, ServerCommand("x"), AWS, tmp_path)
    assert "wJalrXUtnFEMI" not in repr(spec)
    assert "wJalrXUtnFEMI" not in repr(AWS)
    assert "tok" not in repr(AWS).replace("token", "")


def test_loopback_endpoint_runs_the_api_server_offline(tmp_path):
    """Against the lab the launcher skips the online service-reference download."""
    spec = build_spec(ServerRole.AWS_API, ServerCommand("x"), AWS, tmp_path / "work")
    assert "1" == spec.env["ECS_MEDIC_MCP_OFFLINE"]
    assert str((tmp_path / "work").resolve()) == spec.env["AWS_API_MCP_WORKING_DIR"]


def test_real_aws_lets_the_api_server_fetch_its_reference(tmp_path):
    """Without a loopback endpoint the server may download what it wants."""
    real = AwsEnv(region="eu-west-1")
    spec = build_spec(ServerRole.AWS_API, ServerCommand("x"), real, tmp_path)
    assert "ECS_MEDIC_MCP_OFFLINE" not in spec.env
    assert "AWS_ENDPOINT_URL" not in spec.env

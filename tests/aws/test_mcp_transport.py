"""The mcp transport against the lab: reads, hidden errors, read-only servers, failure paths."""

from __future__ import annotations

import json
import os
import signal
import sys
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.gateway import ErrorKind, GatewayError
from ecs_medic.aws.mcp_transport import McpGateway, open_mcp_gateway, spec_factory
from ecs_medic.config import McpSettings, Settings
from ecs_medic.lab import Lab
from ecs_medic.lab_settings import lab_settings

pytestmark = pytest.mark.lab

FAKE_SERVER = Path(__file__).with_name("mcp_fake_server.py")


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """One oom lab for the module; the gateways under test only read it."""
    started = Lab.start(["oom"])
    saved = dict(os.environ)
    os.environ.update(started.env())
    yield started
    os.environ.clear()
    os.environ.update(saved)
    started.stop()


@pytest.fixture(scope="module")
def shared(lab: Lab, tmp_path_factory: pytest.TempPathFactory) -> Iterator[McpGateway]:
    """One gateway for the tests that only read: the servers start once."""
    gateway = open_gateway(lab, tmp_path_factory.mktemp("mcp"))
    yield gateway
    gateway.close()


def settings_for(lab: Lab, tmp_path: Path, **mcp: object) -> Settings:
    """Settings on the lab, through the MCP servers, with `mcp` changed (e.g. config_file)."""
    return lab_settings(lab, transport="mcp", state_dir=tmp_path, mcp=replace(McpSettings(), **mcp))


def direct_for(lab: Lab) -> DirectGateway:
    return DirectGateway(make_session(None), lab.region, endpoint_url=lab.endpoint_url)


def open_gateway(lab: Lab, tmp_path: Path, **mcp: object) -> McpGateway:
    return open_mcp_gateway(settings_for(lab, tmp_path, **mcp), direct_for(lab), lab.region)


def write_config(tmp_path: Path, servers: dict[str, dict[str, object]]) -> Path:
    path = tmp_path / "mcp.json"
    path.write_text(json.dumps({"mcpServers": servers}))
    return path


def children(fragment: str) -> list[int]:
    """Pids of this process's children whose command line contains `fragment`."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (OSError, IndexError, ValueError):
            continue
        if ppid == os.getpid() and fragment in command:
            found.append(int(entry.name))
    return found


def kill(fragment: str, spare: set[int]) -> None:
    """SIGKILL the matching children, except `spare` (other tests' servers)."""
    pids = set(children(fragment)) - spare
    assert pids, f"no running server matching {fragment}"
    for pid in pids:
        os.kill(pid, signal.SIGKILL)


def test_reads_through_both_servers_match_the_direct_transport(lab, shared):
    """An ECS read (ECS server) and an ELBv2 read (call_aws) give the boto3 answer."""
    direct = direct_for(lab)
    calls = shared.api_calls
    cluster = lab.targets[0][1]
    params = {"cluster": cluster, "services": ["web"]}
    mcp_service = shared.call("ecs", "DescribeServices", params)["services"][0]
    direct_service = direct.call("ecs", "DescribeServices", params)["services"][0]
    assert direct_service["serviceArn"] == mcp_service["serviceArn"]
    assert direct_service["desiredCount"] == mcp_service["desiredCount"]
    assert direct.call("elbv2", "DescribeTargetGroups", {}) == shared.call(
        "elbv2", "DescribeTargetGroups", {}
    )
    assert ("mcp", calls + 2, ()) == (shared.transport, shared.api_calls, shared.gaps)


def test_aws_errors_inside_mcp_content_are_classified_like_boto3(shared):
    """A missing cluster (ECS server) and a missing role (call_aws) are NotFound errors."""
    with pytest.raises(GatewayError) as ecs_error:
        shared.call("ecs", "DescribeServices", {"cluster": "nope", "services": ["web"]})
    with pytest.raises(GatewayError) as iam_error:
        shared.call("iam", "GetRole", {"RoleName": "nope"})
    assert (ErrorKind.NOT_FOUND, "ClusterNotFoundException") == (
        ecs_error.value.kind,
        ecs_error.value.code,
    )
    assert (ErrorKind.NOT_FOUND, "NoSuchEntity") == (iam_error.value.kind, iam_error.value.code)


def test_servers_refuse_writes(lab, shared):
    """Neither server changes anything: the ECS write and the EC2 write are refused."""
    cluster = lab.targets[0][1]
    with pytest.raises(GatewayError):
        shared.call(
            "ecs", "UpdateService", {"cluster": cluster, "service": "web", "desiredCount": 0}
        )
    with pytest.raises(GatewayError) as ec2_error:
        shared.call("ec2", "CreateVpc", {"CidrBlock": "10.9.0.0/16"})
    service = direct_for(lab).call(
        "ecs", "DescribeServices", {"cluster": cluster, "services": ["web"]}
    )
    assert 0 != service["services"][0]["desiredCount"]
    assert ErrorKind.ACCESS_DENIED == ec2_error.value.kind


def test_secret_references_pass_and_environment_values_do_not(lab, shared):
    """ALLOW_SENSITIVE_DATA keeps valueFrom for the secret checks; values stop at the gateway."""
    direct = direct_for(lab)
    container = {
        "name": "app",
        "image": "nginx",
        "memory": 128,
        "environment": [{"name": "DB_PASSWORD", "value": "hunter2"}],
        "secrets": [{"name": "API_KEY", "valueFrom": "arn:aws:ssm:us-east-1:1:parameter/k"}],
    }
    arn = direct.call(
        "ecs",
        "RegisterTaskDefinition",
        {"family": "mcp-secrets", "containerDefinitions": [container]},
    )["taskDefinition"]["taskDefinitionArn"]
    response = shared.call("ecs", "DescribeTaskDefinition", {"taskDefinition": arn})
    (read,) = response["taskDefinition"]["containerDefinitions"]
    assert "arn:aws:ssm:us-east-1:1:parameter/k" == read["secrets"][0]["valueFrom"]
    assert [{"name": "DB_PASSWORD"}] == read["environment"]


def test_killed_server_is_restarted_once_then_replaced_by_direct(lab, tmp_path):
    """First death: a new server, still mcp. Second death: direct, a gap, mcp+direct."""
    others = set(children("mcp_launcher.py")) | set(children("ecs-mcp-server"))
    gateway = open_gateway(lab, tmp_path, api_servers=1)
    try:
        account = gateway.call("sts", "GetCallerIdentity", {})["Account"]
        kill("mcp_launcher.py", others)
        assert account == gateway.call("sts", "GetCallerIdentity", {})["Account"]
        assert ("mcp", ()) == (gateway.transport, gateway.gaps)
        kill("mcp_launcher.py", others)
        assert account == gateway.call("sts", "GetCallerIdentity", {})["Account"]
        assert "mcp+direct" == gateway.transport
        (gap,) = gateway.gaps
        assert ("mcp:awslabs.aws-api-mcp-server", "McpServerFailed") == (gap.source, gap.reason)
        assert set() == set(children("mcp_launcher.py")) - others
        assert set(children("ecs-mcp-server")) - others, "the ECS server is still in use"
    finally:
        gateway.close()
    assert set() == set(children("ecs-mcp-server")) - others


def test_a_pool_keeps_serving_when_one_process_is_given_up(lab, tmp_path):
    """With two AWS API servers, one given up leaves the other serving: no direct reads."""
    others = set(children("mcp_launcher.py"))
    gateway = open_gateway(lab, tmp_path, api_servers=2)
    try:
        assert 2 == len(set(children("mcp_launcher.py")) - others)
        for _ in range(3):
            kill_one = sorted(set(children("mcp_launcher.py")) - others)[:1]
            os.kill(kill_one[0], signal.SIGKILL)
            for _ in range(4):
                assert gateway.call("sts", "GetCallerIdentity", {})["Account"]
        assert ("mcp", ()) == (gateway.transport, gateway.gaps)
    finally:
        gateway.close()


def test_server_that_cannot_start_leaves_its_reads_to_direct(lab, tmp_path):
    """A bogus command fails twice; the ECS reads still answer, through boto3, with a gap."""
    config = write_config(tmp_path, {"awslabs.ecs-mcp-server": {"command": "/nonexistent/ecs"}})
    gateway = open_gateway(lab, tmp_path, config_file=config)
    try:
        clusters = gateway.call("ecs", "ListClusters", {})["clusterArns"]
        identity = gateway.call("sts", "GetCallerIdentity", {})
    finally:
        gateway.close()
    assert direct_for(lab).call("ecs", "ListClusters", {})["clusterArns"] == clusters
    assert identity["Account"]
    assert "mcp+direct" == gateway.transport
    (gap,) = gateway.gaps
    assert "mcp:awslabs.ecs-mcp-server" == gap.source
    assert "failed to start" in gap.detail


def test_server_that_does_not_answer_in_time_is_replaced_by_direct(lab, tmp_path):
    """Two timeouts (one per server generation), then the read answers through boto3."""
    fake = {
        "command": sys.executable,
        "args": [str(FAKE_SERVER)],
        "env": {"FAKE_MCP_DELAY_S": "30"},
    }
    config = write_config(tmp_path, {"awslabs.ecs-mcp-server": fake})
    gateway = open_gateway(lab, tmp_path, config_file=config, call_timeout_s=1.0)
    try:
        clusters = gateway.call("ecs", "ListClusters", {})["clusterArns"]
    finally:
        gateway.close()
    assert direct_for(lab).call("ecs", "ListClusters", {})["clusterArns"] == clusters
    (gap,) = gateway.gaps
    assert "timed out" in gap.detail
    assert "mcp+direct" == gateway.transport


def test_expired_credentials_restart_the_server_on_refreshed_ones(lab, tmp_path):
    """ExpiredToken from a server: it is restarted with the session's current credentials."""
    revoked = tmp_path / "revoked"
    revoked.write_text("")
    fake = {
        "command": sys.executable,
        "args": [str(FAKE_SERVER)],
        "env": {"FAKE_MCP_DELAY_S": "0", "FAKE_MCP_REVOKED_FILE": str(revoked)},
    }
    config = write_config(tmp_path, {"awslabs.aws-api-mcp-server": fake})
    direct = direct_for(lab)
    direct.session._session.set_credentials("AKIDFIRSTKEY000", "secret-one")
    gateway = McpGateway(
        spec_factory(
            settings_for(lab, tmp_path, config_file=config, api_servers=1), direct, lab.region
        ),
        direct,
    )
    try:
        assert "AKIDFIRSTKEY000" == gateway.call("sts", "GetCallerIdentity", {})["Account"]
        revoked.write_text("AKIDFIRSTKEY000")  # the first credentials expire ...
        direct.session._session.set_credentials("AKIDSECONDKEY00", "secret-two")  # ... refreshed
        assert "AKIDSECONDKEY00" == gateway.call("sts", "GetCallerIdentity", {})["Account"]
        assert ("mcp", ()) == (gateway.transport, gateway.gaps)
    finally:
        gateway.close()

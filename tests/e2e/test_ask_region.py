"""`ecs-medic ask` honours a region named in the sentence over the configured one."""

from __future__ import annotations

import json

import pytest
from cli_env import run_cli, start_lab

pytestmark = pytest.mark.lab


def test_ask_picks_the_service_in_the_region_the_sentence_names(tmp_path):
    """prod/web runs healthy in us-east-1 (AWS_REGION) and out of memory in us-west-2: the
    sentence's "in us-west-2" sends the diagnosis to the failing one."""
    lab, env = start_lab(["healthy", "us-west-2:oom"], tmp_path)
    with lab:
        assert "us-east-1" == env["AWS_REGION"]
        env["ECS_MEDIC_TRANSPORT"] = "direct"  # the region choice is the point, not the transport
        sentence = "I have an issue with AWS ECS service web in us-west-2"
        result = run_cli(["ask", sentence, "--format", "json"], env)
    report = json.loads(result.stdout or "{}")
    service = report.get("service") or {}
    assert (1, "OOM_KILLED") == (result.returncode, report.get("root_cause")), result.stderr
    assert ("web", "prod", "us-west-2") == (service["name"], service["cluster"], service["region"])
    assert f"arn:aws:ecs:us-west-2:{lab.account_id}:service/prod/web" == service["arn"]

"""The lab's public API: scenarios, start and stop, environment, several scenarios at once."""

from __future__ import annotations

import time

import boto3
import pytest
from lab_client import LabAws

from ecs_medic.lab import Lab, ScenarioInfo, UnknownScenarioError, list_scenarios


def test_list_scenarios():
    """The first five scenarios are listed with their catalogue codes."""
    expected = {
        "app-crash": "ESSENTIAL_CONTAINER_EXIT",
        "health-check-path-wrong": "TG_HEALTHCHECK_FAILING",
        "healthy": None,
        "image-not-found": "IMAGE_PULL_NOT_FOUND",
        "oom": "OOM_KILLED",
    }
    infos = list_scenarios()
    assert all(isinstance(i, ScenarioInfo) for i in infos)
    found = {i.name: i.expected for i in infos}
    assert expected == {name: found.get(name, "absent") for name in expected}
    assert ("prod", "web") in {(i.cluster, i.service) for i in infos}


def test_unknown_scenario_lists_known_names():
    """An unknown name raises before anything starts, and names the known scenarios."""
    with pytest.raises(
        UnknownScenarioError, match=r"known scenarios: .*\bapp-crash, .*health-check-path-wrong"
    ):
        Lab.start(["no-such-thing"])


@pytest.mark.lab
def test_env_and_endpoint():
    """env() points boto3 at the lab on loopback with dummy keys."""
    with Lab.start(["healthy"], warmup_s=0) as lab:
        env = lab.env()
        assert env["AWS_ENDPOINT_URL"] == lab.endpoint_url
        assert lab.endpoint_url.startswith("http://127.0.0.1:")
        assert ("us-east-1", "us-east-1", "testing") == (
            env["AWS_REGION"],
            env["AWS_DEFAULT_REGION"],
            env["AWS_ACCESS_KEY_ID"],
        )
        assert ("123456789012", [("healthy", "prod", "web")]) == (lab.account_id, lab.targets)
        sts = boto3.client(
            "sts",
            endpoint_url=lab.endpoint_url,
            region_name=lab.region,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        assert "123456789012" == sts.get_caller_identity()["Account"]


@pytest.mark.lab
def test_several_scenarios_get_their_own_clusters():
    """Each scenario's cluster is named after it, so the service name `web` is ambiguous."""
    with Lab.start(["healthy", "oom"], warmup_s=300) as lab:
        assert [("healthy", "healthy", "web"), ("oom", "oom", "web")] == lab.targets
        aws = LabAws.connect(lab)
        assert {"healthy", "oom"} == {
            a.rsplit("/", 1)[-1] for a in aws.ecs.list_clusters()["clusterArns"]
        }
        healthy = aws.service(cluster="healthy")
        assert "COMPLETED" == healthy["deployments"][0]["rolloutState"]
        assert [] == aws.tasks("STOPPED", cluster="healthy")
        assert aws.tasks("STOPPED", cluster="oom")


@pytest.mark.lab
def test_list_tasks_filters_by_service():
    """list_tasks(serviceName=...) returns only that service's tasks (moto ignores it)."""
    with Lab.start(["healthy"], warmup_s=120) as lab:
        aws = LabAws.connect(lab)
        web = aws.service()
        aws.ecs.create_service(
            cluster="prod",
            serviceName="other",
            taskDefinition=web["taskDefinition"],
            desiredCount=0,
            launchType="FARGATE",
        )
        assert 2 == len(aws.ecs.list_tasks(cluster="prod", serviceName="web")["taskArns"])
        assert [] == aws.ecs.list_tasks(cluster="prod", serviceName="other")["taskArns"]


@pytest.mark.lab
def test_requests_lists_reads_and_writes_in_arrival_order():
    """Lab.requests() is the emulator's whole request log; mutating_calls() its writes."""
    with Lab.start(["healthy"], warmup_s=0) as lab:
        aws = LabAws.connect(lab)
        seen = len(lab.requests())
        aws.ecs.describe_clusters(clusters=["prod"])
        aws.ecs.update_service(cluster="prod", service="web", desiredCount=1)
        assert [("ecs", "DescribeClusters"), ("ecs", "UpdateService")] == lab.requests()[seen:]
        assert ("ecs", "UpdateService") == lab.mutating_calls()[-1]


@pytest.mark.lab
def test_background_clock_advances():
    """run_in_background moves simulated time on its own (no wall-clock bound asserted)."""
    with Lab.start(["healthy"], warmup_s=0) as lab:
        before = lab.now
        lab.run_in_background(speed=100.0)
        deadline = time.monotonic() + 60  # generous: loaded CI machines schedule late
        while lab.now - before < 30 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert lab.now - before >= 30


@pytest.mark.lab
def test_stopped_tasks_disappear_after_an_hour():
    """Like AWS, stopped tasks are visible for about an hour."""
    with Lab.start(["image-not-found"], warmup_s=120) as lab:
        aws = LabAws.connect(lab)
        first = {t["taskArn"] for t in aws.tasks("STOPPED")}
        assert first
        lab.advance(3700)
        assert not first & {t["taskArn"] for t in aws.tasks("STOPPED")}


@pytest.mark.lab
def test_concurrent_labs_are_isolated():
    """Two labs in one process answer as different accounts and never see each other."""
    with Lab.start(["healthy"], warmup_s=60) as first, Lab.start(["oom"], warmup_s=150) as second:
        assert ("123456789012", "123456789013") == (first.account_id, second.account_id)
        one, two = LabAws.connect(first), LabAws.connect(second)
        assert first.account_id == _caller_account(first)
        assert second.account_id == _caller_account(second)
        assert ":123456789012:service/prod/web" in one.service()["serviceArn"]
        assert ":123456789013:service/prod/web" in two.service()["serviceArn"]
        assert [] == one.tasks("STOPPED")
        assert two.tasks("STOPPED")


def _caller_account(lab: Lab) -> str:
    sts = boto3.client(
        "sts",
        endpoint_url=lab.endpoint_url,
        region_name=lab.region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    return str(sts.get_caller_identity()["Account"])


def test_a_stopped_lab_stops_ticking_at_once():
    """A background clock far behind (a starved thread catching up) halts at `stop()`: ticks
    after it would act on the account the next lab in this process takes over."""
    lab = Lab.start(["healthy-no-lb"])
    lab.run_in_background(speed=1e6)  # each wake-up owes about 100 000 ticks
    time.sleep(0.5)
    lab.stop()
    stopped_at = lab.now
    time.sleep(0.5)
    assert stopped_at == lab.now

"""Accounts with many scenarios: every scenario coexists in one lab; a second region."""

from __future__ import annotations

from typing import Any

import boto3
import pytest

from ecs_medic.lab import Lab
from ecs_medic.lab.errors import LabError
from ecs_medic.lab.scenario import scenario_names

pytestmark = pytest.mark.lab


def test_every_scenario_builds_in_one_lab():
    """No two scenarios collide on a name AWS keeps unique (or refuses, like `/ssm...`)."""
    names = scenario_names()
    with Lab.start(names, warmup_s=0) as lab:
        session = boto3.session.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=lab.region
        )
        ecs = session.client("ecs", endpoint_url=lab.endpoint_url)
        assert names == [name for name, _, _ in lab.targets]
        active = []
        for name, cluster, service in lab.targets:
            found = ecs.describe_services(cluster=cluster, services=[service])["services"]
            if [s["status"] for s in found] == ["ACTIVE"]:
                active.append(name)
        assert names == active


def ecs_in(lab: Lab, region: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=region
    )
    return session.client("ecs", endpoint_url=lab.endpoint_url)


def test_a_second_region_runs_the_same_names_on_its_own():
    """`us-west-2:healthy` next to `healthy`: prod/web in two regions, each simulated."""
    with Lab.start(["healthy", "us-west-2:healthy"]) as lab:
        assert [("healthy", "prod", "web"), ("us-west-2:healthy", "prod", "web")] == lab.targets
        assert ("us-east-1", "us-west-2") == (
            lab.region_of("healthy"),
            lab.region_of("us-west-2:healthy"),
        )
        assert "us-west-2" == lab.env("us-west-2")["AWS_REGION"]
        east, west = ecs_in(lab, "us-east-1"), ecs_in(lab, "us-west-2")
        for region, ecs in (("us-east-1", east), ("us-west-2", west)):
            (service,) = ecs.describe_services(cluster="prod", services=["web"])["services"]
            assert service["serviceArn"].startswith(f"arn:aws:ecs:{region}:{lab.account_id}:")
            assert (2, 2) == (service["desiredCount"], service["runningCount"])
            assert "has reached a steady state." in service["events"][0]["message"]

        west.update_service(cluster="prod", service="web", desiredCount=1)
        lab.advance(180)
        counts = {
            region: ecs.describe_services(cluster="prod", services=["web"])["services"][0][
                "runningCount"
            ]
            for region, ecs in (("us-east-1", east), ("us-west-2", west))
        }
        assert {"us-east-1": 2, "us-west-2": 1} == counts


def test_a_region_prefix_must_name_a_region():
    with pytest.raises(LabError, match="is not a region name"):
        Lab.start(["mars:healthy"])

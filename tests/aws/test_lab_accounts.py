"""Accounts with many scenarios: every scenario coexists in one lab."""

from __future__ import annotations

import boto3
import pytest

from ecs_medic.lab import Lab
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

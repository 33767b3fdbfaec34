"""Scaling scenarios: Application Auto Scaling at its limit or suspended, and task protection.

The evidence follows from configuration (the load the application needs against what the
scalable target allows, the tasks' own protection); the fix through the AWS API heals to the
steady state and a plausible wrong fix does not (tests/aws/scenario_harness.py).
"""

from __future__ import annotations

import boto3
import pytest
from lab_client import LabAws
from scenario_harness import SETTLE_S, apply, assert_fix_heals, missing, signature

from ecs_medic.lab import Lab
from ecs_medic.lab.scaling import desired_for, utilization
from ecs_medic.lab.scenario import AppProfile, load_scenario

pytestmark = pytest.mark.lab

SCENARIOS = ["autoscaling-maxed", "autoscaling-suspended", "task-protection-blocks-scale-in"]


@pytest.mark.slow  # tests/aws/test_lab_sweep.py runs the same three checks in make test
@pytest.mark.parametrize("name", SCENARIOS)
def test_shows_the_catalogue_evidence_then_heals_with_the_fix(lab_factory, name):
    aws: LabAws = lab_factory(name)
    scenario = load_scenario(name)
    assert [] == missing(aws, scenario, since=0)

    assert_fix_heals(aws, scenario, quiet_s=300)


@pytest.mark.slow  # tests/aws/test_lab_sweep.py runs the same three checks in make test
@pytest.mark.parametrize("name", SCENARIOS)
def test_a_plausible_wrong_fix_keeps_the_failure_signature(lab_factory, name):
    aws: LabAws = lab_factory(name)
    scenario = load_scenario(name)
    changed_at = apply(aws, name, "wrong_fix")

    aws.lab.advance(SETTLE_S)

    assert signature(aws, scenario, since=changed_at) == [
        e for e in scenario.evidence if e.kind != "log"
    ]


def clients(lab: Lab) -> tuple[object, object]:
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=lab.region
    )
    make = lambda name: session.client(name, endpoint_url=lab.endpoint_url)  # noqa: E731
    return make("cloudwatch"), make("application-autoscaling")


def test_the_service_metrics_follow_the_load_and_the_task_count(lab_factory):
    """AWS/ECS CPUUtilization falls once the service scales out; memory stays per task."""
    aws: LabAws = lab_factory("autoscaling-maxed")
    cloudwatch, _ = clients(aws.lab)

    def latest(metric: str) -> float:
        found = cloudwatch.get_metric_statistics(
            Namespace="AWS/ECS",
            MetricName=metric,
            Dimensions=[
                {"Name": "ClusterName", "Value": "prod"},
                {"Name": "ServiceName", "Value": "web"},
            ],
            StartTime=aws.lab.now - 300,
            EndTime=aws.lab.now,
            Period=60,
            Statistics=["Average"],
        )["Datapoints"]
        return float(max(found, key=lambda p: p["Timestamp"])["Average"])

    assert latest("CPUUtilization") == pytest.approx(100 * (400 + 0.05 * 512) / 512, abs=0.1)
    assert latest("MemoryUtilization") == pytest.approx(100 * 300 / 512, abs=0.1)
    apply(aws, "autoscaling-maxed", "fix")
    aws.lab.advance(600)
    assert 3 == aws.service()["desiredCount"]
    assert latest("CPUUtilization") == pytest.approx(100 * (400 + 0.05 * 768) / 768, abs=0.1)


def test_a_manual_desired_count_above_max_capacity_is_brought_back(lab_factory):
    """update_service(desiredCount=4) with MaxCapacity 2: Application Auto Scaling sets 2."""
    aws: LabAws = lab_factory("autoscaling-maxed")
    _, scaling = clients(aws.lab)
    aws.ecs.update_service(cluster="prod", service="web", desiredCount=4)
    aws.lab.advance(120)
    assert 2 == aws.service()["desiredCount"]
    found = scaling.describe_scaling_activities(
        ServiceNamespace="ecs", ResourceId="service/prod/web"
    )["ScalingActivities"]
    assert "Setting desired count to 2." == found[0]["Description"]
    assert "maximum capacity was set to 2" == found[0]["Cause"]
    assert "Successful" == found[0]["StatusCode"]


def test_utilization_and_target_tracking_arithmetic():
    profile = AppProfile(memory_mib=256, cpu_units=512)
    assert utilization(0, 256, 512, [profile]) is None
    two = utilization(2, 256, 512, [profile])
    assert two is not None
    assert (100.0, 50.0) == (two.cpu, two.memory)  # CPU is capped at 100
    four = utilization(4, 256, 512, [profile])
    assert four is not None
    assert 55.0 == four.cpu
    assert 3 == desired_for(2, 83.0, 70.0)
    assert 2 == desired_for(3, 40.0, 70.0)


def test_old_service_datapoints_are_pruned_past_the_limit(monkeypatch):
    """A lab served for hours keeps recent datapoints only."""
    from ecs_medic.lab import _moto_scaling  # noqa: PLC0415 - the module under test

    monkeypatch.setattr(_moto_scaling, "MAX_DATAPOINTS", 10)
    with Lab.start(["healthy"], warmup_s=0) as lab:
        lab.advance(8 * 3600)
        cloudwatch, _ = clients(lab)
        found = cloudwatch.get_metric_statistics(
            Namespace="AWS/ECS",
            MetricName="CPUUtilization",
            Dimensions=[
                {"Name": "ClusterName", "Value": "prod"},
                {"Name": "ServiceName", "Value": "web"},
            ],
            StartTime=lab.now - 9 * 3600,
            EndTime=lab.now,
            Period=3600,
            Statistics=["SampleCount"],
        )["Datapoints"]
        assert sum(p["SampleCount"] for p in found) <= 6 * 60 + 10
        assert sum(p["SampleCount"] for p in found) >= 6 * 60 - 10

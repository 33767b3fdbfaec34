"""The Planton stand-in owns an autoscaled service's scalable target range, as the IaC does."""

from __future__ import annotations

import boto3
import pytest

from ecs_medic.lab import Lab
from ecs_medic.lab.planton import PlantonStore, seeds_from_lab
from ecs_medic.lab.planton.deploy import LabDeployer

pytestmark = pytest.mark.lab


def scalable_range(lab: Lab) -> tuple[int, int]:
    client = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=lab.region
    ).client("application-autoscaling", endpoint_url=lab.endpoint_url)
    [target] = client.describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=["service/prod/web"]
    )["ScalableTargets"]
    return target["MinCapacity"], target["MaxCapacity"]


def test_the_spec_holds_the_scaling_range_and_its_stack_job_applies_a_new_one():
    """Seeded from the live target (1-2, CPU 70 %); max_tasks 4 in the spec reaches AWS."""
    with Lab.start(["autoscaling-maxed"]) as lab:
        store = PlantonStore.from_seeds("acme", seeds_from_lab(lab))
        store.edit_spec("prod", "web", "autoscaling.max_tasks", 4)
        resource = store.find("prod", "web")
        assert resource is not None
        scaling = resource["spec"]["cloud_object"]["spec"]["autoscaling"]
        errors = LabDeployer(lab.endpoint_url, lab.region)(resource)
        after = scalable_range(lab)
    assert {"enabled": True, "min_tasks": 1, "max_tasks": 4, "target_cpu_percent": 70} == scaling
    assert ([], (1, 4)) == (errors, after)


def test_a_service_without_autoscaling_has_no_autoscaling_block():
    """No scalable target: the spec leaves autoscaling out, and replicas holds the count."""
    with Lab.start(["oom"]) as lab:
        [seed] = seeds_from_lab(lab)
    assert (None, None, 2) == (seed.min_tasks, seed.max_tasks, seed.replicas)

"""Builds a scenario's `autoscaling:` section (lab/scaling_spec.py) through the AWS API."""

from __future__ import annotations

from ecs_medic.lab import inprocess
from ecs_medic.lab.scaling_spec import SUSPENSIONS, AutoscalingSpec

DIMENSION = "ecs:service:DesiredCount"


def apply_autoscaling(
    account: str, region: str, cluster: str, service: str, spec: AutoscalingSpec
) -> None:
    """Register the service's scalable target and put its target-tracking policies."""
    scaling = inprocess.client(account, region, "application-autoscaling")
    resource = f"service/{cluster}/{service}"
    scaling.register_scalable_target(
        ServiceNamespace="ecs",
        ResourceId=resource,
        ScalableDimension=DIMENSION,
        MinCapacity=spec.min,
        MaxCapacity=spec.max,
        SuspendedState={name: name in spec.suspended for name in SUSPENSIONS},
    )
    for policy in spec.policies:
        scaling.put_scaling_policy(
            PolicyName=policy.name,
            ServiceNamespace="ecs",
            ResourceId=resource,
            ScalableDimension=DIMENSION,
            PolicyType="TargetTrackingScaling",
            TargetTrackingScalingPolicyConfiguration={
                "TargetValue": policy.target,
                "PredefinedMetricSpecification": {"PredefinedMetricType": policy.metric},
                "ScaleOutCooldown": 300,
                "ScaleInCooldown": 300,
                "DisableScaleIn": policy.disable_scale_in,
            },
        )

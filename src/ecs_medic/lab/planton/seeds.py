"""Read a running lab through the AWS API and describe its services as Planton would."""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from ecs_medic.lab.lab import Lab
from ecs_medic.lab.planton.deploy import LabDeployer
from ecs_medic.lab.planton.records import EcsServiceSeed, PlantonStore
from ecs_medic.lab.planton.server import PlantonServer


def seeds_from_lab(lab: Lab) -> list[EcsServiceSeed]:
    """One seed per lab service: its live configuration is the spec Planton deployed."""
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
        region_name=lab.region,
    )
    config = Config(retries={"max_attempts": 1, "mode": "standard"})

    def client(name: str) -> Any:
        return session.client(name, endpoint_url=lab.endpoint_url, config=config)  # type: ignore[call-overload]

    ecs, elbv2, scaling = client("ecs"), client("elbv2"), client("application-autoscaling")
    return [
        _seed(lab, ecs, elbv2, cluster, service, scaling=_autoscaling(scaling, cluster, service))
        for _, cluster, service in lab.targets
    ]


Range = tuple[int | None, int | None, int | None]  # min, max, CPU target percent


def _autoscaling(scaling: Any, cluster: str, name: str) -> Range:
    """The scalable target's range and CPU target, when the service autoscales."""
    resource = f"service/{cluster}/{name}"
    targets = scaling.describe_scalable_targets(ServiceNamespace="ecs", ResourceIds=[resource])
    if not targets["ScalableTargets"]:
        return None, None, None
    target = targets["ScalableTargets"][0]
    policies = scaling.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)
    cpu = [
        p["TargetTrackingScalingPolicyConfiguration"]["TargetValue"]
        for p in policies["ScalingPolicies"]
        if "CPU" in str(p.get("TargetTrackingScalingPolicyConfiguration", {}))
    ]
    return target["MinCapacity"], target["MaxCapacity"], int(cpu[0]) if cpu else None


def _seed(
    lab: Lab, ecs: Any, elbv2: Any, cluster: str, name: str, *, scaling: Range
) -> EcsServiceSeed:
    service = ecs.describe_services(cluster=cluster, services=[name])["services"][0]
    td = ecs.describe_task_definition(taskDefinition=service["taskDefinition"])["taskDefinition"]
    container = td["containerDefinitions"][0]
    repo, _, tag = container["image"].rpartition(":")
    network = service.get("networkConfiguration", {}).get("awsvpcConfiguration", {})
    balancers = service.get("loadBalancers") or [{}]
    tg_arn = balancers[0].get("targetGroupArn")
    health_path = None
    if tg_arn:
        groups = elbv2.describe_target_groups(TargetGroupArns=[tg_arn])["TargetGroups"]
        health_path = groups[0].get("HealthCheckPath")
    ports = container.get("portMappings") or [{}]
    log_options = (container.get("logConfiguration") or {}).get("options", {})
    return EcsServiceSeed(
        name=name,
        env=cluster,
        region=lab.region,
        account_id=lab.account_id,
        cluster_arn=service["clusterArn"],
        service_arn=service["serviceArn"],
        cpu=int(td["cpu"]) if td.get("cpu") else None,
        memory=int(td["memory"]) if td.get("memory") else None,
        image_repo=repo,
        image_tag=tag,
        port=ports[0].get("containerPort"),
        replicas=service["desiredCount"],
        grace_period_s=service.get("healthCheckGracePeriodSeconds"),
        health_check_path=health_path,
        subnets=tuple(network.get("subnets", ())),
        security_groups=tuple(network.get("securityGroups", ())),
        target_group_arn=tg_arn,
        log_group=log_options.get("awslogs-group"),
        execution_role_arn=td.get("executionRoleArn"),
        min_tasks=scaling[0],
        max_tasks=scaling[1],
        target_cpu_percent=scaling[2],
    )


def serve_for_lab(
    lab: Lab, org: str = "ecs-medic-lab", *, api_key: str | None = None, port: int = 0
) -> PlantonServer:
    """A Planton stand-in whose AwsEcsServices are the lab's services."""
    store = PlantonStore.from_seeds(org, seeds_from_lab(lab))
    store.deployer = LabDeployer(lab.endpoint_url, lab.region)
    return PlantonServer.start(store, api_key=api_key, port=port)

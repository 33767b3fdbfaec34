"""The stand-in's stack job: deploy an applied AwsEcsService spec to the lab, as the IaC would.

What the IaC module does with the fields ecs-medic may change, modelled on the lab's AWS API:
a new task definition revision when cpu, memory, image or port differ (one container using
the task's size: a container memory limit above the task's is lowered to it), then
UpdateService with that revision, the replicas, the grace period and the network, the
target group's health check, and the scalable target's range when autoscaling is enabled.
Errors come back as the job's error strings.
"""

from __future__ import annotations

import copy
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ecs_medic.lab.planton.records import JsonDict

AGENT = "planton-standin"  # the lab's request log names the client by it
_READ_ONLY_TD = (
    "taskDefinitionArn", "revision", "status", "requiresAttributes", "compatibilities",
    "registeredAt", "registeredBy", "deregisteredAt",
)  # fmt: skip


class LabDeployer:
    """Applies specs to one lab endpoint with the lab's dummy credentials."""

    def __init__(self, endpoint_url: str, region: str) -> None:
        session = boto3.session.Session(
            aws_access_key_id="testing",
            aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
            region_name=region,
        )
        config = Config(retries={"max_attempts": 1}, user_agent_extra=AGENT)
        self._ecs: Any = session.client("ecs", endpoint_url=endpoint_url, config=config)
        self._elbv2: Any = session.client("elbv2", endpoint_url=endpoint_url, config=config)
        self._scaling: Any = session.client(
            "application-autoscaling", endpoint_url=endpoint_url, config=config
        )

    def __call__(self, resource: JsonDict) -> list[str]:
        """Deploy the wrapper's cloud object; the errors of a failed deployment (none: ok)."""
        obj = resource["spec"]["cloud_object"]
        try:
            self._deploy(obj["spec"], obj["status"]["outputs"])
        except (ClientError, BotoCoreError, KeyError) as exc:
            return [f"update failed: {exc}"]
        return []

    def _deploy(self, spec: JsonDict, outputs: JsonDict) -> None:
        cluster, name = outputs["ecs_cluster_name"], outputs["aws_ecs_service_name"]
        service = self._ecs.describe_services(cluster=cluster, services=[name])["services"][0]
        live = self._ecs.describe_task_definition(taskDefinition=service["taskDefinition"])
        params = _service_changes(spec, service)
        wanted = _task_definition(live["taskDefinition"], spec.get("container") or {})
        if wanted is not None:
            registered = self._ecs.register_task_definition(**wanted)
            params["taskDefinition"] = registered["taskDefinition"]["taskDefinitionArn"]
        if params:
            self._ecs.update_service(cluster=cluster, service=name, **params)
        self._health_check(spec, outputs.get("target_group_arn"))
        resource = f"service/{cluster.rsplit('/', 1)[-1]}/{name}"
        self._autoscaling(spec.get("autoscaling") or {}, resource)

    def _autoscaling(self, scaling: JsonDict, resource: str) -> None:
        """The scalable target's range, when the spec's autoscaling block is enabled."""
        if not scaling.get("enabled"):
            return
        key = {"ServiceNamespace": "ecs", "ResourceId": resource,
               "ScalableDimension": "ecs:service:DesiredCount"}  # fmt: skip
        found = self._scaling.describe_scalable_targets(
            ServiceNamespace="ecs", ResourceIds=[resource]
        )["ScalableTargets"]
        wanted = {"MinCapacity": int(scaling.get("min_tasks") or 1),
                  "MaxCapacity": int(scaling.get("max_tasks") or 1)}  # fmt: skip
        live = {k: found[0][k] for k in wanted} if found else {}
        if live != wanted:
            self._scaling.register_scalable_target(**key, **wanted)

    def _health_check(self, spec: JsonDict, target_group: str | None) -> None:
        path = ((spec.get("alb") or {}).get("health_check") or {}).get("path")
        if not target_group or not path:
            return
        group = self._elbv2.describe_target_groups(TargetGroupArns=[target_group])
        if group["TargetGroups"][0].get("HealthCheckPath") != path:
            self._elbv2.modify_target_group(TargetGroupArn=target_group, HealthCheckPath=path)


def _task_definition(live: JsonDict, container: JsonDict) -> JsonDict | None:
    """RegisterTaskDefinition parameters when the spec's size, image or port differ."""
    params = {k: v for k, v in copy.deepcopy(live).items() if k not in _READ_ONLY_TD}
    first = params["containerDefinitions"][0]
    for field in ("cpu", "memory"):
        if container.get(field):
            params[field] = str(container[field])
    image = container.get("image") or {}
    if image.get("repo"):
        first["image"] = f"{image['repo']}:{image['tag']}" if image.get("tag") else image["repo"]
    if container.get("port") and first.get("portMappings"):
        first["portMappings"][0]["containerPort"] = int(container["port"])
    memory = int(params.get("memory") or 0)
    if memory and int(first.get("memory") or 0) > memory:
        first["memory"] = memory
    before = {k: v for k, v in live.items() if k not in _READ_ONLY_TD}
    return None if params == before else params


def _service_changes(spec: JsonDict, service: JsonDict) -> dict[str, Any]:
    """UpdateService parameters for replicas, grace period and network that differ."""
    changes: dict[str, Any] = {}
    replicas = (spec.get("container") or {}).get("replicas")
    if replicas is not None and int(replicas) != service.get("desiredCount"):
        changes["desiredCount"] = int(replicas)
    grace = spec.get("health_check_grace_period_seconds")
    if grace is not None and int(grace) != service.get("healthCheckGracePeriodSeconds"):
        changes["healthCheckGracePeriodSeconds"] = int(grace)
    vpc = copy.deepcopy((service.get("networkConfiguration") or {}).get("awsvpcConfiguration"))
    network = spec.get("network") or {}
    if vpc is not None:
        wanted = dict(vpc)
        for key, spec_key in (("subnets", "subnets"), ("securityGroups", "security_groups")):
            values = [_plain(v) for v in network.get(spec_key) or ()]
            if values:
                wanted[key] = values
        if wanted != vpc:
            changes["networkConfiguration"] = {"awsvpcConfiguration": wanted}
    return changes


def _plain(field: Any) -> str:
    return str(field.get("value")) if isinstance(field, dict) else str(field)

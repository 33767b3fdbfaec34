"""Fixes and wrong fixes as data: each scenario step is an AWS API change made through boto3.

Steps discover what they change the way an operator would (the service's task definition,
target group, security groups, load balancer), so they work for any scenario and cluster.
`lab describe` prints them with `describe_step`; the tests apply them with `apply_steps`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config

from ecs_medic.lab.errors import ScenarioError
from ecs_medic.lab.scenario import Step

_KEEP = (
    "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
    "volumes", "placementConstraints", "requiresCompatibilities", "cpu", "memory",
    "runtimePlatform", "ephemeralStorage",
)  # fmt: skip


@dataclass(frozen=True)
class Target:
    """The service a step changes, and boto3 clients pointed at the lab."""

    cluster: str
    service: str
    clients: Mapping[str, Any]

    @classmethod
    def connect(cls, env: Mapping[str, str], cluster: str, service: str) -> Target:
        """Clients from a lab's environment (`Lab.env()`)."""
        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_REGION"],
        )
        config = Config(retries={"max_attempts": 1, "mode": "standard"})
        names = ("ecs", "ec2", "elbv2", "ecr", "autoscaling", "application-autoscaling")
        clients = {
            n: session.client(n, endpoint_url=env["AWS_ENDPOINT_URL"], config=config)  # type: ignore[call-overload]
            for n in names
        }
        return cls(cluster, service, clients)

    def describe(self) -> dict[str, Any]:
        """The service as describe_services shows it."""
        found = self.clients["ecs"].describe_services(cluster=self.cluster, services=[self.service])
        return dict(found["services"][0])

    def update(self, **params: Any) -> None:
        """update_service on this service."""
        self.clients["ecs"].update_service(cluster=self.cluster, service=self.service, **params)


_session: list[boto3.session.Session] = []  # one session: service models are parsed once
_extra: dict[tuple[str, str, str], Any] = {}


def client(target: Target, name: str) -> Any:
    """The target's client, or one for the same endpoint and region (iam, logs, ssm, kms...)."""
    if name in target.clients:
        return target.clients[name]
    ecs = target.clients["ecs"]
    key = (str(ecs.meta.endpoint_url), str(ecs.meta.region_name), name)
    if key not in _extra:
        if not _session:
            _session.append(
                boto3.session.Session(
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",  # noqa: S106 - the lab's dummy credentials
                )
            )
        _extra[key] = _session[0].client(  # type: ignore[call-overload]
            name, endpoint_url=key[0], region_name=key[1]
        )
    return _extra[key]


def apply_steps(
    target: Target, steps: Sequence[Step], wait: Callable[[float], None] | None = None
) -> None:
    """Apply each step in order; `wait: {seconds}` lets simulated time pass (needs `wait`).

    An unknown action, or a wait without a clock, is a ScenarioError.
    """
    known = all_actions()
    for step in steps:
        if step.action == "wait" and wait is not None:
            wait(float(step.params.get("seconds", 60)))
            continue
        action = known.get(step.action)
        if action is None:
            raise ScenarioError(f"unknown step {step.action!r}; known: {', '.join(sorted(known))}")
        action(target, dict(step.params))


def all_actions() -> dict[str, Callable[[Target, dict[str, Any]], None]]:
    """These actions plus those of the network, image, IAM, logging, EC2, scaling, Fargate ones."""
    from ecs_medic.lab import (  # noqa: PLC0415 - they build on Target from here
        steps_access,
        steps_ec2,
        steps_fargate,
        steps_scaling,
    )

    return {
        **ACTIONS,
        **steps_access.ACTIONS,
        **steps_ec2.ACTIONS,
        **steps_scaling.ACTIONS,
        **steps_fargate.ACTIONS,
    }


def describe_step(step: Step) -> str:
    """One line for `lab describe`: the API call and its parameters."""
    params = ", ".join(f"{k}={v!r}" for k, v in step.params.items())
    return f"{step.action}({params})"


# --- actions --------------------------------------------------------------------------------


def update_service(target: Target, params: dict[str, Any]) -> None:
    """Run update_service with the given parameters (desiredCount, deploymentConfiguration...)."""
    target.update(**params)


def force_new_deployment(target: Target, params: dict[str, Any]) -> None:
    """Run update_service(forceNewDeployment=True): the same revision again."""
    target.update(forceNewDeployment=True, **params)


def revise_task_definition(target: Target, params: dict[str, Any]) -> None:
    """Register a revision with task-level and per-container changes, and deploy it.

    `containers: {name: {field: value}}` sets container fields; a value of null removes one
    (at task level too), and `tag` swaps the image tag in the same repository.
    """
    ecs = target.clients["ecs"]
    current = ecs.describe_task_definition(taskDefinition=target.describe()["taskDefinition"])
    definition = {k: v for k, v in current["taskDefinition"].items() if k in _KEEP}
    changes = params.pop("containers", {}) or {}
    containers = copy.deepcopy(definition["containerDefinitions"])
    for container in containers:
        for key, value in (changes.get(container["name"]) or {}).items():
            if key == "tag":  # not an AWS field: the same repository, another tag
                container["image"] = f"{container['image'].rpartition(':')[0]}:{value}"
            elif value is None:
                container.pop(key, None)
            else:
                container[key] = value
    definition.update(params, containerDefinitions=containers)
    definition = {k: v for k, v in definition.items() if v is not None}  # null removes a field
    arn = ecs.register_task_definition(**definition)["taskDefinition"]["taskDefinitionArn"]
    target.update(taskDefinition=arn)


def modify_target_group(target: Target, params: dict[str, Any]) -> None:
    """elbv2 modify_target_group on the service's target group."""
    target.clients["elbv2"].modify_target_group(TargetGroupArn=_group_arn(target), **params)


def authorize_alb_ingress(target: Target, params: dict[str, Any]) -> None:
    """Let the load balancer's security groups reach the container port on the task SG."""
    port = int(params.get("port") or target.describe()["loadBalancers"][0]["containerPort"])
    sources = [{"GroupId": g} for g in _balancer(target)["SecurityGroups"]]
    permission = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    target.clients["ec2"].authorize_security_group_ingress(
        GroupId=_task_groups(target)[0], IpPermissions=[permission | {"UserIdGroupPairs": sources}]
    )


def authorize_cidr_ingress(target: Target, params: dict[str, Any]) -> None:
    """Open a port on the task SG to a CIDR (`cidr`, `port`)."""
    port = int(params["port"])
    permission = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    target.clients["ec2"].authorize_security_group_ingress(
        GroupId=_task_groups(target)[0],
        IpPermissions=[permission | {"IpRanges": [{"CidrIp": str(params["cidr"])}]}],
    )


def push_image(target: Target, params: dict[str, Any]) -> None:
    """Push `tag` to the repository of `container`'s image, copying the manifest of `from_tag`.

    With `rebuild: true` the manifest changes too (a new digest under the same tag).
    """
    repository = _repository(target, str(params.get("container", "")))
    ecr = target.clients["ecr"]
    source = str(params.get("from_tag") or params["tag"])
    found = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": source}])
    manifest = found["images"][0]["imageManifest"]
    if params.get("rebuild"):
        manifest = _rebuilt(manifest)
    ecr.put_image(repositoryName=repository, imageManifest=manifest, imageTag=str(params["tag"]))


def redeploy_failed_revision(target: Target, params: dict[str, Any]) -> None:
    """Deploy the family's latest revision again (after a rollback: the one that failed)."""
    ecs = target.clients["ecs"]
    current = ecs.describe_task_definition(taskDefinition=target.describe()["taskDefinition"])
    latest = ecs.describe_task_definition(taskDefinition=current["taskDefinition"]["family"])
    target.update(taskDefinition=latest["taskDefinition"]["taskDefinitionArn"], **params)


def create_listener(target: Target, params: dict[str, Any]) -> None:
    """An HTTP listener on the load balancer that forwards to the service's target group."""
    target.clients["elbv2"].create_listener(
        LoadBalancerArn=_balancer(target)["LoadBalancerArn"],
        Protocol="HTTP",
        Port=int(params.get("port", 80)),
        DefaultActions=[{"Type": "forward", "TargetGroupArn": _group_arn(target)}],
    )


ACTIONS: dict[str, Callable[[Target, dict[str, Any]], None]] = {
    "create_listener": create_listener,
    "redeploy_failed_revision": redeploy_failed_revision,
    "update_service": update_service,
    "force_new_deployment": force_new_deployment,
    "revise_task_definition": revise_task_definition,
    "modify_target_group": modify_target_group,
    "authorize_alb_ingress": authorize_alb_ingress,
    "authorize_cidr_ingress": authorize_cidr_ingress,
    "push_image": push_image,
}


def _register_access_steps() -> None:
    """Add the network, IAM, secrets and logging steps (lab/steps_access.py)."""
    from ecs_medic.lab import steps_access, steps_fargate  # noqa: PLC0415 - they import this

    ACTIONS.update(steps_access.ACTIONS)
    ACTIONS.update(steps_fargate.ACTIONS)


def _rebuilt(manifest: str) -> str:
    """The same image rebuilt: a new top layer, hence a new digest."""
    parsed = json.loads(manifest)
    layer = parsed["layers"][-1]
    layer["digest"] = "sha256:" + hashlib.sha256(f"rebuilt:{layer['digest']}".encode()).hexdigest()
    return json.dumps(parsed)


# --- discovery ------------------------------------------------------------------------------


def _group_arn(target: Target) -> str:
    return str(target.describe()["loadBalancers"][0]["targetGroupArn"])


def _balancer(target: Target) -> dict[str, Any]:
    elbv2 = target.clients["elbv2"]
    group = elbv2.describe_target_groups(TargetGroupArns=[_group_arn(target)])["TargetGroups"][0]
    arns = group.get("LoadBalancerArns") or []
    if arns:
        return dict(elbv2.describe_load_balancers(LoadBalancerArns=arns[:1])["LoadBalancers"][0])
    in_vpc = [
        b for b in elbv2.describe_load_balancers()["LoadBalancers"] if b["VpcId"] == group["VpcId"]
    ]
    return dict(in_vpc[0])


def _task_groups(target: Target) -> list[str]:
    network = target.describe()["networkConfiguration"]["awsvpcConfiguration"]
    return list(network["securityGroups"])


def _repository(target: Target, container: str) -> str:
    ecs = target.clients["ecs"]
    current = ecs.describe_task_definition(taskDefinition=target.describe()["taskDefinition"])
    definitions = current["taskDefinition"]["containerDefinitions"]
    chosen = next((c for c in definitions if c["name"] == container), definitions[0])
    _, _, path = str(chosen["image"]).partition("/")
    return path.rpartition(":")[0] or path


_register_access_steps()

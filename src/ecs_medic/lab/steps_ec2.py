"""Fix steps for EC2 capacity and container instances (see lab/steps.py).

Each step finds what it changes as an operator would: the cluster's Auto Scaling group is the
one whose launch template's user data joins the cluster (ECS_CLUSTER), the instances to act on
are the cluster's container instances as DescribeContainerInstances shows them.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import Any

from ecs_medic.lab.errors import ScenarioError
from ecs_medic.lab.steps import Target, client


def cluster_group(target: Target) -> dict[str, Any]:
    """The Auto Scaling group whose instances join the target's cluster."""
    autoscaling, ec2 = target.clients["autoscaling"], target.clients["ec2"]
    for group in autoscaling.describe_auto_scaling_groups()["AutoScalingGroups"]:
        template = group.get("LaunchTemplate") or {}
        if not template.get("LaunchTemplateId"):
            continue
        versions = ec2.describe_launch_template_versions(
            LaunchTemplateId=template["LaunchTemplateId"], Versions=["$Latest"]
        )["LaunchTemplateVersions"]
        data = versions[0]["LaunchTemplateData"].get("UserData", "") if versions else ""
        text = base64.b64decode(data).decode("utf-8", "replace") if data else ""
        if re.search(rf"ECS_CLUSTER={re.escape(target.cluster)}\b", text):
            return dict(group)
    raise ScenarioError(f"no Auto Scaling group launches instances into {target.cluster}")


def scale_instances(target: Target, params: dict[str, Any]) -> None:
    """Set the desired capacity of the cluster's Auto Scaling group (MaxSize follows)."""
    group = cluster_group(target)
    desired = int(params["desired"])
    target.clients["autoscaling"].update_auto_scaling_group(
        AutoScalingGroupName=group["AutoScalingGroupName"],
        MaxSize=max(int(group["MaxSize"]), desired),
        DesiredCapacity=desired,
    )


def raise_instance_max(target: Target, params: dict[str, Any]) -> None:
    """Raise only the group's MaxSize (`max`); without scaling nothing launches."""
    group = cluster_group(target)
    target.clients["autoscaling"].update_auto_scaling_group(
        AutoScalingGroupName=group["AutoScalingGroupName"], MaxSize=int(params["max"])
    )


def _container_instances(target: Target) -> list[dict[str, Any]]:
    ecs = target.clients["ecs"]
    arns = ecs.list_container_instances(cluster=target.cluster)["containerInstanceArns"]
    if not arns:
        return []
    found = ecs.describe_container_instances(cluster=target.cluster, containerInstances=arns)
    return list(found["containerInstances"])


def restart_ecs_agent(target: Target, params: dict[str, Any]) -> None:
    """Run `systemctl restart ecs` through SSM on the instances whose agent is disconnected."""
    del params
    down = [i["ec2InstanceId"] for i in _container_instances(target) if not i["agentConnected"]]
    if down:
        client(target, "ssm").send_command(
            InstanceIds=down,
            DocumentName="AWS-RunShellScript",
            Parameters={"commands": ["sudo systemctl restart ecs"]},
            Comment="restart the ECS agent",
        )


def put_instance_attribute(target: Target, params: dict[str, Any]) -> None:
    """Give every ACTIVE container instance a custom attribute (`name`, `value`)."""
    attributes = [
        {
            "name": str(params["name"]),
            "value": str(params["value"]),
            "targetId": i["containerInstanceArn"],
        }
        for i in _container_instances(target)
        if i["status"] == "ACTIVE"
    ]
    if attributes:
        target.clients["ecs"].put_attributes(cluster=target.cluster, attributes=attributes)


def enable_managed_scaling(target: Target, params: dict[str, Any]) -> None:
    """Turn on managed scaling of the service's EC2 capacity providers (`target_capacity`)."""
    ecs = target.clients["ecs"]
    strategy = target.describe().get("capacityProviderStrategy") or []
    for entry in strategy:
        name = entry["capacityProvider"]
        if name in ("FARGATE", "FARGATE_SPOT"):
            continue
        ecs.update_capacity_provider(
            name=name,
            autoScalingGroupProvider={
                "managedScaling": {
                    "status": "ENABLED",
                    "targetCapacity": int(params.get("target_capacity", 100)),
                }
            },
        )


ACTIONS: dict[str, Callable[[Target, dict[str, Any]], None]] = {
    "scale_instances": scale_instances,
    "raise_instance_max": raise_instance_max,
    "restart_ecs_agent": restart_ecs_agent,
    "put_instance_attribute": put_instance_attribute,
    "enable_managed_scaling": enable_managed_scaling,
}

"""Read-only lookups for EC2 capacity fixes: the cluster's Auto Scaling groups, instance types.

The diagnosis snapshot knows the container instances and the capacity providers, not the
Auto Scaling group that launches a plain EC2 cluster's instances. An operator finds it two
ways, and so does this module: from running container instances (DescribeAutoScalingInstances
names their group), or, when none is registered, from the groups whose launch template's user
data joins the cluster (`ECS_CLUSTER=<name>` in /etc/ecs/ecs.config). Reads are bounded: one
page of groups, a few launch templates. A failed read leaves the fact out.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ecs_medic.aws.gateway import Gateway, GatewayError
from ecs_medic.aws.parsing_capacity import asg_name
from ecs_medic.aws.snapshot import ServiceSnapshot

MAX_GROUPS = 100  # one DescribeAutoScalingGroups page
MAX_TEMPLATES = 20  # launch templates read to match user data (each is one call)
IDS_PER_CALL = 50  # DescribeAutoScalingInstances takes at most 50 instance ids


@dataclass(frozen=True, slots=True)
class ScalingGroup:
    """An Auto Scaling group that launches the cluster's container instances."""

    name: str
    min_size: int
    max_size: int
    desired: int
    zones: tuple[str, ...] = ()
    instance_type: str | None = None  # from its launch template or configuration


@dataclass(frozen=True, slots=True)
class InstanceType:
    """What EC2 says an instance type offers."""

    name: str
    vcpus: int
    memory_mib: int


def cluster_groups(gateway: Gateway, snapshot: ServiceSnapshot) -> tuple[ScalingGroup, ...]:
    """The groups behind the cluster's instances: by their instances, else by user data."""
    ids = [i.ec2_instance_id for i in snapshot.capacity.container_instances if i.ec2_instance_id]
    if ids:
        return _with_types(gateway, _described(gateway, _groups_of_instances(gateway, ids)))
    found = []
    for group in _first_page(gateway)[:MAX_TEMPLATES]:
        data = _template_data(gateway, group)
        if _joins(data, snapshot.cluster_name):
            found.append(_group(group, data))
    return tuple(found)


def provider_groups(gateway: Gateway, snapshot: ServiceSnapshot) -> tuple[ScalingGroup, ...]:
    """The groups of the capacity providers in the snapshot, with their instance types."""
    names = [asg_name(p.asg_arn) for p in snapshot.capacity.capacity_providers if p.asg_arn]
    return _with_types(gateway, _described(gateway, names))


def instance_types(gateway: Gateway, names: Iterable[str]) -> tuple[InstanceType, ...]:
    """The vCPUs and memory of the named instance types (DescribeInstanceTypes, one call)."""
    wanted = sorted(set(names))
    if not wanted:
        return ()
    try:
        response = gateway.call("ec2", "DescribeInstanceTypes", {"InstanceTypes": wanted})
    except GatewayError:
        return ()
    return tuple(
        InstanceType(
            str(t["InstanceType"]),
            int(t.get("VCpuInfo", {}).get("DefaultVCpus", 0)),
            int(t.get("MemoryInfo", {}).get("SizeInMiB", 0)),
        )
        for t in response.get("InstanceTypes", ())
        if "InstanceType" in t
    )


def _groups_of_instances(gateway: Gateway, ids: list[str]) -> list[str]:
    names: list[str] = []
    for start in range(0, len(ids), IDS_PER_CALL):
        params = {"InstanceIds": ids[start : start + IDS_PER_CALL]}
        try:
            response = gateway.call("autoscaling", "DescribeAutoScalingInstances", params)
        except GatewayError:
            return []
        names += [str(i["AutoScalingGroupName"]) for i in response.get("AutoScalingInstances", ())]
    return list(dict.fromkeys(names))


def _described(gateway: Gateway, names: list[str]) -> list[dict[str, Any]]:
    if not names:
        return []
    try:
        response = gateway.call(
            "autoscaling", "DescribeAutoScalingGroups", {"AutoScalingGroupNames": names}
        )
    except GatewayError:
        return []
    return list(response.get("AutoScalingGroups", ()))


def _first_page(gateway: Gateway) -> list[dict[str, Any]]:
    try:
        response = gateway.call(
            "autoscaling", "DescribeAutoScalingGroups", {"MaxRecords": MAX_GROUPS}
        )
    except GatewayError:
        return []
    return list(response.get("AutoScalingGroups", ()))[:MAX_GROUPS]


def _joins(data: dict[str, Any], cluster: str) -> bool:
    """Whether instances launched with `data` join `cluster` (ECS_CLUSTER in their user data)."""
    try:
        text = base64.b64decode(str(data.get("UserData") or "")).decode("utf-8", "replace")
    except (binascii.Error, ValueError):
        return False
    return bool(re.search(rf"\bECS_CLUSTER=['\"]?{re.escape(cluster)}(?![\w-])", text))


def _template(group: dict[str, Any]) -> dict[str, Any] | None:
    """The launch template a group uses, directly or through a mixed instances policy."""
    mixed = (group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}
    return group.get("LaunchTemplate") or mixed.get("LaunchTemplateSpecification")


def _template_data(gateway: Gateway, group: dict[str, Any]) -> dict[str, Any]:
    """The launch template data (or launch configuration) the group launches with."""
    template = _template(group)
    if template and template.get("LaunchTemplateId"):
        params = {
            "LaunchTemplateId": template["LaunchTemplateId"],
            "Versions": [str(template.get("Version") or "$Default")],
        }
        try:
            versions = gateway.call("ec2", "DescribeLaunchTemplateVersions", params)
        except GatewayError:
            return {}
        found = versions.get("LaunchTemplateVersions") or [{}]
        return dict(found[0].get("LaunchTemplateData") or {})
    if group.get("LaunchConfigurationName"):
        params = {"LaunchConfigurationNames": [group["LaunchConfigurationName"]]}
        try:
            configs = gateway.call("autoscaling", "DescribeLaunchConfigurations", params)
        except GatewayError:
            return {}
        return dict((configs.get("LaunchConfigurations") or [{}])[0])
    return {}


def _with_types(gateway: Gateway, groups: list[dict[str, Any]]) -> tuple[ScalingGroup, ...]:
    """ScalingGroups, each with the instance type its launch template names."""
    return tuple(_group(g, _template_data(gateway, g)) for g in groups[:MAX_TEMPLATES])


def _instance_type(group: dict[str, Any], data: dict[str, Any]) -> str | None:
    """The first override of a mixed instances policy, else the template's type."""
    overrides = ((group.get("MixedInstancesPolicy") or {}).get("LaunchTemplate") or {}).get(
        "Overrides"
    ) or []
    first = next((o["InstanceType"] for o in overrides if o.get("InstanceType")), None)
    return first or data.get("InstanceType")


def _group(group: dict[str, Any], data: dict[str, Any]) -> ScalingGroup:
    instance_type = _instance_type(group, data)
    return ScalingGroup(
        name=str(group["AutoScalingGroupName"]),
        min_size=int(group.get("MinSize", 0)),
        max_size=int(group.get("MaxSize", 0)),
        desired=int(group.get("DesiredCapacity", 0)),
        zones=tuple(str(z) for z in group.get("AvailabilityZones") or ()),
        instance_type=instance_type,
    )

"""EC2 capacity for an EC2-launch-type scenario, created through the AWS API (lab/ec2_spec.py).

What a user's infrastructure code creates for an ECS cluster on EC2: the instance role
(AmazonEC2ContainerServiceforEC2Role) and its instance profile, a security group, a launch
template whose user data joins the cluster (`ECS_CLUSTER=<cluster>` in /etc/ecs/ecs.config),
and an Auto Scaling group in the private subnets. The instances register as container
instances when the lab's agent sees them boot (lab/ec2_fleet.py), as the real agent would.
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from ecs_medic.lab import _moto_ecs_instances
from ecs_medic.lab.ec2_spec import AMI_ID, Ec2Spec
from ecs_medic.lab.iam_policy import PULL_AND_LOG_ACTIONS, allow_policy, trust_policy

if TYPE_CHECKING:
    from ecs_medic.lab.builder import AccountBuilder
    from ecs_medic.lab.scenario import Scenario

INSTANCE_ROLE = "ecsInstanceRole"
# The statements of the AWS-managed AmazonEC2ContainerServiceforEC2Role.
_INSTANCE_POLICY = allow_policy(
    [
        "ec2:DescribeTags",
        "ecs:CreateCluster",
        "ecs:DeregisterContainerInstance",
        "ecs:DiscoverPollEndpoint",
        "ecs:Poll",
        "ecs:RegisterContainerInstance",
        "ecs:StartTelemetrySession",
        "ecs:UpdateContainerInstancesState",
        "ecs:Submit*",
        *PULL_AND_LOG_ACTIONS,
    ]
)
_EC2_TRUST = trust_policy("ec2.amazonaws.com")


def user_data(cluster: str) -> str:
    """The launch template's user data: the agent joins `cluster` (base64, as EC2 takes it)."""
    script = f"#!/bin/bash\necho ECS_CLUSTER={cluster} >> /etc/ecs/ecs.config\n"
    return base64.b64encode(script.encode()).decode()


def asg_name(cluster: str) -> str:
    """The Auto Scaling group of a cluster's container instances."""
    return f"{cluster}-ecs-instances"


def provider_name(cluster: str) -> str:
    """The capacity provider on a cluster's Auto Scaling group."""
    return f"{cluster}-ec2"


class Ec2Builder:
    """Creates a scenario's EC2 capacity in the lab account."""

    def __init__(self, builder: AccountBuilder, scenario: Scenario, spec: Ec2Spec) -> None:
        self.builder, self.scenario, self.spec = builder, scenario, spec
        self.cluster = scenario.service.cluster

    def _client(self, name: str) -> Any:
        return self.builder._client(name)

    def apply(self, network: dict[str, Any]) -> None:
        """Role and profile, security group, launch template and Auto Scaling group."""
        _moto_ecs_instances.install()
        profile = self._instance_profile()
        group = self._security_group(network)
        template = self._launch_template(profile, group)
        self._client("autoscaling").create_auto_scaling_group(
            AutoScalingGroupName=asg_name(self.cluster),
            LaunchTemplate={"LaunchTemplateId": template, "Version": "$Latest"},
            MinSize=0,
            MaxSize=self.spec.max_instances,
            DesiredCapacity=self.spec.instances,
            VPCZoneIdentifier=",".join(network["private"]),
            Tags=[
                {
                    "Key": "Name",
                    "Value": f"{self.cluster}-ecs-instance",
                    "PropagateAtLaunch": True,
                }
            ],
        )
        if self.spec.capacity_provider:
            self._capacity_provider()

    def _capacity_provider(self) -> None:
        """A capacity provider on the group, the cluster's default strategy."""
        group = self._client("autoscaling").describe_auto_scaling_groups(
            AutoScalingGroupNames=[asg_name(self.cluster)]
        )["AutoScalingGroups"][0]
        name = provider_name(self.cluster)
        ecs = self._client("ecs")
        ecs.create_capacity_provider(
            name=name,
            autoScalingGroupProvider={
                "autoScalingGroupArn": group["AutoScalingGroupARN"],
                "managedScaling": {
                    "status": "ENABLED" if self.spec.managed_scaling else "DISABLED",
                    "targetCapacity": 100,
                },
                "managedTerminationProtection": "DISABLED",
            },
        )
        ecs.put_cluster_capacity_providers(
            cluster=self.cluster,
            capacityProviders=[name],
            defaultCapacityProviderStrategy=[{"capacityProvider": name, "weight": 1}],
        )

    def _instance_profile(self) -> str:
        iam = self._client("iam")
        try:
            return str(
                iam.get_instance_profile(InstanceProfileName=INSTANCE_ROLE)["InstanceProfile"][
                    "Arn"
                ]
            )
        except iam.exceptions.NoSuchEntityException:
            pass
        iam.create_role(RoleName=INSTANCE_ROLE, AssumeRolePolicyDocument=json.dumps(_EC2_TRUST))
        iam.put_role_policy(
            RoleName=INSTANCE_ROLE,
            PolicyName="AmazonEC2ContainerServiceforEC2Role",
            PolicyDocument=json.dumps(_INSTANCE_POLICY),
        )
        profile = iam.create_instance_profile(InstanceProfileName=INSTANCE_ROLE)
        iam.add_role_to_instance_profile(InstanceProfileName=INSTANCE_ROLE, RoleName=INSTANCE_ROLE)
        return str(profile["InstanceProfile"]["Arn"])

    def _security_group(self, network: dict[str, Any]) -> str:
        ec2 = self._client("ec2")
        group = ec2.create_security_group(
            GroupName=f"{self.cluster}-ecs-instances",
            Description="ECS container instances",
            VpcId=network["vpc"],
        )
        group_id = str(group["GroupId"])
        if self.spec.network_mode == "bridge":  # the load balancer reaches the host ports
            ec2.authorize_security_group_ingress(
                GroupId=group_id,
                IpPermissions=[
                    {
                        "IpProtocol": "tcp",
                        "FromPort": 32768,
                        "ToPort": 65535,
                        "UserIdGroupPairs": [{"GroupId": network["alb_sg"]}],
                    }
                ],
            )
        return group_id

    def _launch_template(self, profile_arn: str, group: str) -> str:
        template = self._client("ec2").create_launch_template(
            LaunchTemplateName=f"{self.cluster}-ecs",
            LaunchTemplateData={
                "ImageId": AMI_ID,
                "InstanceType": self.spec.instance_type,
                "IamInstanceProfile": {"Arn": profile_arn},
                "SecurityGroupIds": [group],
                "UserData": user_data(self.cluster),
                "MetadataOptions": {"HttpTokens": "required"},
            },
        )
        return str(template["LaunchTemplate"]["LaunchTemplateId"])


def launch_fields(spec: Ec2Spec | None, cluster: str, launch_type: str) -> dict[str, Any]:
    """The service's launchType, or its capacity provider strategy."""
    if spec is not None and spec.capacity_provider:
        strategy = {"capacityProvider": provider_name(cluster), "weight": 1, "base": 0}
        return {"capacityProviderStrategy": [strategy]}
    return {"launchType": launch_type}


def task_definition_fields(spec: Ec2Spec | None) -> dict[str, Any]:
    """The requiresCompatibilities and networkMode of the scenario's task definition."""
    if spec is None:
        return {"networkMode": "awsvpc", "requiresCompatibilities": ["FARGATE"]}
    return {"networkMode": spec.network_mode, "requiresCompatibilities": ["EC2"]}


def port_mapping(spec: Ec2Spec | None, port: int) -> dict[str, Any]:
    """A container's port mapping: bridge mode adds the host port (0: a dynamic one)."""
    mapping: dict[str, Any] = {"containerPort": port, "protocol": "tcp"}
    if spec is not None and spec.network_mode == "bridge":
        mapping["hostPort"] = spec.host_port
    return mapping


def service_fields(spec: Ec2Spec | None, network: dict[str, Any]) -> dict[str, Any]:
    """The networkConfiguration (awsvpc only) and placementConstraints of the service."""
    fields: dict[str, Any] = {}
    if spec is None or spec.network_mode == "awsvpc":
        subnets = network["private"]  # one per zone: a, b
        if spec is not None and spec.service_zone is not None:
            subnets = [
                s for s, zone in zip(subnets, "ab", strict=False) if zone == spec.service_zone
            ]
        fields["networkConfiguration"] = {
            "awsvpcConfiguration": {
                "subnets": subnets,
                "securityGroups": [network["task_sg"]],
                "assignPublicIp": "DISABLED",
            }
        }
    if spec is not None and spec.placement_constraints:
        fields["placementConstraints"] = [
            {"type": "memberOf", "expression": e} for e in spec.placement_constraints
        ]
    return fields

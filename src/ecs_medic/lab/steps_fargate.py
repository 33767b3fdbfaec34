"""Fix steps for the Fargate placement, quota, load-balancer and refused-deployment scenarios.

Like lab/steps.py's, each step finds what it changes from the service (its subnets, its
target group's load balancer) and changes it through the AWS API.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from ecs_medic.lab.scenario import Step
from ecs_medic.lab.steps import Target, apply_steps, client
from ecs_medic.lab.steps_access import subnet_name


def request_quota_increase(target: Target, params: dict[str, Any]) -> None:
    """service-quotas RequestServiceQuotaIncrease for a fargate quota (`quota`, `value`)."""
    client(target, "service-quotas").request_service_quota_increase(
        ServiceCode="fargate",
        QuotaCode=str(params.get("quota", "L-3032A538")),
        DesiredValue=float(params["value"]),
    )


def enable_load_balancer_zone(target: Target, params: dict[str, Any]) -> None:
    """elbv2 SetSubnets: the load balancer's subnets plus the public subnet in `zone`."""
    elbv2, ec2 = target.clients["elbv2"], target.clients["ec2"]
    group_arn = target.describe()["loadBalancers"][0]["targetGroupArn"]
    group = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"][0]
    balancer = elbv2.describe_load_balancers(LoadBalancerArns=group["LoadBalancerArns"][:1])
    current = [z["SubnetId"] for z in balancer["LoadBalancers"][0]["AvailabilityZones"]]
    in_zone = ec2.describe_subnets(
        Filters=[
            {"Name": "vpc-id", "Values": [group["VpcId"]]},
            {"Name": "availability-zone", "Values": [str(params["zone"])]},
        ]
    )["Subnets"]
    public = [s["SubnetId"] for s in in_zone if "public" in subnet_name(s)]
    elbv2.set_subnets(
        LoadBalancerArn=balancer["LoadBalancers"][0]["LoadBalancerArn"], Subnets=current + public
    )


def pipeline(target: Target, params: dict[str, Any]) -> None:
    """CI's deploy job: `steps` in order; the first call AWS refuses ends the job, like CI.

    The refusal is not raised: the job failed, and what AWS answered is in CloudTrail.
    """
    for item in params.get("steps") or ():
        action, step_params = (item, {}) if isinstance(item, str) else next(iter(item.items()))
        try:
            apply_steps(target, [Step(str(action), dict(step_params or {}))])
        except ClientError:
            return


def create_target_group(target: Target, params: dict[str, Any]) -> None:
    """A target group `name` like the service's; TargetType `target_type` (default instance).

    instance is what Terraform's aws_lb_target_group defaults to.
    """
    elbv2 = target.clients["elbv2"]
    group_arn = target.describe()["loadBalancers"][0]["targetGroupArn"]
    like = elbv2.describe_target_groups(TargetGroupArns=[group_arn])["TargetGroups"][0]
    elbv2.create_target_group(
        Name=str(params["name"]),
        Protocol=like["Protocol"],
        Port=int(like["Port"]),
        VpcId=like["VpcId"],
        TargetType=str(params.get("target_type", "instance")),
        HealthCheckPath=like["HealthCheckPath"],
        HealthCheckIntervalSeconds=like["HealthCheckIntervalSeconds"],
        HealthyThresholdCount=like["HealthyThresholdCount"],
        UnhealthyThresholdCount=like["UnhealthyThresholdCount"],
        Matcher=like["Matcher"],
    )


def forward_listener(target: Target, params: dict[str, Any]) -> None:
    """Point the default action of the listener that serves the service at group `name`."""
    elbv2 = target.clients["elbv2"]
    current = target.describe()["loadBalancers"][0]["targetGroupArn"]
    balancer = elbv2.describe_target_groups(TargetGroupArns=[current])["TargetGroups"][0]
    for arn in balancer.get("LoadBalancerArns") or ():
        for listener in elbv2.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
            elbv2.modify_listener(
                ListenerArn=listener["ListenerArn"],
                DefaultActions=[{"Type": "forward", "TargetGroupArn": _group(target, params)}],
            )


def use_target_group(target: Target, params: dict[str, Any]) -> None:
    """update_service onto target group `name` (same container and port), a new deployment."""
    entry = dict(target.describe()["loadBalancers"][0], targetGroupArn=_group(target, params))
    target.update(loadBalancers=[entry], forceNewDeployment=True)


def _group(target: Target, params: dict[str, Any]) -> str:
    found = target.clients["elbv2"].describe_target_groups(Names=[str(params["name"])])
    return str(found["TargetGroups"][0]["TargetGroupArn"])


ACTIONS: dict[str, Callable[[Target, dict[str, Any]], None]] = {
    "request_quota_increase": request_quota_increase,
    "enable_load_balancer_zone": enable_load_balancer_zone,
    "pipeline": pipeline,
    "create_target_group": create_target_group,
    "forward_listener": forward_listener,
    "use_target_group": use_target_group,
}

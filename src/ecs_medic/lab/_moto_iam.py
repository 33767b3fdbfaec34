"""moto internals for IAM: the few AWS-managed policies the lab's accounts can attach.

moto knows AWS-managed policies only when it loads all ~1,600 of them
(MOTO_IAM_LOAD_MANAGED_POLICIES=true, slow at every account reset). The lab defines the ones
ECS troubleshooting needs, with AWS's documents, in each lab account's IAM backend, so
`iam.attach_role_policy(PolicyArn="arn:aws:iam::aws:policy/service-role/...")` works the way
it does on AWS - and a fix that attaches the managed policy heals. It also names ECS's
service-linked role AWSServiceRoleForECS (moto: AWSServiceRoleForecs) and attaches its policy.
Re-check on a moto upgrade.
"""

from __future__ import annotations

from typing import Any

from moto.backends import get_backend
from moto.iam.models import SERVICE_NAME_CONVERSION, AWSManagedPolicy, IAMBackend

from ecs_medic.lab._moto_core import Wrapper, once, wrap
from ecs_medic.lab.iam_policy import PULL_AND_LOG_ACTIONS, allow_policy

_DATE = "2017-11-16T18:48:22+00:00"
# name -> (path, document): AWS's documents, as of the policies' current default versions
MANAGED: dict[str, tuple[str, dict[str, Any]]] = {
    "AmazonECSTaskExecutionRolePolicy": (
        "/service-role/",
        allow_policy(PULL_AND_LOG_ACTIONS),
    ),
    "AmazonEC2ContainerRegistryReadOnly": (
        "/",
        allow_policy(
            [
                "ecr:GetAuthorizationToken",
                "ecr:BatchCheckLayerAvailability",
                "ecr:GetDownloadUrlForLayer",
                "ecr:GetRepositoryPolicy",
                "ecr:DescribeRepositories",
                "ecr:ListImages",
                "ecr:DescribeImages",
                "ecr:BatchGetImage",
                "ecr:GetLifecyclePolicy",
                "ecr:GetLifecyclePolicyPreview",
                "ecr:ListTagsForResource",
                "ecr:DescribeImageScanFindings",
            ]
        ),
    ),
    "CloudWatchLogsFullAccess": ("/", allow_policy(["logs:*"])),
    "AmazonSSMReadOnlyAccess": ("/", allow_policy(["ssm:Describe*", "ssm:Get*", "ssm:List*"])),
    # abbreviated: the ENI, load balancer and service discovery actions ECS takes for a service
    "AmazonECSServiceRolePolicy": (
        "/aws-service-role/",
        allow_policy(
            [
                "ec2:AttachNetworkInterface",
                "ec2:CreateNetworkInterface",
                "ec2:CreateNetworkInterfacePermission",
                "ec2:DeleteNetworkInterface",
                "ec2:DeleteNetworkInterfacePermission",
                "ec2:Describe*",
                "ec2:DetachNetworkInterface",
                "elasticloadbalancing:DeregisterInstancesFromLoadBalancer",
                "elasticloadbalancing:DeregisterTargets",
                "elasticloadbalancing:Describe*",
                "elasticloadbalancing:RegisterInstancesWithLoadBalancer",
                "elasticloadbalancing:RegisterTargets",
                "route53:ChangeResourceRecordSets",
                "servicediscovery:DeregisterInstance",
                "servicediscovery:Get*",
                "servicediscovery:List*",
                "servicediscovery:RegisterInstance",
                "servicediscovery:UpdateInstanceCustomHealthStatus",
            ],
            sid="ECSTaskManagement",
        ),
    ),
}
SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"


@once
def install() -> None:
    """Name ECS's service-linked role as AWS does and attach its policy (once per process)."""
    SERVICE_NAME_CONVERSION.setdefault("ecs", "ECS")
    wrap(IAMBackend, "create_service_linked_role", _create_service_linked_role)


def _create_service_linked_role(
    original: Wrapper, self: Any, service_name: str, description: str, suffix: str
) -> Any:
    """Attach AmazonECSServiceRolePolicy to ECS's service-linked role, as AWS does."""
    role = original(self, service_name, description, suffix)
    if service_name == "ecs.amazonaws.com":
        arn = managed_policy_arn("AmazonECSServiceRolePolicy")
        if arn in self.managed_policies:
            self.managed_policies[arn].attach_to(role)
    return role


def managed_policy_arn(name: str) -> str:
    """The ARN of one of the lab's AWS-managed policies."""
    path, _ = MANAGED[name]
    return f"arn:aws:iam::aws:policy{path}{name}"


def define_managed_policies(account: str) -> None:
    """Make the lab's AWS-managed policies attachable in an account (idempotent)."""
    backend = get_backend("iam")[account]["global"]
    for name, (path, document) in MANAGED.items():
        data = {
            "DefaultVersionId": "v1",
            "Path": path,
            "Document": document,
            "CreateDate": _DATE,
            "UpdateDate": _DATE,
        }
        policy = AWSManagedPolicy.from_data(name, account, "us-east-1", data)
        backend.managed_policies.setdefault(policy.arn, policy)

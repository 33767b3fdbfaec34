"""Fix steps for the network, image, IAM, secrets and logging scenarios (see lab/steps.py).

Like the other steps, each one finds what it changes the way an operator would - the task
subnets, security groups and roles from the service and its task definition, the secrets from
the container definitions - and changes it through boto3 against the lab's endpoint.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from ecs_medic.lab import _moto_iam
from ecs_medic.lab.iam_policy import trust_policy
from ecs_medic.lab.steps import Target, client


def _definition(target: Target) -> dict[str, Any]:
    ecs = client(target, "ecs")
    found = ecs.describe_task_definition(taskDefinition=target.describe()["taskDefinition"])
    return dict(found["taskDefinition"])


def _awsvpc(target: Target) -> dict[str, Any]:
    return dict(target.describe()["networkConfiguration"]["awsvpcConfiguration"])


def _vpc(target: Target) -> str:
    subnets = _awsvpc(target)["subnets"]
    found = client(target, "ec2").describe_subnets(SubnetIds=subnets[:1])["Subnets"]
    return str(found[0]["VpcId"])


def _route_tables(target: Target) -> list[str]:
    by_subnet = [{"Name": "association.subnet-id", "Values": _awsvpc(target)["subnets"]}]
    tables = client(target, "ec2").describe_route_tables(Filters=by_subnet)["RouteTables"]
    return [t["RouteTableId"] for t in tables]


# --- network ------------------------------------------------------------------------------


def create_vpc_endpoints(target: Target, params: dict[str, Any]) -> None:
    """Create `services` endpoints in the task VPC: interface ones with Private DNS, s3 gateway."""
    ec2, vpc = client(target, "ec2"), _vpc(target)
    region = ec2.meta.region_name
    cidr = ec2.describe_vpcs(VpcIds=[vpc])["Vpcs"][0]["CidrBlock"]
    group = ec2.create_security_group(
        GroupName=f"{target.cluster}-{target.service}-vpce", VpcId=vpc,
        Description="VPC endpoints: HTTPS from the VPC",
    )["GroupId"]  # fmt: skip
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}
    ec2.authorize_security_group_ingress(
        GroupId=group, IpPermissions=[https | {"IpRanges": [{"CidrIp": cidr}]}]
    )
    for service in params["services"]:
        name = f"com.amazonaws.{region}.{service}"
        if service == "s3":
            ec2.create_vpc_endpoint(
                VpcId=vpc, ServiceName=name, VpcEndpointType="Gateway",
                RouteTableIds=_route_tables(target),
            )  # fmt: skip
        else:
            ec2.create_vpc_endpoint(
                VpcId=vpc, ServiceName=name, VpcEndpointType="Interface",
                SubnetIds=_awsvpc(target)["subnets"], SecurityGroupIds=[group],
                PrivateDnsEnabled=True,
            )  # fmt: skip


def enable_endpoint_private_dns(target: Target, params: dict[str, Any]) -> None:
    """Turn Private DNS on for the task VPC's endpoint of `service`."""
    ec2 = client(target, "ec2")
    name = f"com.amazonaws.{ec2.meta.region_name}.{params['service']}"
    filters = [
        {"Name": "vpc-id", "Values": [_vpc(target)]},
        {"Name": "service-name", "Values": [name]},
    ]
    for endpoint in ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]:
        ec2.modify_vpc_endpoint(VpcEndpointId=endpoint["VpcEndpointId"], PrivateDnsEnabled=True)


def set_assign_public_ip(target: Target, params: dict[str, Any]) -> None:
    """update_service with assignPublicIp ENABLED or DISABLED, keeping subnets and groups."""
    network = _awsvpc(target) | {"assignPublicIp": str(params.get("value", "ENABLED"))}
    target.update(networkConfiguration={"awsvpcConfiguration": network})


def use_subnets(target: Target, params: dict[str, Any]) -> None:
    """update_service onto the VPC's subnets whose Name tag contains `name_contains`."""
    ec2 = client(target, "ec2")
    filters = [{"Name": "vpc-id", "Values": [_vpc(target)]}]
    subnets = [
        s["SubnetId"]
        for s in ec2.describe_subnets(Filters=filters)["Subnets"]
        if str(params["name_contains"]) in _name(s)
    ]
    network = _awsvpc(target) | {"subnets": sorted(subnets)}
    target.update(networkConfiguration={"awsvpcConfiguration": network})


def _name(resource: dict[str, Any]) -> str:
    return next((t["Value"] for t in resource.get("Tags", []) if t["Key"] == "Name"), "")


def authorize_task_egress(target: Target, params: dict[str, Any]) -> None:
    """Let the task security group send TCP `port` to `cidr`."""
    port = int(params["port"])
    permission = {"IpProtocol": "tcp", "FromPort": port, "ToPort": port}
    client(target, "ec2").authorize_security_group_egress(
        GroupId=_awsvpc(target)["securityGroups"][0],
        IpPermissions=[
            permission | {"IpRanges": [{"CidrIp": str(params.get("cidr", "0.0.0.0/0"))}]}
        ],
    )


def delete_nacl_deny_rules(target: Target, params: dict[str, Any]) -> None:
    """Delete the deny entries (below the default rule) of the task subnets' network ACLs."""
    del params
    ec2 = client(target, "ec2")
    by_subnet = [{"Name": "association.subnet-id", "Values": _awsvpc(target)["subnets"]}]
    for acl in ec2.describe_network_acls(Filters=by_subnet)["NetworkAcls"]:
        for entry in acl["Entries"]:
            if entry["RuleAction"] == "deny" and int(entry["RuleNumber"]) < 32767:
                ec2.delete_network_acl_entry(
                    NetworkAclId=acl["NetworkAclId"], RuleNumber=entry["RuleNumber"],
                    Egress=entry["Egress"],
                )  # fmt: skip


# --- IAM ------------------------------------------------------------------------------------


def _role_name(target: Target, which: str) -> str:
    key = {"execution": "executionRoleArn", "task": "taskRoleArn"}[which]
    return str(_definition(target)[key]).rsplit("/", 1)[-1]


def attach_managed_policy(target: Target, params: dict[str, Any]) -> None:
    """Attach an AWS-managed policy (by name) to the service's `role` (execution or task)."""
    client(target, "iam").attach_role_policy(
        RoleName=_role_name(target, str(params.get("role", "execution"))),
        PolicyArn=_moto_iam.managed_policy_arn(str(params["policy"])),
    )


def allow_role(target: Target, params: dict[str, Any]) -> None:
    """Put an inline policy allowing `actions` on `resources` on the service's `role`.

    `resources` may be a list of ARNs, or `secrets` (what the containers reference),
    `secret_keys` (the KMS keys of those secrets) or `log_groups` (their awslogs groups).
    """
    resources = params.get("resources", "*")
    if isinstance(resources, str) and resources in _DISCOVER:
        resources = _DISCOVER[resources](target)
    statement = {"Effect": "Allow", "Action": list(params["actions"]), "Resource": resources}
    client(target, "iam").put_role_policy(
        RoleName=_role_name(target, str(params.get("role", "execution"))),
        PolicyName=str(params.get("name", "lab-fix")),
        PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}),
    )


def _secret_arns(target: Target) -> list[str]:
    arns = []
    for container in _definition(target)["containerDefinitions"]:
        for secret in container.get("secrets") or []:
            value = str(secret["valueFrom"])
            parts = value.split(":")
            if value.startswith("arn:aws:secretsmanager:"):
                arns.append(":".join(parts[:7]))
            elif value.startswith("arn:"):
                arns.append(value)
            else:
                region, account = _where(target)
                arns.append(f"arn:aws:ssm:{region}:{account}:parameter/{value.lstrip('/')}")
    return arns


def _where(target: Target) -> tuple[str, str]:
    arn = str(target.describe()["serviceArn"]).split(":")
    return arn[3], arn[4]


def _secret_keys(target: Target) -> list[str]:
    kms, keys = client(target, "kms"), []
    for arn in _secret_arns(target):
        if ":secretsmanager:" in arn:
            key = client(target, "secretsmanager").describe_secret(SecretId=arn).get("KmsKeyId")
        else:
            name = arn.split(":parameter", 1)[1]
            filters = [{"Key": "Name", "Option": "Equals", "Values": [name]}]
            found = client(target, "ssm").describe_parameters(ParameterFilters=filters)
            key = (found["Parameters"] or [{}])[0].get("KeyId")
        if key:
            keys.append(str(kms.describe_key(KeyId=key)["KeyMetadata"]["Arn"]))
    return keys


def _log_groups(target: Target) -> list[str]:
    region, account = _where(target)
    groups = {
        c["logConfiguration"]["options"]["awslogs-group"]
        for c in _definition(target)["containerDefinitions"]
        if (c.get("logConfiguration") or {}).get("logDriver") == "awslogs"
    }
    return [f"arn:aws:logs:{region}:{account}:log-group:{g}:*" for g in sorted(groups)]


_DISCOVER: dict[str, Callable[[Target], list[str]]] = {
    "secrets": _secret_arns,
    "secret_keys": _secret_keys,
    "log_groups": _log_groups,
}


def update_trust(target: Target, params: dict[str, Any]) -> None:
    """Let `service` (default ecs-tasks.amazonaws.com) assume the service's `role`."""
    service = str(params.get("service", "ecs-tasks.amazonaws.com"))
    trust = trust_policy(service)
    client(target, "iam").update_assume_role_policy(
        RoleName=_role_name(target, str(params.get("role", "execution"))),
        PolicyDocument=json.dumps(trust),
    )


# --- secrets, logs ------------------------------------------------------------------------


def point_secret_at(target: Target, params: dict[str, Any]) -> None:
    """Revise the task definition so `variable` reads the existing `secret` (or `parameter`).

    `{cluster}` in the name stands for the service's cluster (scenarios in a shared lab).
    """
    if "parameter" in params:
        name = str(params["parameter"]).replace("{cluster}", target.cluster)
        found = client(target, "ssm").get_parameter(Name=name)
        arn = found["Parameter"]["ARN"]
    else:
        secret = str(params["secret"]).replace("{cluster}", target.cluster)
        arn = client(target, "secretsmanager").describe_secret(SecretId=secret)["ARN"]
    definition = _definition(target)
    for container in definition["containerDefinitions"]:
        for secret in container.get("secrets") or []:
            if secret["name"] == params["variable"]:
                secret["valueFrom"] = arn
    keep = {k: v for k, v in definition.items() if k in _REGISTER}
    ecs = client(target, "ecs")
    revision = ecs.register_task_definition(**keep)["taskDefinition"]["taskDefinitionArn"]
    target.update(taskDefinition=revision)


_REGISTER = (
    "family", "taskRoleArn", "executionRoleArn", "networkMode", "containerDefinitions",
    "volumes", "placementConstraints", "requiresCompatibilities", "cpu", "memory",
    "runtimePlatform", "ephemeralStorage",
)  # fmt: skip


def create_log_groups(target: Target, params: dict[str, Any]) -> None:
    """Create the awslogs groups the containers write to, with a retention policy."""
    logs = client(target, "logs")
    for arn in _log_groups(target):
        group = arn.split(":log-group:", 1)[1].removesuffix(":*")
        logs.create_log_group(logGroupName=group)
        logs.put_retention_policy(logGroupName=group, retentionInDays=int(params.get("days", 30)))


ACTIONS: dict[str, Callable[[Target, dict[str, Any]], None]] = {
    "create_vpc_endpoints": create_vpc_endpoints,
    "enable_endpoint_private_dns": enable_endpoint_private_dns,
    "set_assign_public_ip": set_assign_public_ip,
    "use_subnets": use_subnets,
    "authorize_task_egress": authorize_task_egress,
    "delete_nacl_deny_rules": delete_nacl_deny_rules,
    "attach_managed_policy": attach_managed_policy,
    "allow_role": allow_role,
    "update_trust": update_trust,
    "point_secret_at": point_secret_at,
    "create_log_groups": create_log_groups,
}


def use_registry_credentials(target: Target, params: dict[str, Any]) -> None:
    """Revise the task definition so `container` pulls with the login in the secret `secret`."""
    arn = client(target, "secretsmanager").describe_secret(SecretId=str(params["secret"]))["ARN"]
    definition = _definition(target)
    for container in definition["containerDefinitions"]:
        if container["name"] == params.get("container", container["name"]):
            container["repositoryCredentials"] = {"credentialsParameter": arn}
    keep = {k: v for k, v in definition.items() if k in _REGISTER}
    ecs = client(target, "ecs")
    revision = ecs.register_task_definition(**keep)["taskDefinition"]["taskDefinitionArn"]
    target.update(taskDefinition=revision)


ACTIONS["use_registry_credentials"] = use_registry_credentials


def create_service_linked_role(target: Target, params: dict[str, Any]) -> None:
    """Create the ECS service-linked role (iam create-service-linked-role)."""
    del params
    client(target, "iam").create_service_linked_role(AWSServiceName="ecs.amazonaws.com")


ACTIONS["create_service_linked_role"] = create_service_linked_role


def reset_endpoint_policy(target: Target, params: dict[str, Any]) -> None:
    """Give the task VPC's `service` endpoint the default full-access policy again."""
    ec2 = client(target, "ec2")
    name = f"com.amazonaws.{ec2.meta.region_name}.{params['service']}"
    filters = [
        {"Name": "vpc-id", "Values": [_vpc(target)]},
        {"Name": "service-name", "Values": [name]},
    ]
    full = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
    for endpoint in ec2.describe_vpc_endpoints(Filters=filters)["VpcEndpoints"]:
        ec2.modify_vpc_endpoint(
            VpcEndpointId=endpoint["VpcEndpointId"], PolicyDocument=json.dumps(full)
        )


def delete_repository_policy(target: Target, params: dict[str, Any]) -> None:
    """Delete the repository policy of `container`'s ECR image."""
    definition = _definition(target)
    chosen = next(
        c
        for c in definition["containerDefinitions"]
        if c["name"] == params.get("container", c["name"])
    )
    path = str(chosen["image"]).partition("/")[2]
    repository = path.split("@", 1)[0].rpartition(":")[0] or path
    client(target, "ecr").delete_repository_policy(repositoryName=repository)


ACTIONS["reset_endpoint_policy"] = reset_endpoint_policy
ACTIONS["delete_repository_policy"] = delete_repository_policy

subnet_name = _name

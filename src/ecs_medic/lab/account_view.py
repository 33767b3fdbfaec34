"""The account as one task sees it at launch: its subnet's path out, its roles, its secrets.

The launch stages of lab/stages_network.py and lab/stages_access.py ask this view; it reads
through the AWS API (in-process clients, lab/inprocess.py), so whatever changed the account -
boto3, the AWS CLI, the AWS MCP servers - is what the next task sees. Answers are memoized for
the one launch the view serves.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from botocore.exceptions import ClientError

from ecs_medic.lab import inprocess
from ecs_medic.lab.iam_policy import (
    Decision,
    Request,
    evaluate,
    evaluate_resource_policy,
    trusted_services,
)

_T = TypeVar("_T")


def _memo(method: Callable[..., _T]) -> Callable[..., _T]:
    """Memoize a read of the view (see AccountView._cached); the subnet is part of the key."""

    @functools.wraps(method)
    def read(self: AccountView, *args: Any) -> _T:
        return self._cached((method.__name__, self.subnet, *args), lambda: method(self, *args))

    return read


_cache: dict[tuple[Any, ...], Any] = {}  # answers valid while inprocess.generation() holds
_cache_generation = [-1]
_MISSING = object()


@dataclass(frozen=True, slots=True)
class RoleView:
    """An IAM role: who may assume it, and every policy document it carries."""

    arn: str
    name: str
    trusted: tuple[str, ...]  # service principals of its trust policy
    policies: tuple[tuple[str, str], ...]  # (policy name, document JSON), attached and inline


@dataclass(frozen=True, slots=True)
class SecretView:
    """A Secrets Manager secret (its value only for JSON-key checks)."""

    arn: str
    kms_key_id: str | None  # None: the AWS managed key aws/secretsmanager
    value: str | None


@dataclass(frozen=True, slots=True)
class KeyView:
    """A KMS key: its ARN, who manages it, and its key policy."""

    arn: str
    customer_managed: bool
    policy: str


class AccountView:
    """Read-only, memoized questions about the lab account for one task launch."""

    def __init__(self, account: str, region: str, subnet: str, task_arn: str) -> None:
        self.account, self.region, self.subnet, self.task_arn = account, region, subnet, task_arn

    def api(self, service: str) -> Any:
        """An in-process client for the lab account."""
        return inprocess.client(self.account, self.region, service)

    def _cached(self, key: tuple[Any, ...], read: Callable[[], _T]) -> _T:
        """Answers are shared by every launch until anything may have changed the account."""
        if _cache_generation[0] != inprocess.generation():
            _cache.clear()
            _cache_generation[0] = inprocess.generation()
        full = (self.account, self.region, *key)
        found = _cache.get(full, _MISSING)  # labs in other threads may clear it meanwhile
        if found is not _MISSING:
            return found  # type: ignore[no-any-return]
        value = read()
        _cache[full] = value
        return value

    @property
    def task_id(self) -> str:
        """The id of the task being launched."""
        return self.task_arn.rsplit("/", 1)[-1]

    # --- ECS ------------------------------------------------------------------------------

    def task_definition(self, arn: str) -> dict[str, Any]:
        """The full task definition as DescribeTaskDefinition returns it."""
        return self._cached(
            ("td", arn),
            lambda: dict(
                self.api("ecs").describe_task_definition(taskDefinition=arn)["taskDefinition"]
            ),
        )

    # --- network --------------------------------------------------------------------------

    @property
    @_memo
    def subnet_info(self) -> dict[str, Any]:
        """DescribeSubnets for the task's subnet."""
        return dict(self.api("ec2").describe_subnets(SubnetIds=[self.subnet])["Subnets"][0])

    def free_addresses(self) -> int:
        """The subnet's free addresses after this task's ENI (not memoized: tasks take them)."""
        found = self.api("ec2").describe_subnets(SubnetIds=[self.subnet])["Subnets"][0]
        return int(found["AvailableIpAddressCount"])

    @property
    def vpc_id(self) -> str:
        """The task's VPC."""
        return str(self.subnet_info["VpcId"])

    @property
    @_memo
    def route_table(self) -> dict[str, Any]:
        """The subnet's route table: its explicit association, else the VPC's main table."""
        ec2 = self.api("ec2")
        by_subnet = [{"Name": "association.subnet-id", "Values": [self.subnet]}]
        tables = ec2.describe_route_tables(Filters=by_subnet)["RouteTables"]
        if not tables:
            main = [
                {"Name": "vpc-id", "Values": [self.vpc_id]},
                {"Name": "association.main", "Values": ["true"]},
            ]
            tables = ec2.describe_route_tables(Filters=main)["RouteTables"]
        return dict(tables[0]) if tables else {"RouteTableId": "", "Routes": []}

    @_memo
    def nat_available(self, nat_id: str) -> bool:
        """Whether a NAT gateway exists and is available."""
        found = self.api("ec2").describe_nat_gateways(NatGatewayIds=[nat_id])["NatGateways"]
        return any(n.get("State") == "available" for n in found)

    @property
    @_memo
    def endpoints(self) -> tuple[dict[str, Any], ...]:
        """The VPC endpoints of the task's VPC."""
        by_vpc = [{"Name": "vpc-id", "Values": [self.vpc_id]}]
        found = self.api("ec2").describe_vpc_endpoints(Filters=by_vpc)["VpcEndpoints"]
        return tuple(e for e in found if e.get("State", "available") == "available")

    def endpoint(self, short: str) -> dict[str, Any] | None:
        """The endpoint for `ecr.dkr`, `s3`, `logs`... in the task's VPC, if any."""
        name = f"com.amazonaws.{self.region}.{short}"
        return next((e for e in self.endpoints if e.get("ServiceName") == name), None)

    @_memo
    def security_groups(self, ids: tuple[str, ...]) -> tuple[dict[str, Any], ...]:
        """DescribeSecurityGroups for these groups (deleted ones are left out)."""
        if not ids:
            return ()
        ec2 = self.api("ec2")
        found = ec2.describe_security_groups(Filters=[{"Name": "group-id", "Values": list(ids)}])
        return tuple(found["SecurityGroups"])

    @property
    @_memo
    def default_security_group(self) -> str:
        """The VPC's default security group (what an endpoint without groups gets)."""
        filters = [
            {"Name": "vpc-id", "Values": [self.vpc_id]},
            {"Name": "group-name", "Values": ["default"]},
        ]
        groups = self.api("ec2").describe_security_groups(Filters=filters)["SecurityGroups"]
        return str(groups[0]["GroupId"]) if groups else ""

    @property
    @_memo
    def vpc_cidr(self) -> str:
        """The task VPC's primary CIDR."""
        return str(self.api("ec2").describe_vpcs(VpcIds=[self.vpc_id])["Vpcs"][0]["CidrBlock"])

    @property
    @_memo
    def nacl_entries(self) -> tuple[dict[str, Any], ...]:
        """The entries of the subnet's network ACL."""
        by_subnet = [{"Name": "association.subnet-id", "Values": [self.subnet]}]
        acls = self.api("ec2").describe_network_acls(Filters=by_subnet)["NetworkAcls"]
        return tuple(acls[0]["Entries"]) if acls else ()

    # --- IAM ------------------------------------------------------------------------------

    def role(self, arn: str) -> RoleView | None:
        """The role with this ARN and all its policy documents, None when it does not exist."""
        return self._cached(("role", arn), lambda: self._read_role(arn))

    def _read_role(self, arn: str) -> RoleView | None:
        iam = self.api("iam")
        name = arn.rsplit("/", 1)[-1]
        try:
            role = iam.get_role(RoleName=name)["Role"]
        except ClientError:
            return None
        if role["Arn"] != arn:
            return None
        policies = [
            (p, json.dumps(iam.get_role_policy(RoleName=name, PolicyName=p)["PolicyDocument"]))
            for p in iam.list_role_policies(RoleName=name)["PolicyNames"]
        ]
        for attached in iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]:
            policy = iam.get_policy(PolicyArn=attached["PolicyArn"])["Policy"]
            version = iam.get_policy_version(
                PolicyArn=attached["PolicyArn"], VersionId=policy["DefaultVersionId"]
            )["PolicyVersion"]
            policies.append((attached["PolicyName"], _document(version["Document"])))
        trust = _document(role.get("AssumeRolePolicyDocument", {}))
        return RoleView(arn, name, trusted_services(trust), tuple(policies))

    @_memo
    def role_named(self, name: str) -> str | None:
        """The ARN of the role with this name, None when it does not exist."""
        try:
            return str(self.api("iam").get_role(RoleName=name)["Role"]["Arn"])
        except ClientError:
            return None

    @_memo
    def subnet_zone(self, subnet: str) -> str:
        """The availability zone of a subnet."""
        found = self.api("ec2").describe_subnets(SubnetIds=[subnet])["Subnets"]
        return str(found[0]["AvailabilityZone"])

    def allowed(self, role: RoleView, action: str, resource: str, **context: str) -> Decision:
        """The role's identity-policy decision for an action on a resource."""
        items = tuple((k.replace("__", ":"), (v,)) for k, v in context.items())
        return evaluate(role.policies, Request(action, resource, items))

    def assumed(self, role: RoleView) -> str:
        """The principal a task's calls carry: the role assumed with the task id as session."""
        return f"arn:aws:sts::{self.account}:assumed-role/{role.name}/{self.task_id}"

    # --- secrets, parameters, keys ---------------------------------------------------------

    def secret(self, secret_id: str) -> SecretView | None:
        """A secret by ARN (complete or partial) or name; None when Secrets Manager has none."""
        return self._cached(("secret", secret_id), lambda: self._read_secret(secret_id))

    def _read_secret(self, secret_id: str) -> SecretView | None:
        manager = self.api("secretsmanager")
        try:
            described = manager.describe_secret(SecretId=secret_id)
            value = manager.get_secret_value(SecretId=secret_id).get("SecretString")
        except ClientError:
            return None
        return SecretView(str(described["ARN"]), described.get("KmsKeyId"), value)

    def parameter(self, name: str) -> tuple[str, str | None] | None:
        """A parameter's (ARN, KMS key id of a SecureString), None when it does not exist."""
        return self._cached(("param", name), lambda: self._read_parameter(name))

    def _read_parameter(self, name: str) -> tuple[str, str | None] | None:
        ssm = self.api("ssm")
        found = ssm.get_parameters(Names=[name], WithDecryption=False)["Parameters"]
        if not found:
            return None
        filters = [{"Key": "Name", "Option": "Equals", "Values": [found[0]["Name"]]}]
        described = ssm.describe_parameters(ParameterFilters=filters)["Parameters"]
        key = described[0].get("KeyId") if described else None
        return str(found[0]["ARN"]), key if found[0]["Type"] == "SecureString" else None

    def key(self, key_id: str) -> KeyView | None:
        """A KMS key by id, ARN or alias; None when it does not exist."""
        return self._cached(("key", key_id), lambda: self._read_key(key_id))

    def _read_key(self, key_id: str) -> KeyView | None:
        kms = self.api("kms")
        try:
            meta = kms.describe_key(KeyId=key_id)["KeyMetadata"]
            policy = kms.get_key_policy(KeyId=meta["KeyId"], PolicyName="default")["Policy"]
        except ClientError:
            return None
        return KeyView(str(meta["Arn"]), meta.get("KeyManager") == "CUSTOMER", str(policy))

    def key_allows(self, key: KeyView, role: RoleView, action: str, via: str) -> Decision:
        """KMS: the key policy must allow the role, or delegate to IAM and IAM must allow."""
        request = Request(action, key.arn, (("kms:ViaService", (via,)),))
        by_key, delegates = evaluate_resource_policy(key.policy, role.arn, self.account, request)
        if by_key.decision != "implicitDeny" or not delegates:
            return by_key
        return evaluate(role.policies, request)

    # --- logs and registry ----------------------------------------------------------------

    @_memo
    def log_group_exists(self, name: str, region: str) -> bool:
        """Whether a CloudWatch Logs group exists in a region."""
        logs = inprocess.client(self.account, region, "logs")
        groups = logs.describe_log_groups(logGroupNamePrefix=name)["logGroups"]
        return any(g["logGroupName"] == name for g in groups)

    @_memo
    def repository_policy(self, repository: str) -> str | None:
        """An ECR repository's policy text, None when it has none."""
        try:
            found = self.api("ecr").get_repository_policy(repositoryName=repository)
        except ClientError:
            return None
        return str(found["policyText"])

    @_memo
    def image(self, repository: str, reference: str) -> dict[str, Any] | None:
        """BatchGetImage and DescribeImages for a tag or digest: manifest text and size."""
        image_id = (
            {"imageDigest": reference}
            if reference.startswith("sha256:")
            else {"imageTag": reference}
        )
        ecr = self.api("ecr")
        try:
            images = ecr.batch_get_image(repositoryName=repository, imageIds=[image_id])["images"]
            details = ecr.describe_images(repositoryName=repository, imageIds=[image_id])
        except ClientError:
            return None
        if not images:
            return None
        size = details["imageDetails"][0].get("imageSizeInBytes", 0)
        return {"manifest": images[0]["imageManifest"], "size": int(size or 0)}


def _document(value: Any) -> str:
    """A policy document as JSON text (boto3 hands back URL-decoded dicts)."""
    return value if isinstance(value, str) else json.dumps(value)

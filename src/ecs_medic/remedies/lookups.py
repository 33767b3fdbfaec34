"""Read-only facts some planners need beyond the diagnosis snapshot, read once before planning.

Replacing a subnet needs the VPC's other subnets; correcting a secret reference needs the
names that do exist. The analyzers never need these, so the collector does not read them;
the plan_fix node reads them only when a finding calls for them. A failed read leaves the
fact empty and the planner falls back to a recommendation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ecs_medic.aws.gateway import Gateway, GatewayError
from ecs_medic.aws.parsing_network import parse_subnet
from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_network import Subnet
from ecs_medic.findings import Finding

SUBNET_CODES = frozenset({"SUBNET_IP_EXHAUSTED", "UNSUPPORTED_AZ_SUBNET"})
SECRET_CODES = frozenset({"SECRET_NOT_FOUND"})
KMS_CODES = frozenset({"KMS_DECRYPT_DENIED"})
PULL_CODES = frozenset({"IMAGE_PULL_AUTH"})
MAX_NAMES = 100  # one page: enough to find a near-miss of a name, never a full inventory


@dataclass(frozen=True, slots=True)
class Lookups:
    """What the lookup read: the VPC's subnets, secret and parameter names, KMS key ARNs."""

    vpc_subnets: tuple[Subnet, ...] = ()
    secret_arns: tuple[str, ...] = ()
    parameter_names: tuple[str, ...] = ()
    key_arns: tuple[tuple[str, str], ...] = ()  # (alias or key id as referenced, key ARN)
    repository_policies: tuple[tuple[str, str], ...] = ()  # (ECR repository, policy text)

    def key_arn(self, reference: str) -> str:
        """The key ARN an alias resolves to (IAM grants on keys, never on aliases)."""
        return dict(self.key_arns).get(reference, reference)


def look_up(gateway: Gateway, findings: Iterable[Finding], snapshot: ServiceSnapshot) -> Lookups:
    """Read only what the root-cause findings' planners need."""
    codes = {f.code for f in findings if not f.caused_by}
    return Lookups(
        vpc_subnets=_vpc_subnets(gateway, snapshot) if codes & SUBNET_CODES else (),
        secret_arns=_secret_arns(gateway) if codes & SECRET_CODES else (),
        parameter_names=_parameter_names(gateway, snapshot) if codes & SECRET_CODES else (),
        key_arns=_key_arns(gateway, snapshot) if codes & KMS_CODES else (),
        repository_policies=_repository_policies(gateway, snapshot) if codes & PULL_CODES else (),
    )


def _repository_policies(
    gateway: Gateway, snapshot: ServiceSnapshot
) -> tuple[tuple[str, str], ...]:
    """The policies of the ECR repositories the task's images come from (absent: none)."""
    found: list[tuple[str, str]] = []
    for repository in sorted({i.repository for i in snapshot.images if i.repository}):
        try:
            response = gateway.call("ecr", "GetRepositoryPolicy", {"repositoryName": repository})
        except GatewayError:
            continue  # RepositoryPolicyNotFoundException: no policy, nothing to correct
        if response.get("policyText"):
            found.append((repository, str(response["policyText"])))
    return tuple(found)


def _key_arns(gateway: Gateway, snapshot: ServiceSnapshot) -> tuple[tuple[str, str], ...]:
    """Resolve the KMS keys of denied kms:Decrypt decisions with DescribeKey."""
    wanted = {d.resource for d in snapshot.access.decisions if d.action == "kms:Decrypt"}
    found: list[tuple[str, str]] = []
    for reference in sorted(wanted):
        try:
            response = gateway.call("kms", "DescribeKey", {"KeyId": reference})
        except GatewayError:
            continue
        arn = response.get("KeyMetadata", {}).get("Arn")
        if arn:
            found.append((reference, str(arn)))
    return tuple(found)


def _vpc_subnets(gateway: Gateway, snapshot: ServiceSnapshot) -> tuple[Subnet, ...]:
    network = snapshot.service.network
    current = [s for i in (network.subnets if network else ()) if (s := snapshot.network.subnet(i))]
    if not current:
        return ()
    in_vpc = {"Filters": [{"Name": "vpc-id", "Values": [current[0].vpc_id]}]}
    try:
        response = gateway.call("ec2", "DescribeSubnets", in_vpc)
    except GatewayError:
        return ()
    return tuple(parse_subnet(s) for s in response.get("Subnets", ()))


def _secret_arns(gateway: Gateway) -> tuple[str, ...]:
    try:
        response = gateway.call("secretsmanager", "ListSecrets", {"MaxResults": MAX_NAMES})
    except GatewayError:
        return ()
    return tuple(s["ARN"] for s in response.get("SecretList", ()) if "ARN" in s)


def _parameter_names(gateway: Gateway, snapshot: ServiceSnapshot) -> tuple[str, ...]:
    """Parameters under the same path as the missing ones (DescribeParameters reads no value)."""
    paths = {
        c.value_from.rsplit(":parameter", 1)[-1].rsplit("/", 1)[0] + "/"
        for c in snapshot.access.secrets
        if c.kind == "ssm" and c.exists is False
    }
    names: list[str] = []
    for path in sorted(paths):
        where = {"Key": "Name", "Option": "BeginsWith", "Values": [path]}
        try:
            response = gateway.call(
                "ssm", "DescribeParameters", {"ParameterFilters": [where], "MaxResults": 50}
            )
        except GatewayError:
            continue
        names += [p["Name"] for p in response.get("Parameters", ()) if "Name" in p]
    return tuple(names)

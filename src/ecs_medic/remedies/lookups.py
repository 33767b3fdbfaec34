"""Read-only facts some planners need beyond the diagnosis snapshot, read once before planning.

Replacing a subnet needs the VPC's other subnets; correcting a secret reference needs the
names that do exist. The analyzers never need these, so the collector does not read them;
the plan_fix node reads them only when a finding calls for them. A failed read leaves the
fact empty and the planner falls back to a recommendation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from ecs_medic.aws.gateway import Gateway, GatewayError
from ecs_medic.aws.images import parse_ecr_image
from ecs_medic.aws.parsing_access import parse_decisions
from ecs_medic.aws.parsing_network import parse_listener, parse_load_balancer, parse_subnet
from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_network import Listener, LoadBalancer, Subnet
from ecs_medic.findings import Finding
from ecs_medic.remedies.lookups_capacity import (
    InstanceType,
    ScalingGroup,
    cluster_groups,
    instance_types,
    provider_groups,
)
from ecs_medic.remedies.lookups_refused import TARGET_TYPE_CODES, GroupFacts, group_facts

SUBNET_CODES = frozenset(
    {"SUBNET_IP_EXHAUSTED", "UNSUPPORTED_AZ_SUBNET", "PLACEMENT_CONSTRAINT_UNSATISFIABLE",
     "FARGATE_CAPACITY_UNAVAILABLE", "LB_AZ_NOT_ENABLED"}
)  # fmt: skip
GROUP_CODES = frozenset({"NO_CONTAINER_INSTANCES", "INSUFFICIENT_CPU_MEMORY_ON_CLUSTER"})
PROVIDER_CODES = frozenset({"CAPACITY_PROVIDER_MISCONFIG"})
SECRET_CODES = frozenset({"SECRET_NOT_FOUND"})
KMS_CODES = frozenset({"KMS_DECRYPT_DENIED"})
PULL_CODES = frozenset({"IMAGE_PULL_AUTH"})
BALANCER_CODES = frozenset({"TG_MISSING_OR_UNATTACHED"})
REGISTRY_CODES = frozenset({"PRIVATE_REGISTRY_CREDS"})
GET_SECRET_VALUE = "secretsmanager:GetSecretValue"  # noqa: S105 - an IAM action name
MAX_NAMES = 100  # one page: enough to find a near-miss of a name, never a full inventory
MAX_BALANCERS = 400  # one page of DescribeLoadBalancers, its largest
MAX_LISTENED = 10  # balancers of the VPC whose listeners are read; more is not one clear choice


@dataclass(frozen=True, slots=True)
class Lookups:
    """What the lookup read: the VPC's subnets, secret and parameter names, KMS key ARNs."""

    vpc_subnets: tuple[Subnet, ...] = ()
    secret_arns: tuple[str, ...] = ()
    parameter_names: tuple[str, ...] = ()
    key_arns: tuple[tuple[str, str], ...] = ()  # (alias or key id as referenced, key ARN)
    repository_policies: tuple[tuple[str, str], ...] = ()  # (ECR repository, policy text)
    vpc_balancers: tuple[LoadBalancer, ...] = ()  # the load balancers in the service's VPC
    vpc_listeners: tuple[Listener, ...] = ()  # their listeners (default actions only)
    readable_secrets: tuple[str, ...] = ()  # secret ARNs the execution role may read
    scaling_groups: tuple[ScalingGroup, ...] = ()  # the cluster's (or its providers') groups
    instance_types: tuple[InstanceType, ...] = ()  # of those groups
    refused_groups: GroupFacts = field(default_factory=GroupFacts)  # groups CI asked for

    def instance_type(self, name: str | None) -> InstanceType | None:
        """What EC2 says the named instance type offers, if it was read."""
        return next((t for t in self.instance_types if t.name == name), None)

    def key_arn(self, reference: str) -> str:
        """The key ARN an alias resolves to (IAM grants on keys, never on aliases)."""
        return dict(self.key_arns).get(reference, reference)


def look_up(gateway: Gateway, findings: Iterable[Finding], snapshot: ServiceSnapshot) -> Lookups:
    """Read only what the root-cause findings' planners need."""
    codes = {f.code for f in findings if not f.caused_by}
    balancers, listeners = _vpc_balancers(gateway, snapshot) if codes & BALANCER_CODES else ((), ())
    groups = _groups(gateway, snapshot, codes)
    return Lookups(
        vpc_subnets=_vpc_subnets(gateway, snapshot) if codes & SUBNET_CODES else (),
        secret_arns=_secret_arns(gateway) if codes & SECRET_CODES else (),
        parameter_names=_parameter_names(gateway, snapshot) if codes & SECRET_CODES else (),
        key_arns=_key_arns(gateway, snapshot) if codes & KMS_CODES else (),
        repository_policies=_repository_policies(gateway, snapshot) if codes & PULL_CODES else (),
        vpc_balancers=balancers,
        vpc_listeners=listeners,
        readable_secrets=_readable_secrets(gateway, snapshot) if codes & REGISTRY_CODES else (),
        scaling_groups=groups,
        instance_types=instance_types(
            gateway, (g.instance_type for g in groups if g.instance_type)
        ),
        refused_groups=(
            group_facts(gateway, snapshot) if codes & TARGET_TYPE_CODES else GroupFacts()
        ),
    )


def _readable_secrets(gateway: Gateway, snapshot: ServiceSnapshot) -> tuple[str, ...]:
    """Secrets (one page, AWS-managed key) the execution role may read, for a registry login.

    Read only when a container pulls from outside ECR without repositoryCredentials: one
    ListSecrets (names, never values) and one policy simulation over all of them.
    """
    td = snapshot.current_task_definition
    role = td.execution_role_arn if td else None
    bare = [c for c in td.containers if not c.repository_credentials] if td else []
    if role is None or not any(parse_ecr_image(c.image) is None for c in bare):
        return ()
    try:
        listed = gateway.call("secretsmanager", "ListSecrets", {"MaxResults": MAX_NAMES})
        arns = [
            s["ARN"] for s in listed.get("SecretList", ()) if "ARN" in s and not s.get("KmsKeyId")
        ]
        if not arns:
            return ()
        simulated = gateway.call(
            "iam", "SimulatePrincipalPolicy",
            {"PolicySourceArn": role, "ActionNames": [GET_SECRET_VALUE], "ResourceArns": arns},
        )  # fmt: skip
    except GatewayError:
        return ()
    allowed = {d.resource for d in parse_decisions(role, simulated) if d.allowed}
    return tuple(a for a in arns if a in allowed)


def _vpc_balancers(
    gateway: Gateway, snapshot: ServiceSnapshot
) -> tuple[tuple[LoadBalancer, ...], tuple[Listener, ...]]:
    """The load balancers of the service's VPC and their listeners, for an orphan target group.

    DescribeLoadBalancers has no VPC filter: one page is read and filtered here.
    """
    vpc = _service_vpc(snapshot)
    try:
        response = gateway.call("elbv2", "DescribeLoadBalancers", {"PageSize": MAX_BALANCERS})
    except GatewayError:
        return (), ()
    balancers = [parse_load_balancer(b) for b in response.get("LoadBalancers", ())]
    here = tuple(b for b in balancers if vpc is not None and b.vpc_id == vpc)
    listeners: list[Listener] = []
    for balancer in here[:MAX_LISTENED]:
        try:
            found = gateway.call("elbv2", "DescribeListeners", {"LoadBalancerArn": balancer.arn})
        except GatewayError:
            continue
        listeners += [parse_listener(entry) for entry in found.get("Listeners", ())]
    return here, tuple(listeners)


def _service_vpc(snapshot: ServiceSnapshot) -> str | None:
    """The VPC of the service's target groups, else of its task subnets."""
    groups = [g.vpc_id for g in snapshot.target_groups if g.vpc_id]
    network = snapshot.service.network
    subnets = [
        s.vpc_id for i in (network.subnets if network else ()) if (s := snapshot.network.subnet(i))
    ]
    return next(iter(groups + subnets), None)


def _groups(
    gateway: Gateway, snapshot: ServiceSnapshot, codes: set[str]
) -> tuple[ScalingGroup, ...]:
    """The Auto Scaling groups a capacity fix would change."""
    if codes & PROVIDER_CODES:
        return provider_groups(gateway, snapshot)
    if codes & GROUP_CODES:
        return cluster_groups(gateway, snapshot)
    return ()


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

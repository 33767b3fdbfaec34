"""The optional `account:` section of a scenario: how its account differs from the default.

The default account (builder.py) is healthy: private subnets behind a NAT gateway, the
execution role with AmazonECSTaskExecutionRolePolicy, a log group. This section describes
what a scenario's account has instead - no NAT, VPC endpoints, egress rules, NACLs, roles and
their policies, secrets, parameters, KMS keys, repository policies, image platforms and sizes,
and the task definition fields that use them. It never names a failure: the launch stages
decide from the account the builder creates (lab/builder_access.py).

Strings may use {account}, {region}, {cluster} and {service}; `valueFrom` and role fields may
name a resource the builder creates as `secret:<name>`, `parameter:<name>`, `role:<name>`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ecs_medic.lab.external import ExternalImage
from ecs_medic.lab.spec_checks import mapping, only_keys

_KEYS = {
    "network", "roles", "secrets", "parameters", "kms_keys", "log_group",
    "repository_policies", "images", "task_definition", "external_images", "service_linked_role",
    "fargate",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class EndpointSpec:
    """A VPC endpoint in the scenario's VPC (s3 is a gateway endpoint, the rest interface)."""

    service: str  # ecr.api, ecr.dkr, s3, logs, secretsmanager, ssm
    private_dns: bool = True
    policy: str | None = None  # JSON; None: the default full-access policy


@dataclass(frozen=True, slots=True)
class NetworkSpec:
    """How the task's network differs from private subnets behind NAT."""

    nat: bool = True  # the private route table's 0.0.0.0/0 route to the NAT gateway
    # public (IGW-routed), small (/28s full of ENIs), zone-e, zone-a (only us-east-1a),
    # three-zones (private a, b and c; the ALB only in a and b)
    task_subnets: str = "private"
    endpoints: tuple[EndpointSpec, ...] = ()
    task_egress_ports: tuple[int, ...] | None = None  # None: AWS's default allow-all egress
    nacl_deny_egress_ports: tuple[int, ...] = ()  # a NACL on the task subnets denying these


@dataclass(frozen=True, slots=True)
class RoleSpec:
    """An IAM role the builder creates."""

    name: str
    trust: tuple[str, ...] = ("ecs-tasks.amazonaws.com",)
    managed: tuple[str, ...] = ()  # names of the lab's AWS-managed policies (lab/_moto_iam.py)
    inline: tuple[tuple[str, str], ...] = ()  # (policy name, document JSON)


@dataclass(frozen=True, slots=True)
class SecretSpec:
    """A Secrets Manager secret or an SSM parameter."""

    name: str
    value: str
    kms_key: str | None = None  # an alias of a key in kms_keys
    secure: bool = True  # parameters: SecureString (else String)


@dataclass(frozen=True, slots=True)
class KeySpec:
    """A customer-managed KMS key with an alias."""

    alias: str
    delegate_to_iam: bool = True  # the default key policy: the account root may use it


@dataclass(frozen=True, slots=True)
class ImageSpec:
    """An image pushed to ECR with an explicit manifest shape."""

    repository: str
    tag: str
    platforms: tuple[str, ...] = ()  # non-empty: a manifest list with these platforms
    size_gib: float = 0.1  # total size of its layers


@dataclass(frozen=True, slots=True)
class ContainerExtras:
    """Fields added to one container definition."""

    name: str
    secrets: tuple[tuple[str, str], ...] = ()  # (variable, valueFrom)
    log_options: tuple[tuple[str, str], ...] = ()  # extra awslogs options
    image: str | None = None  # an image outside the lab's ECR, e.g. "acme/web:1.4.2"
    repository_credentials: str | None = None  # valueFrom-style: "secret:<name>" or an ARN


@dataclass(frozen=True, slots=True)
class TaskDefinitionSpec:
    """How the scenario's task definition differs from the builder's."""

    execution_role: str | None = None  # a role name from `roles`; None keeps the default
    task_role: str | None = None
    cpu_architecture: str | None = None  # X86_64 | ARM64
    ephemeral_gib: int | None = None
    containers: tuple[ContainerExtras, ...] = ()


@dataclass(frozen=True, slots=True)
class FargateSpec:
    """The account's Fargate limits and capacity, which no ECS configuration shows.

    The vCPU quota is the Service Quotas value fargate L-3032A538 (On-Demand vCPU), which the
    lab's stub serves and raises. Zones without capacity are the state of AWS's fleet at this
    time; no API shows them.
    """

    vcpu_quota: int | None = None  # None: AWS's default, far above any lab service
    no_capacity_zones: tuple[str, ...] = ()  # zones where Fargate On-Demand has no capacity
    # Task ENIs the scheduler may create at once: what the account's other EC2 callers leave of
    # the CreateNetworkInterface token bucket. None: plenty.
    eni_burst: int | None = None


@dataclass(frozen=True, slots=True)
class AccountSpec:
    """Everything the `account:` section declares."""

    network: NetworkSpec = NetworkSpec()
    roles: tuple[RoleSpec, ...] = ()
    secrets: tuple[SecretSpec, ...] = ()
    parameters: tuple[SecretSpec, ...] = ()
    kms_keys: tuple[KeySpec, ...] = ()
    log_group: bool = True
    repository_policies: tuple[tuple[str, str], ...] = ()
    images: tuple[ImageSpec, ...] = ()
    task_definition: TaskDefinitionSpec = TaskDefinitionSpec()
    external_images: tuple[ExternalImage, ...] = ()
    service_linked_role: bool = True  # AWSServiceRoleForECS exists, as in any account using ECS
    fargate: FargateSpec = FargateSpec()


def parse_account(data: Any, where: str) -> AccountSpec:
    """Parse the `account:` mapping, rejecting unknown keys."""
    doc = mapping(data, where)
    only_keys(doc, _KEYS, where)
    return AccountSpec(
        network=_network(doc.get("network", {}), f"{where}.network"),
        roles=tuple(_role(n, s, f"{where}.roles") for n, s in _items(doc, "roles", where)),
        secrets=tuple(_secret(n, s, where) for n, s in _items(doc, "secrets", where)),
        parameters=tuple(_secret(n, s, where) for n, s in _items(doc, "parameters", where)),
        kms_keys=tuple(
            KeySpec(str(n), bool(mapping(s or {}, where).get("delegate_to_iam", True)))
            for n, s in _items(doc, "kms_keys", where)
        ),
        log_group=bool(doc.get("log_group", True)),
        repository_policies=tuple(
            (str(n), _json(p)) for n, p in _items(doc, "repository_policies", where)
        ),
        images=tuple(_images(doc.get("images", {}), f"{where}.images")),
        task_definition=_task_definition(
            doc.get("task_definition", {}), f"{where}.task_definition"
        ),
        service_linked_role=bool(doc.get("service_linked_role", True)),
        external_images=tuple(
            _external(n, s, f"{where}.external_images")
            for n, s in _items(doc, "external_images", where)
        ),
        fargate=_fargate(doc.get("fargate", {}), f"{where}.fargate"),
    )


def _fargate(data: Any, where: str) -> FargateSpec:
    doc = mapping(data, where)
    only_keys(doc, {"vcpu_quota", "no_capacity_zones", "eni_burst"}, where)
    quota, burst = doc.get("vcpu_quota"), doc.get("eni_burst")
    return FargateSpec(
        vcpu_quota=None if quota is None else int(quota),
        no_capacity_zones=tuple(str(z) for z in doc.get("no_capacity_zones", ())),
        eni_burst=None if burst is None else int(burst),
    )


def _external(reference: str, data: Any, where: str) -> ExternalImage:
    doc = mapping(data or {}, f"{where}.{reference}")
    only_keys(doc, {"private", "username", "anonymous_limit", "anonymous_pulls_used"}, where)
    limit = doc.get("anonymous_limit")
    return ExternalImage(
        reference=reference,
        private=bool(doc.get("private", False)),
        username=str(doc.get("username", "")),
        anonymous_limit=None if limit is None else int(limit),
        anonymous_pulls_used=int(doc.get("anonymous_pulls_used", 0)),
    )


def _network(data: Any, where: str) -> NetworkSpec:
    doc = mapping(data, where)
    allowed = {"nat", "task_subnets", "endpoints", "task_egress_ports", "nacl_deny_egress_ports"}
    only_keys(doc, allowed, where)
    endpoints = []
    for name, spec in mapping(doc.get("endpoints", {}), where).items():
        fields = mapping(spec or {}, f"{where}.endpoints.{name}")
        policy = fields.get("policy")
        endpoints.append(
            EndpointSpec(
                str(name), bool(fields.get("private_dns", True)), _json(policy) if policy else None
            )
        )
    egress = doc.get("task_egress_ports")
    return NetworkSpec(
        nat=bool(doc.get("nat", True)),
        task_subnets=str(doc.get("task_subnets", "private")),
        endpoints=tuple(endpoints),
        task_egress_ports=None if egress is None else tuple(int(p) for p in egress),
        nacl_deny_egress_ports=tuple(int(p) for p in doc.get("nacl_deny_egress_ports", ())),
    )


def _role(name: str, data: Any, where: str) -> RoleSpec:
    doc = mapping(data or {}, f"{where}.{name}")
    only_keys(doc, {"trust", "managed", "inline"}, f"{where}.{name}")
    inline = mapping(doc.get("inline", {}), where)
    return RoleSpec(
        name=name,
        trust=tuple(str(t) for t in doc.get("trust", ("ecs-tasks.amazonaws.com",))),
        managed=tuple(str(m) for m in doc.get("managed", ())),
        inline=tuple((str(k), _json(v)) for k, v in inline.items()),
    )


def _secret(name: str, data: Any, where: str) -> SecretSpec:
    doc = mapping(data, f"{where}.{name}")
    only_keys(doc, {"value", "kms_key", "secure"}, f"{where}.{name}")
    value = doc.get("value", "")
    text = value if isinstance(value, str) else json.dumps(value)
    key = doc.get("kms_key")
    return SecretSpec(name, text, None if key is None else str(key), bool(doc.get("secure", True)))


def _images(data: Any, where: str) -> list[ImageSpec]:
    found = []
    for repository, tags in mapping(data, where).items():
        for tag, spec in mapping(tags, f"{where}.{repository}").items():
            doc = mapping(spec or {}, f"{where}.{repository}.{tag}")
            only_keys(doc, {"platforms", "size_gib"}, f"{where}.{repository}.{tag}")
            platforms = tuple(str(p) for p in doc.get("platforms", ()))
            found.append(
                ImageSpec(repository, str(tag), platforms, float(doc.get("size_gib", 0.1)))
            )
    return found


def _task_definition(data: Any, where: str) -> TaskDefinitionSpec:
    doc = mapping(data, where)
    allowed = {"execution_role", "task_role", "cpu_architecture", "ephemeral_gib", "containers"}
    only_keys(doc, allowed, where)
    containers = []
    for name, spec in mapping(doc.get("containers", {}), where).items():
        fields = mapping(spec, f"{where}.containers.{name}")
        allowed = {"secrets", "log_options", "image", "repository_credentials"}
        only_keys(fields, allowed, f"{where}.containers.{name}")
        containers.append(
            ContainerExtras(
                str(name),
                tuple(
                    (str(k), str(v)) for k, v in mapping(fields.get("secrets", {}), where).items()
                ),
                tuple(
                    (str(k), str(v))
                    for k, v in mapping(fields.get("log_options", {}), where).items()
                ),
                _optional(fields.get("image")),
                _optional(fields.get("repository_credentials")),
            )
        )
    ephemeral = doc.get("ephemeral_gib")
    return TaskDefinitionSpec(
        execution_role=_optional(doc.get("execution_role")),
        task_role=_optional(doc.get("task_role")),
        cpu_architecture=_optional(doc.get("cpu_architecture")),
        ephemeral_gib=None if ephemeral is None else int(ephemeral),
        containers=tuple(containers),
    )


def _optional(value: Any) -> str | None:
    return None if value is None else str(value)


def _json(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _items(doc: dict[str, Any], key: str, where: str) -> list[tuple[str, Any]]:
    return [(str(k), v) for k, v in mapping(doc.get(key, {}), f"{where}.{key}").items()]

"""What the tasks may do: IAM roles, the policy simulation of what they need, secrets, logs.

The execution role is simulated (iam:SimulatePrincipalPolicy, one call for all its needs)
for the ECR pull, the secrets and parameters it must read, the customer-managed KMS keys
behind them and the awslogs streams it must write. On EC2 without an execution role, the
container instances' roles are simulated for the pull and the logs instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass

from ecs_medic.aws import parsing_access as parse
from ecs_medic.aws.collect import secrets
from ecs_medic.aws.collect.capacity import Fleet
from ecs_medic.aws.collect.reader import Reader, unique
from ecs_medic.aws.collect.registry import Images
from ecs_medic.aws.collect.roles import finish_role, instance_roles, start_role
from ecs_medic.aws.images import parse_ecr_image
from ecs_medic.aws.snapshot import AccessView, Service, TaskDefinition
from ecs_medic.aws.snapshot_access import PolicyDecision, Role, SecretCheck

SERVICE_LINKED_ROLE = "AWSServiceRoleForECS"
ECR_PULL = ("ecr:BatchCheckLayerAvailability", "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage")


@dataclass(frozen=True, slots=True)
class Need:
    """One permission the task needs: an action on a resource, and why."""

    action: str
    resource: str
    purpose: str


@dataclass(frozen=True, slots=True)
class Arns:
    """Partition, region and account to build the ARNs of the task's resources."""

    partition: str
    region: str
    account: str

    @classmethod
    def of(cls, service_arn: str, region: str) -> Arns:
        """From the service ARN: arn:<partition>:ecs:<region>:<account>:service/..."""
        parts = service_arn.split(":")
        partition = parts[1] if len(parts) > 4 else "aws"
        return cls(partition, region, parts[4] if len(parts) > 4 else "")

    def arn(self, service: str, resource: str, region: str | None = None, account: str = "") -> str:
        """An ARN in this partition (region and account default to the task's)."""
        where = self.region if region is None else region
        return f"arn:{self.partition}:{service}:{where}:{account or self.account}:{resource}"


def collect_access(
    reader: Reader,
    service: Service,
    region: str,
    definitions: Future[tuple[TaskDefinition, ...]],
    *,
    images: Future[Images],
    fleet: Future[Fleet],
) -> AccessView:
    """Roles, simulation, secrets and log groups of the service's current task definition."""
    arns = Arns.of(service.arn, region)
    linked_arn = arns.arn(
        "iam", f"role/aws-service-role/ecs.amazonaws.com/{SERVICE_LINKED_ROLE}", "", ""
    )
    linked = start_role(reader, linked_arn)
    current = next(
        (td for td in definitions.result() if td.arn == service.task_definition_arn), None
    )
    if current is None:
        role = finish_role(linked_arn, "service-linked", linked)
        return AccessView(
            roles=(role,) if role else (),
            manifests=images.result()[1],
            service_linked_role_exists=role.exists if role else None,
        )
    wanted = _task_roles(current)
    started = [start_role(reader, arn) for arn, _ in wanted]
    refs = secrets.secret_refs(current, region)
    secret_futures = secrets.start_secret_checks(reader, refs, region, arns.account)
    on_ec2 = fleet.result()
    instance = instance_roles(reader, on_ec2.instances) if on_ec2.on_ec2 else ()
    groups = secrets.log_groups(reader, current, region)
    roles = [
        finish_role(arn, purpose, f) for (arn, purpose), f in zip(wanted, started, strict=True)
    ]
    linked_role = finish_role(linked_arn, "service-linked", linked)
    checked = secrets.finish_secret_checks(refs, secret_futures)
    execution = next((r for r in roles if r and r.purpose == "execution" and r.exists), None)
    decisions = _decisions(reader, current, checked, arns, execution=execution, instance=instance)
    return AccessView(
        roles=tuple(r for r in (*roles, *instance, linked_role) if r),
        decisions=decisions,
        secrets=checked,
        log_groups=groups,
        manifests=images.result()[1],
        service_linked_role_exists=linked_role.exists if linked_role else None,
    )


def _decisions(
    reader: Reader,
    definition: TaskDefinition,
    checked: Sequence[SecretCheck],
    arns: Arns,
    *,
    execution: Role | None,
    instance: Sequence[Role],
) -> tuple[PolicyDecision, ...]:
    """Simulate the execution role for everything; without one, EC2 instance roles pull and log."""
    if execution is not None:
        return _simulate(reader, execution, needs(definition, checked, arns))
    wanted = _image_needs(definition, arns) + _log_needs(definition, arns)
    found = reader.map(lambda r: _simulate(reader, r, wanted), [r for r in instance if r.exists])
    return tuple(d for decisions in found for d in decisions)


def _task_roles(definition: TaskDefinition) -> list[tuple[str, str]]:
    """(ARN, purpose) of the execution and task roles."""
    roles = [(definition.execution_role_arn, "execution"), (definition.task_role_arn, "task")]
    return [(arn, purpose) for arn, purpose in roles if arn]


# -- what the execution role needs ---------------------------------------------------------


def needs(definition: TaskDefinition, checked: Sequence[SecretCheck], arns: Arns) -> list[Need]:
    """Every permission the execution role needs to start this task definition."""
    found = _image_needs(definition, arns) + _log_needs(definition, arns)
    for ref in checked:
        found += _secret_needs(ref, arns)
    return list(dict.fromkeys(found))


def _image_needs(definition: TaskDefinition, arns: Arns) -> list[Need]:
    images = [i for i in map(parse_ecr_image, (c.image for c in definition.containers)) if i]
    if not images:
        return []
    found = [Need("ecr:GetAuthorizationToken", "*", "image pull")]
    for image in images:
        repository = arns.arn(
            "ecr", f"repository/{image.repository}", image.region, image.registry_id
        )
        found += [Need(action, repository, f"image pull {image.uri}") for action in ECR_PULL]
    return found


def _log_needs(definition: TaskDefinition, arns: Arns) -> list[Need]:
    found = []
    for container in definition.containers:
        config = container.log_config
        group = config.option("awslogs-group") if config and config.driver == "awslogs" else None
        if config is None or group is None:
            continue
        region = config.option("awslogs-region") or arns.region
        streams = arns.arn("logs", f"log-group:{group}:log-stream:*", region)
        found += [
            Need(a, streams, f"logs {group}") for a in ("logs:CreateLogStream", "logs:PutLogEvents")
        ]
        if (config.option("awslogs-create-group") or "").lower() == "true":
            found.append(
                Need(
                    "logs:CreateLogGroup",
                    arns.arn("logs", f"log-group:{group}:*", region),
                    f"logs {group}",
                )
            )
    return found


def _secret_needs(ref: SecretCheck, arns: Arns) -> list[Need]:
    purpose = (
        f"secret {ref.name}" if ref.name != secrets.REPOSITORY_CREDENTIALS else "registry auth"
    )
    if ref.kind == "secretsmanager":
        found = [Need("secretsmanager:GetSecretValue", secrets.secret_arn(ref), purpose)]
    else:
        name = secrets.parameter_names(ref)[-1].lstrip("/")
        found = [
            Need("ssm:GetParameters", arns.arn("ssm", f"parameter/{name}", ref.region), purpose)
        ]
    if ref.kms_key_id:
        found.append(
            Need("kms:Decrypt", _key_arn(ref.kms_key_id, ref.region or arns.region, arns), purpose)
        )
    return found


def _key_arn(key_id: str, region: str, arns: Arns) -> str:
    if key_id.startswith("arn:"):
        return key_id
    return arns.arn("kms", key_id if key_id.startswith("alias/") else f"key/{key_id}", region)


def _simulate(reader: Reader, role: Role, wanted: Sequence[Need]) -> tuple[PolicyDecision, ...]:
    """One simulation of all actions on all resources; keep the pairs the task needs."""
    if not wanted:
        return ()
    params = {
        "PolicySourceArn": role.arn,
        "ActionNames": unique(n.action for n in wanted),
        "ResourceArns": unique(n.resource for n in wanted),
        "MaxItems": 1000,
    }
    response = reader.call("iam", "SimulatePrincipalPolicy", params, role.arn)
    if response is None:
        return ()
    purposes: dict[tuple[str, str], str] = {}
    for n in dict.fromkeys(wanted):  # one pair may serve several purposes (two secret keys)
        known = purposes.get((n.action, n.resource))
        purposes[n.action, n.resource] = f"{known}; {n.purpose}" if known else n.purpose
    return tuple(
        PolicyDecision(d.role_arn, d.action, d.resource, d.decision, purposes[d.action, d.resource])
        for d in parse.parse_decisions(role.arn, response)
        if (d.action, d.resource) in purposes
    )

"""IAM roles: one role's trust and policy names in three parallel reads, and instance roles.

On EC2 the container instance's role pulls images and writes logs when the task definition
names no execution role; it is found through DescribeInstances and GetInstanceProfile.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import Future

from ecs_medic.aws import parsing_access as parse
from ecs_medic.aws.collect.reader import Missing, Reader, Response, unique
from ecs_medic.aws.snapshot_access import Role
from ecs_medic.aws.snapshot_capacity import ContainerInstance

ROLE_READS = ("GetRole", "ListAttachedRolePolicies", "ListRolePolicies")
MAX_INSTANCES = 50  # instances whose profile is looked up; they usually share one
RoleReads = list[Future[Response | Missing | None]]


def start_role(reader: Reader, arn: str) -> RoleReads:
    """GetRole, ListAttachedRolePolicies and ListRolePolicies at once."""
    name = arn.rsplit("/", 1)[-1]
    return [reader.submit(reader.lookup, "iam", op, {"RoleName": name}, arn) for op in ROLE_READS]


def finish_role(
    arn: str, purpose: str, futures: Sequence[Future[Response | Missing | None]]
) -> Role | None:
    """The role from its three reads; None when GetRole itself failed (a gap)."""
    role, attached, inline = (f.result() for f in futures)
    name = arn.rsplit("/", 1)[-1]
    if role is None:
        return None
    if isinstance(role, Missing):
        return Role(arn, name, exists=False, purpose=purpose)
    found = role.get("Role") or {}
    return Role(
        arn=str(found.get("Arn") or arn),
        name=str(found.get("RoleName") or name),
        trusted_services=parse.trusted_services(found.get("AssumeRolePolicyDocument")),
        attached_policy_arns=parse.attached_policy_arns(_answers(attached)),
        inline_policy_names=parse.inline_policy_names(_answers(inline)),
        purpose=purpose,
    )


def _answers(response: Response | Missing | None) -> list[Response]:
    return [response] if isinstance(response, dict) else []


def instance_roles(reader: Reader, instances: Sequence[ContainerInstance]) -> tuple[Role, ...]:
    """The roles of the container instances' instance profiles."""
    ids = unique(i.ec2_instance_id for i in instances)[:MAX_INSTANCES]
    if not ids:
        return ()
    response = reader.call("ec2", "DescribeInstances", {"InstanceIds": ids}, ",".join(ids)) or {}
    profiles = unique(
        (i.get("IamInstanceProfile") or {}).get("Arn")
        for r in response.get("Reservations") or ()
        for i in r.get("Instances") or ()
    )
    arns = unique(a for p in profiles for a in _profile_roles(reader, p))
    started = [(arn, start_role(reader, arn)) for arn in arns]
    return tuple(r for arn, reads in started if (r := finish_role(arn, "instance", reads)))


def _profile_roles(reader: Reader, profile_arn: str) -> list[str]:
    params = {"InstanceProfileName": profile_arn.rsplit("/", 1)[-1]}
    response = reader.call("iam", "GetInstanceProfile", params, profile_arn) or {}
    roles = (response.get("InstanceProfile") or {}).get("Roles") or ()
    return [str(r["Arn"]) for r in roles if r.get("Arn")]

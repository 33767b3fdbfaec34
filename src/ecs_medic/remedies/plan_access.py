"""Planners for what tasks may read: log groups, IAM policies, trust policies, the ECS role.

Every IAM change is scoped to the exact actions and resources the policy simulation (or the
denial the application logged) names; the rollback removes exactly what was added.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_access import PolicyDecision, Role
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import (
    POLICY_PREFIX,
    Proposal,
    force_deploy,
    free_policy_name,
    make_action,
    policy_document,
    role_name,
)
from ecs_medic.remedies.diff import added, config_diff
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.plan import ApiCall

EXECUTION_POLICY = "arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy"
# What AmazonECSTaskExecutionRolePolicy allows (AWS documents it; it has no resource scoping).
EXECUTION_POLICY_ACTIONS = frozenset({
    "ecr:GetAuthorizationToken", "ecr:BatchCheckLayerAvailability",
    "ecr:GetDownloadUrlForLayer", "ecr:BatchGetImage",
    "logs:CreateLogStream", "logs:PutLogEvents",
})  # fmt: skip
ECS_TASKS = "ecs-tasks.amazonaws.com"
RETENTION_DAYS = 30
# The message AWS SDKs raise for an identity-policy denial (documented IAM error format).
_DENIED = re.compile(r"is not authorized to perform: ([\w-]+:[\w*]+) on resource: (\S+)")


# --- log groups -------------------------------------------------------------------------------


def plan_log_group_missing(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Create each missing awslogs group (with a retention policy) and redeploy (A1)."""
    missing = [g for g in snapshot.access.log_groups if not g.exists]
    if not missing:
        return None
    if any(g.region != snapshot.region for g in missing):
        return "LOG_GROUP_MISSING: create the log group in the Region awslogs-region names."
    steps: list[ApiCall] = []
    for group in missing:
        steps.append(ApiCall("logs", "CreateLogGroup", {"logGroupName": group.name}))
        retention = {"logGroupName": group.name, "retentionInDays": RETENTION_DAYS}
        steps.append(ApiCall("logs", "PutRetentionPolicy", retention))
    names = ", ".join(g.name for g in missing)
    diff = "\n".join(
        added(f"log group {g.name}", {"retentionInDays": RETENTION_DAYS}) for g in missing
    )
    return make_action(
        finding.code, f"Create log group {names} ({RETENTION_DAYS}-day retention) and redeploy",
        "A1", (*steps, force_deploy(snapshot)),
        rollback=tuple(ApiCall("logs", "DeleteLogGroup", {"logGroupName": g.name})
                       for g in missing),
        diff=diff, expected_effect="new tasks find their log group and start",
        risk="additive: a new, empty log group",
    )  # fmt: skip


# --- role policies ----------------------------------------------------------------------------


def denied(snapshot: ServiceSnapshot, prefixes: tuple[str, ...]) -> list[PolicyDecision]:
    """Simulated decisions that denied an action with one of these service prefixes."""
    return [
        d for d in snapshot.access.decisions
        if not d.allowed and d.action.startswith(prefixes)
    ]  # fmt: skip


def plan_image_pull_auth(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Attach the managed execution policy (A1), else allow the denied ECR actions (A2).

    When the role itself may pull, a repository policy denies it: exempt the role in the
    deny's principal condition (A2), keeping the policy's intent for everyone else.
    """
    if denied(snapshot, ("ecr:",)):
        return _managed_or_inline(finding, snapshot, ("ecr:",), "ecr-pull")
    role = _execution_role(snapshot)
    return plan_repository_exemption(finding, snapshot, lookups, role.arn) if role else None


def plan_log_delivery_denied(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Attach the managed execution policy (A1), else allow the denied log actions (A2)."""
    return _managed_or_inline(finding, snapshot, ("logs:",), "write-logs")


def plan_secrets_fetch_denied(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Allow the execution role to read exactly the secrets and parameters it was denied."""
    return inline_grant(
        finding, snapshot, denied(snapshot, ("secretsmanager:", "ssm:")), "read-secrets"
    )


def plan_kms_decrypt_denied(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Allow kms:Decrypt on exactly the keys (resolved from aliases) of the secrets it reads."""
    decisions = [
        dataclasses.replace(d, resource=lookups.key_arn(d.resource))
        for d in denied(snapshot, ("kms:",))
    ]
    return inline_grant(finding, snapshot, decisions, "decrypt-secrets")


def plan_task_role_denied(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Allow the task role exactly the actions and resources the application was denied."""
    td = snapshot.current_task_definition
    if td is None or td.task_role_arn is None:
        return None
    wanted = dict.fromkeys(
        (m.group(1), m.group(2).rstrip(".,;\"'"))
        for e in finding.evidence
        if (m := _DENIED.search(e.detail))
    )
    decisions = [PolicyDecision(td.task_role_arn, a, r, "implicitDeny") for a, r in wanted]
    return inline_grant(finding, snapshot, decisions, "app-access")


def _managed_or_inline(
    finding: Finding, snapshot: ServiceSnapshot, prefixes: tuple[str, ...], purpose: str
) -> Proposal | None:
    decisions = denied(snapshot, prefixes)
    role = _execution_role(snapshot)
    if role is None or not decisions or any(d.decision == "explicitDeny" for d in decisions):
        return None
    covered = all(d.action in EXECUTION_POLICY_ACTIONS for d in decisions)
    if covered and EXECUTION_POLICY not in role.attached_policy_arns:
        return _attach_managed(finding, snapshot, role)
    return inline_grant(finding, snapshot, decisions, purpose)


def _execution_role(snapshot: ServiceSnapshot) -> Role | None:
    td = snapshot.current_task_definition
    arn = td.execution_role_arn if td else None
    role = snapshot.access.role(arn) if arn else None
    return role if role and role.exists else None


def _attach_managed(finding: Finding, snapshot: ServiceSnapshot, role: Role) -> Proposal:
    params = {"RoleName": role.name, "PolicyArn": EXECUTION_POLICY}
    return make_action(
        finding.code, f"Attach AmazonECSTaskExecutionRolePolicy to {role.name} and redeploy",
        "A1", (ApiCall("iam", "AttachRolePolicy", params), force_deploy(snapshot)),
        rollback=(ApiCall("iam", "DetachRolePolicy", params),),
        diff=config_diff(f"role {role.name}", {"attached": list(role.attached_policy_arns)},
                         {"attached": [*role.attached_policy_arns, EXECUTION_POLICY]}),
        expected_effect="the execution role may pull from ECR and write logs; new tasks start",
        risk="AWS-managed, least-privilege policy made for this role",
    )  # fmt: skip


def inline_grant(
    finding: Finding, snapshot: ServiceSnapshot, decisions: list[PolicyDecision], purpose: str
) -> Proposal | None:
    """PutRolePolicy with one statement per denied action, on exactly the denied resources."""
    if not decisions or any(d.decision == "explicitDeny" for d in decisions):
        return None
    arns = {d.role_arn for d in decisions}
    if len(arns) != 1:
        return None
    arn = arns.pop()
    role = snapshot.access.role(arn)
    taken = role.inline_policy_names if role else ()
    name = free_policy_name(POLICY_PREFIX + purpose, taken)
    grants: dict[str, list[str]] = {}
    for d in decisions:
        grants.setdefault(d.action, []).append(d.resource)
    document = policy_document((a, tuple(dict.fromkeys(r))) for a, r in grants.items())
    params = {"RoleName": role_name(arn), "PolicyName": name, "PolicyDocument": document}
    actions = ", ".join(grants)
    return make_action(
        finding.code, f"Allow {actions} to {role_name(arn)} (inline policy {name}) and redeploy",
        "A2", (ApiCall("iam", "PutRolePolicy", params), force_deploy(snapshot)),
        rollback=(ApiCall("iam", "DeleteRolePolicy",
                          {"RoleName": role_name(arn), "PolicyName": name}),),
        diff=added(f"role {role_name(arn)} inline policy {name}", json.loads(document)),
        expected_effect=f"the role may {actions} on exactly the resources it needs",
        risk="widens the role's permissions, scoped to the named resources only",
    )  # fmt: skip


# --- trust and the service-linked role --------------------------------------------------------


def plan_role_trust(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Let ecs-tasks.amazonaws.com assume the role the evidence names, keeping other principals."""
    named = {e.resource for e in finding.evidence}
    roles = [
        r for r in snapshot.access.roles
        if r.arn in named and r.exists and ECS_TASKS not in r.trusted_services
    ]  # fmt: skip
    if len(roles) != 1:
        return None
    role = roles[0]
    now = _trust_document(role.trusted_services)
    wanted = _trust_document((*role.trusted_services, ECS_TASKS))
    return make_action(
        finding.code, f"Trust {ECS_TASKS} in the trust policy of {role.name} and redeploy", "A2",
        (_update_trust(role.name, wanted), force_deploy(snapshot)),
        rollback=(_update_trust(role.name, now),),
        diff=config_diff(f"role {role.name} trust policy", json.loads(now), json.loads(wanted)),
        expected_effect="ECS can assume the role; new tasks start",
        risk="the rollback restores the trusted services, not conditions the old policy had",
    )  # fmt: skip


def _update_trust(name: str, document: str) -> ApiCall:
    return ApiCall("iam", "UpdateAssumeRolePolicy", {"RoleName": name, "PolicyDocument": document})


def _trust_document(services: tuple[str, ...]) -> str:
    statement = {
        "Effect": "Allow",
        "Principal": {"Service": sorted(set(services))},
        "Action": "sts:AssumeRole",
    }
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]}, sort_keys=True)


def plan_service_linked_role(finding: Finding, snapshot: ServiceSnapshot) -> Proposal | None:
    """Create AWSServiceRoleForECS (idempotent, AWS-managed) and redeploy (A1)."""
    if snapshot.access.service_linked_role_exists:
        return None
    params = {"AWSServiceName": "ecs.amazonaws.com"}
    return make_action(
        finding.code, "Create the ECS service-linked role AWSServiceRoleForECS and redeploy", "A1",
        (ApiCall("iam", "CreateServiceLinkedRole", params), force_deploy(snapshot)),
        rollback=(),
        diff=added("role AWSServiceRoleForECS", {"AWSServiceName": "ecs.amazonaws.com"}),
        expected_effect="ECS can manage network interfaces again; tasks are placed",
        risk="none: AWS-managed and required by every ECS service; kept on rollback",
    )  # fmt: skip


# --- repository policies ----------------------------------------------------------------------

PULL_ACTIONS = frozenset({"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:*", "*"})
_PRINCIPAL_EXCLUSIONS = ("StringNotEquals", "StringNotLike", "ArnNotEquals", "ArnNotLike")


def plan_repository_exemption(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups, role_arn: str
) -> Proposal | None:
    """Add the execution role to the aws:PrincipalArn exclusions of pull-denying statements."""
    for repository, text in lookups.repository_policies:
        policy = json.loads(text)
        changed = _exempt(policy, role_arn)
        if changed is None:
            continue
        new = json.dumps(changed, sort_keys=True)
        key = {"repositoryName": repository}
        return make_action(
            finding.code, f"Exempt {role_name(role_arn)} from the pull deny of repository "
            f"{repository} and redeploy", "A2",
            (ApiCall("ecr", "SetRepositoryPolicy", {**key, "policyText": new}),
             force_deploy(snapshot)),
            rollback=(ApiCall("ecr", "SetRepositoryPolicy", {**key, "policyText": text}),),
            diff=config_diff(f"repository {repository} policy", policy, changed),
            expected_effect="the execution role may pull the image; new tasks start",
            risk="one more principal may pull from the repository; the deny stays for the rest",
        )  # fmt: skip
    return None


def _exempt(policy: dict[str, object], role_arn: str) -> dict[str, object] | None:
    """The policy with `role_arn` excluded from every pull deny, or None if none can be."""
    statements = policy.get("Statement")
    if not isinstance(statements, list):
        return None
    out = json.loads(json.dumps(policy))
    touched = False
    for statement in out["Statement"]:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if statement.get("Effect") != "Deny" or PULL_ACTIONS.isdisjoint(actions):
            continue
        exclusion = _principal_exclusion(statement)
        if exclusion is None:
            return None  # a deny without an exception: a person must decide
        values = exclusion["aws:PrincipalArn"]
        values = [values] if isinstance(values, str) else list(values)
        if role_arn not in values:
            exclusion["aws:PrincipalArn"] = [*values, role_arn]
            touched = True
    return out if touched else None


def _principal_exclusion(statement: dict[str, Any]) -> dict[str, Any] | None:
    conditions = statement.get("Condition") or {}
    for operator in _PRINCIPAL_EXCLUSIONS:
        block = conditions.get(operator)
        if isinstance(block, dict) and "aws:PrincipalArn" in block:
            return block
    return None

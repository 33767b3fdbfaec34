"""IAM and logging (catalogue section 3): roles, log groups and delivery, the app's denials."""

from __future__ import annotations

import re
from collections.abc import Sequence

from ecs_medic.aws.snapshot import LogEvent, ServiceSnapshot, TaskDefinition
from ecs_medic.aws.snapshot_access import Role
from ecs_medic.findings import Evidence, Finding, make_finding

from .image import ECR_HOST
from .secret_reads import decision_evidence, denied_decisions, execution_role, says_denied
from .signals import (
    DESCRIBE_TASK_DEFINITION,
    Signal,
    config_severity,
    contains_any,
    find_signal,
    impact_severity,
    is_fargate,
    plural,
)

LOG_MISSING = ("cannot find the amazon cloudwatch log group", "specified log group does not exist")
LOG_DRIVER = ("failed to create cloudwatch log", "failed to initialize logging driver")
LOG_ACTIONS = ("logs:CreateLogStream", "logs:PutLogEvents", "logs:CreateLogGroup")
TRUST = ("ecs was unable to assume the role", "iam trust relationship has been misconfigured")
ECS_TASKS = "ecs-tasks.amazonaws.com"
SLR = ("unable to assume the service linked role",)
POLICY_CHANGED = ("iam permissions policies have been misconfigured or changed",)
EXEC_MISSING = ("requires task definition to have execution role arn",)
SLR_POLICY = "AmazonECSServiceRolePolicy"
GET_ROLE = "iam:GetRole"


def log_group_missing(snapshot: ServiceSnapshot) -> list[Finding]:
    """LOG_GROUP_MISSING: the awslogs group does not exist and is not created on start."""
    signal = find_signal(snapshot, LOG_MISSING)
    missing = [g for g in snapshot.access.log_groups if not g.exists and not g.create_group]
    if not signal and not missing:
        return []
    names = ", ".join(f"{g.name} ({g.region})" for g in missing)
    return [
        make_finding(
            "LOG_GROUP_MISSING",
            summary=(
                f"{plural(len(signal.tasks), 'task')} could not start their log driver"
                + (f"; log group {names} does not exist" if missing else "")
            ),
            evidence=[
                *signal.evidence(snapshot),
                *(
                    Evidence(
                        "logs:DescribeLogGroups",
                        g.name,
                        f"no log group {g.name} in {g.region} "
                        f"(containers {', '.join(g.containers) or '?'}, "
                        "awslogs-create-group false)",
                    )
                    for g in missing
                ),
            ],
            remediation=(
                f"Create log group {names or 'named in awslogs-group'} with a retention policy, or "
                "set awslogs-create-group=true and allow logs:CreateLogGroup to the execution role."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.95 if signal and missing else (0.85 if signal else 0.75),
            affected_tasks=len(signal.tasks),
        )
    ]


def log_delivery_denied(snapshot: ServiceSnapshot) -> list[Finding]:
    """LOG_DELIVERY_DENIED: the log driver may not create the group or stream, or write."""
    signal = find_signal(snapshot, LOG_DRIVER, LOG_MISSING)
    signal = Signal(tuple(h for h in signal.tasks if says_denied(h.detail)))
    denied = denied_decisions(snapshot, LOG_ACTIONS, set())
    if not signal and not denied:
        return []
    role = execution_role(snapshot) if is_fargate(snapshot) else "the container instance role"
    return [
        make_finding(
            "LOG_DELIVERY_DENIED",
            summary=(
                f"{plural(len(signal.tasks), 'task')} could not deliver logs to CloudWatch"
                + (f"; {', '.join(sorted({d.action for d in denied}))} denied" if denied else "")
            ),
            evidence=[*signal.evidence(snapshot), *(decision_evidence(d) for d in denied)],
            remediation=(
                f"Attach AmazonECSTaskExecutionRolePolicy to {role} (logs:CreateLogStream, "
                "logs:PutLogEvents; logs:CreateLogGroup when awslogs-create-group is true)."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.9 if signal else 0.7,
            affected_tasks=len(signal.tasks),
        )
    ]


def exec_role_missing(snapshot: ServiceSnapshot) -> list[Finding]:
    """EXEC_ROLE_MISSING: no executionRoleArn although ECR, awslogs or secrets need one."""
    signal = find_signal(snapshot, EXEC_MISSING)
    definition = snapshot.current_task_definition
    needs = _execution_needs(definition, fargate=is_fargate(snapshot)) if definition else []
    if not signal and not needs:
        return []
    arn = definition.arn if definition else snapshot.service.task_definition_arn
    summary = (
        f"Task definition {arn.rsplit('/', 1)[-1]} has no execution role but uses "
        f"{', '.join(needs) or 'features that need one'}"
    )
    if not needs and signal.calls:  # the revision without one was refused, the service runs on
        summary = (
            f"AWS refused {plural(len(signal.calls), 'new revision')} of "
            f"{arn.rsplit('/', 1)[-1].split(':')[0]} without an execution role; the service "
            "still runs the previous one"
        )
    facts = (
        [
            Evidence(
                DESCRIBE_TASK_DEFINITION,
                arn,
                f"executionRoleArn null; needed for {', '.join(needs)}",
            )
        ]
        if needs
        else []
    )
    return [
        make_finding(
            "EXEC_ROLE_MISSING",
            summary=summary,
            evidence=[*signal.evidence(snapshot), *facts],
            remediation=(
                "Create or choose a role trusted by ecs-tasks.amazonaws.com with "
                "AmazonECSTaskExecutionRolePolicy (plus secret reads), set it as "
                "executionRoleArn in a new revision and update the service."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.9,
        )
    ]


def _execution_needs(definition: TaskDefinition, *, fargate: bool) -> list[str]:
    """What in the task definition needs an execution role (on EC2 the instance role pulls)."""
    if definition.execution_role_arn:
        return []
    needs: list[str] = []
    for c in definition.containers:
        if fargate and ECR_HOST in c.image:
            needs.append(f"ECR image {c.image}")
        if fargate and c.log_config and c.log_config.driver == "awslogs":
            needs.append(f"awslogs on {c.name}")
        needs += [f"secret {s.name} on {c.name}" for s in c.secrets]
        if c.repository_credentials:
            needs.append(f"repositoryCredentials on {c.name}")
    return list(dict.fromkeys(needs))


def role_trust_invalid(snapshot: ServiceSnapshot) -> list[Finding]:
    """ROLE_TRUST_INVALID: ECS cannot assume the task or execution role."""
    signal = find_signal(snapshot, TRUST)
    broken = [r for r in _task_roles(snapshot) if _untrusted(r)]
    if not signal and not broken:
        return []
    return [
        make_finding(
            "ROLE_TRUST_INVALID",
            summary=(
                "ECS cannot assume "
                + (
                    ", ".join(f"{r.purpose or 'role'} role {r.name}" for r in broken)
                    or "a role of the task"
                )
                + (
                    f"; {plural(len(signal.events) + len(signal.tasks), 'launch')} failed"
                    if signal
                    else ""
                )
            ),
            evidence=[*signal.evidence(snapshot), *(_role_evidence(r) for r in broken)],
            remediation=(
                "Set the trust policy of "
                + (", ".join(r.arn for r in broken) or "the role")
                + f" to allow sts:AssumeRole by {ECS_TASKS} (iam update-assume-role-policy) or "
                "create the role; make sure the deployer may iam:PassRole it."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.95 if signal and broken else 0.85,
            affected_tasks=len(signal.tasks),
        )
    ]


def _task_roles(snapshot: ServiceSnapshot) -> list[Role]:
    """The collected execution and task roles of the current task definition."""
    definition = snapshot.current_task_definition
    arns = {definition.execution_role_arn, definition.task_role_arn} if definition else set()
    return [r for r in snapshot.access.roles if r.arn in arns or r.purpose in ("execution", "task")]


def _untrusted(role: Role) -> bool:
    """Tell whether the role is gone, or its trust policy names principals but not ECS tasks."""
    return not role.exists or (
        bool(role.trusted_services) and ECS_TASKS not in role.trusted_services
    )


def _role_evidence(role: Role) -> Evidence:
    """Quote iam:GetRole: existence and the trusted principals."""
    if not role.exists:
        return Evidence(GET_ROLE, role.arn, f"NoSuchEntity: role {role.name} does not exist")
    trusted = ", ".join(role.trusted_services)
    return Evidence(
        GET_ROLE, role.arn, f"AssumeRolePolicyDocument trusts {trusted}, not {ECS_TASKS}"
    )


def service_linked_role_missing(snapshot: ServiceSnapshot) -> list[Finding]:
    """SERVICE_LINKED_ROLE_MISSING: AWSServiceRoleForECS does not exist."""
    signal = find_signal(snapshot, SLR)
    absent = snapshot.access.service_linked_role_exists is False
    if not signal and not absent:
        return []
    facts = [Evidence(GET_ROLE, "AWSServiceRoleForECS", "NoSuchEntity")] if absent else []
    return [
        make_finding(
            "SERVICE_LINKED_ROLE_MISSING",
            summary="The ECS service-linked role AWSServiceRoleForECS does not exist",
            evidence=[*signal.evidence(snapshot), *facts],
            remediation=(
                "Run iam create-service-linked-role --aws-service-name ecs.amazonaws.com, wait "
                "for IAM to propagate, then retry the service update."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.95 if absent else 0.85,
        )
    ]


def service_iam_policy_changed(snapshot: ServiceSnapshot) -> list[Finding]:
    """SERVICE_IAM_POLICY_CHANGED: ECS lost the permissions it needs to maintain the service."""
    signal = find_signal(snapshot, POLICY_CHANGED)
    stripped = [
        r
        for r in snapshot.access.roles
        if r.purpose == "service-linked"
        and r.exists
        and r.attached_policy_arns
        and not any(a.endswith(SLR_POLICY) for a in r.attached_policy_arns)
    ]
    if not signal and not stripped:
        return []
    return [
        make_finding(
            "SERVICE_IAM_POLICY_CHANGED",
            summary="ECS can no longer maintain the service because role policies changed",
            evidence=[
                *signal.evidence(snapshot),
                *(
                    Evidence(
                        "iam:ListAttachedRolePolicies",
                        r.arn,
                        f"attached: {', '.join(r.attached_policy_arns)}; {SLR_POLICY} missing",
                    )
                    for r in stripped
                ),
            ],
            remediation=(
                "Restore the policies of the roles ECS uses (AmazonECSServiceRolePolicy on "
                "AWSServiceRoleForECS, and the service's infrastructure or task roles); use "
                "CloudTrail to find who changed them."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.9,
        )
    ]


ACCESS_DENIED_LOG = ("is not authorized to perform", "accessdenied", "access denied")
AWS_CONTEXT = ("arn:aws", "assumed-role", "when calling the", "amazonaws.com")
WANTED = re.compile(r"not authorized to perform:? ([\w:*-]+)(?: on resource:? (\S+))?")


def _aws_denial(event: LogEvent) -> bool:
    """Tell whether a log line is an AWS API denial, not the app refusing its own users."""
    text = event.message
    return contains_any(text, ("not authorized to perform",)) or (
        contains_any(text, ("accessdenied",)) and contains_any(text, AWS_CONTEXT)
    )


def _wanted(lines: Sequence[LogEvent]) -> str:
    """'Allow s3:GetObject on arn:aws:s3:::bucket/key' for each action the logs name."""
    pairs = dict.fromkeys(
        (m.group(1), (m.group(2) or "*").rstrip(".,;"))
        for e in lines
        if (m := WANTED.search(e.message))
    )
    if not pairs:
        return "allow the action and resource named in the quoted error"
    return "; ".join(f"Allow {action} on {resource}" for action, resource in pairs)


def task_role_permission_denied(snapshot: ServiceSnapshot) -> list[Finding]:
    """TASK_ROLE_PERMISSION_DENIED: the application's own AWS calls are denied."""
    lines = tuple(
        e for e in find_signal(snapshot, ACCESS_DENIED_LOG, logs=True).logs if _aws_denial(e)
    )
    definition = snapshot.current_task_definition
    role = definition.task_role_arn if definition else None
    denied = [d for d in snapshot.access.decisions if role and d.role_arn == role and not d.allowed]
    if not lines:
        return []
    signal = Signal(logs=lines)
    return [
        make_finding(
            "TASK_ROLE_PERMISSION_DENIED",
            summary=(
                f"The application logged {plural(len(lines), 'access-denied error')}; "
                + (f"task role {role}" if role else "the task definition has no task role")
            ),
            evidence=[
                *signal.evidence(snapshot, limit=3),
                *(decision_evidence(d) for d in denied),
                *(
                    []
                    if role or definition is None
                    else [Evidence(DESCRIBE_TASK_DEFINITION, definition.arn, "taskRoleArn null")]
                ),
            ],
            remediation=(
                f"Add a least-privilege statement to {role}: {_wanted(lines)} (never a wildcard)."
                if role
                else "Set taskRoleArn in a new revision to a role granting the app's actions."
            ),
            severity=impact_severity(snapshot),
            confidence=0.85 if denied or not role else 0.75,
        )
    ]

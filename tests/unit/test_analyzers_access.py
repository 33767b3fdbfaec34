"""IAM, secrets and logging: roles, secret reads, KMS, log groups, the app's own denials."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    ACCOUNT,
    EXEC_ROLE,
    TASK_ROLE,
    event,
    failing,
    log,
    service,
    snapshot,
    task,
    task_definition,
)

from ecs_medic.analyzers import analyze
from ecs_medic.analyzers.access import (
    exec_role_missing,
    log_delivery_denied,
    log_group_missing,
    role_trust_invalid,
    service_iam_policy_changed,
    service_linked_role_missing,
    task_role_permission_denied,
)
from ecs_medic.analyzers.secret_reads import (
    kms_decrypt_denied,
    secret_not_found,
    secrets_fetch_denied,
)
from ecs_medic.aws.snapshot import AccessView, SecretRef
from ecs_medic.aws.snapshot_access import LogGroupCheck, PolicyDecision, Role, SecretCheck
from ecs_medic.findings import Severity

SECRET_ARN = f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:ledger/db-AbCdEf"
PARAM_ARN = f"arn:aws:ssm:eu-west-1:{ACCOUNT}:parameter/ledger/api-key"
KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1111-2222"
# Fargate truncates: this one names no cause, the access view must decide.
TRUNCATED_ASM = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve secret from asm: service call has been retried 5 time(s)"
)
SSM_DENIED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: unable to retrieve "
    f"secrets from ssm: AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/"
    "ledger-exec/abc is not authorized to perform: ssm:GetParameters"
)
ASM_NOT_FOUND = (
    f"ResourceNotFoundException: The task can't retrieve the secret with ARN '{SECRET_ARN}' "
    "from AWS Secrets Manager. Check whether the secret exists in the specified Region"
)
KMS_REFUSED = (
    "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
    "retrieval failed: unable to retrieve secret from asm: AccessDeniedException: Access to KMS "
    "is not allowed"
)


def with_secrets() -> object:
    """The app container reads a Secrets Manager secret and an SSM parameter."""
    definition = task_definition()
    app = definition.container("app")
    assert app is not None
    app = replace(
        app, secrets=(SecretRef("DB_PASSWORD", SECRET_ARN), SecretRef("API_KEY", PARAM_ARN))
    )
    return replace(definition, containers=(definition.containers[0], app))


def start_failure(n: int, reason: str) -> object:
    """A task that failed to start with this reason."""
    return task(n, stop_code="TaskFailedToStart", stopped_reason=reason)


def broken(*reasons: str, access: AccessView | None = None) -> object:
    """Tasks failing to start with these reasons, nothing running."""
    stopped = tuple(start_failure(n, r) for n, r in enumerate(reasons, 1))
    return failing(
        snapshot(
            stopped_tasks=stopped, task_definitions=(with_secrets(),), access=access or AccessView()
        )
    )


def decision(
    action: str, resource: str, verdict: str = "implicitDeny", role: str = EXEC_ROLE
) -> PolicyDecision:
    """One simulated decision."""
    return PolicyDecision(role, action, resource, verdict)


def test_explicit_ssm_denial_is_secrets_fetch_denied():
    """The EC2/ssm AccessDenied text alone proves the denial."""
    [finding] = secrets_fetch_denied(broken(SSM_DENIED))
    assert ("SECRETS_FETCH_DENIED", Severity.CRITICAL, 1) == (
        finding.code,
        finding.severity,
        finding.affected_tasks,
    )


def test_truncated_message_with_denying_simulation_is_secrets_fetch_denied():
    """A cut-off asm message plus an implicitDeny on the secret: denied, and named."""
    access = AccessView(decisions=(decision("secretsmanager:GetSecretValue", SECRET_ARN),))
    [finding] = secrets_fetch_denied(broken(TRUNCATED_ASM, access=access))
    assert f"Add a statement to {EXEC_ROLE} allowing" in finding.remediation
    assert SECRET_ARN in finding.remediation


def test_truncated_message_with_missing_secret_is_secret_not_found_only():
    """The same cut-off message with a missing secret is SECRET_NOT_FOUND, not a denial."""
    access = AccessView(
        secrets=(
            SecretCheck(
                "app",
                "DB_PASSWORD",
                SECRET_ARN,
                "secretsmanager",
                False,
                error_code="ResourceNotFoundException",
            ),
        )
    )
    codes = [f.code for f in analyze(broken(TRUNCATED_ASM, access=access)).findings]
    assert ["SECRET_NOT_FOUND"] == codes


def test_secret_not_found_quotes_the_region_and_name():
    """The explicit not-found text plus the DescribeSecret result."""
    access = AccessView(
        secrets=(
            SecretCheck(
                "app",
                "DB_PASSWORD",
                SECRET_ARN,
                "secretsmanager",
                False,
                "eu-west-1",
                error_code="ResourceNotFoundException",
            ),
        )
    )
    [finding] = secret_not_found(broken(ASM_NOT_FOUND, access=access))
    assert f"ResourceNotFoundException in eu-west-1: DB_PASSWORD of app ({SECRET_ARN})" in [
        e.detail for e in finding.evidence
    ]


def test_existing_secrets_are_not_reported():
    """Healthy service, secrets exist and are readable: nothing."""
    access = AccessView(
        secrets=(SecretCheck("app", "DB_PASSWORD", SECRET_ARN, "secretsmanager", True),),
        decisions=(decision("secretsmanager:GetSecretValue", SECRET_ARN, "allowed"),),
    )
    snap = snapshot(task_definitions=(with_secrets(),), access=access)
    assert [] == secrets_fetch_denied(snap) + secret_not_found(snap) + kms_decrypt_denied(snap)


def test_kms_refusal_is_kms_not_a_plain_secret_denial():
    """'Access to KMS is not allowed' belongs to KMS_DECRYPT_DENIED alone."""
    access = AccessView(
        secrets=(
            SecretCheck(
                "app", "DB_PASSWORD", SECRET_ARN, "secretsmanager", True, kms_key_id=KEY_ARN
            ),
        ),
        decisions=(decision("kms:Decrypt", KEY_ARN),),
    )
    codes = [f.code for f in analyze(broken(KMS_REFUSED, access=access)).findings]
    assert ["KMS_DECRYPT_DENIED"] == codes


def test_missing_log_group_from_the_fargate_message():
    """The Fargate log-group message plus the DescribeLogGroups check."""
    reason = (
        "ResourceInitializationError: failed to validate logger args: The task cannot find the "
        "Amazon CloudWatch log group defined in the task definition."
    )
    access = AccessView(
        log_groups=(LogGroupCheck("/ecs/ledger-api", "eu-west-1", False, ("app",)),)
    )
    [finding] = log_group_missing(broken(reason, access=access))
    assert (
        "1 task could not start their log driver; log group /ecs/ledger-api (eu-west-1) does "
        "not exist" == finding.summary
    )


def test_ec2_log_group_variant_is_not_delivery_denied():
    """The EC2 'log group does not exist' form is LOG_GROUP_MISSING, never LOG_DELIVERY_DENIED."""
    reason = (
        "CannotStartContainerError: Error response from daemon: failed to initialize logging "
        "driver: "
        "failed to create Cloudwatch log stream: ResourceNotFoundException: The specified log "
        "group does not exist."
    )
    codes = [f.code for f in analyze(broken(reason)).findings]
    assert ["LOG_GROUP_MISSING"] == codes


def test_log_group_created_on_start_is_not_missing():
    """awslogs-create-group=true makes an absent group fine."""
    access = AccessView(
        log_groups=(LogGroupCheck("/ecs/ledger-api", "eu-west-1", False, ("app",), True),)
    )
    assert [] == log_group_missing(snapshot(access=access))


def test_log_delivery_access_denied():
    """AccessDenied creating the stream is LOG_DELIVERY_DENIED on the execution role."""
    reason = (
        "CannotStartContainerError: failed to initialize logging driver: failed to create "
        "Cloudwatch log stream: AccessDeniedException: not authorized to perform "
        "logs:CreateLogStream"
    )
    [finding] = log_delivery_denied(broken(reason))
    assert f"Attach AmazonECSTaskExecutionRolePolicy to {EXEC_ROLE}" in finding.remediation


def test_fargate_ecr_without_execution_role_is_exec_role_missing():
    """No executionRoleArn with an ECR image and awslogs on Fargate."""
    definition = replace(with_secrets(), execution_role_arn=None)
    [finding] = exec_role_missing(failing(snapshot(task_definitions=(definition,))))
    assert "ECR image" in finding.summary
    assert "secret DB_PASSWORD on app" in finding.summary


def test_ec2_without_secrets_needs_no_execution_role():
    """On EC2 the instance role pulls ECR images and writes logs."""
    definition = replace(
        task_definition(), execution_role_arn=None, requires_compatibilities=("EC2",)
    )
    snap = snapshot(task_definitions=(definition,), service=service(launch_type="EC2"))
    assert [] == exec_role_missing(snap)


def test_role_trust_without_ecs_tasks_is_invalid():
    """An execution role that trusts only EC2 cannot be assumed by ECS."""
    role = Role(
        EXEC_ROLE, "ledger-exec", trusted_services=("ec2.amazonaws.com",), purpose="execution"
    )
    message = (
        "(service ledger-api) failed to launch a task with (error ECS was unable to assume the "
        f"role '{EXEC_ROLE}' "
        "that was provided for this task. Please verify that the role being passed has the "
        "proper trust relationship"
    )
    snap = failing(
        snapshot(
            access=AccessView(roles=(role,)), service=service(running=0, events=(event(message),))
        )
    )
    [finding] = role_trust_invalid(snap)
    assert "AssumeRolePolicyDocument trusts ec2.amazonaws.com, not ecs-tasks.amazonaws.com" in [
        e.detail for e in finding.evidence
    ]


def test_role_trusting_ecs_tasks_is_fine():
    """A role that trusts ecs-tasks.amazonaws.com is not flagged."""
    role = Role(
        EXEC_ROLE, "ledger-exec", trusted_services=("ecs-tasks.amazonaws.com",), purpose="execution"
    )
    assert [] == role_trust_invalid(snapshot(access=AccessView(roles=(role,))))


def test_service_linked_role_absent():
    """get_role NoSuchEntity on AWSServiceRoleForECS is reported."""
    [finding] = service_linked_role_missing(
        failing(snapshot(access=AccessView(service_linked_role_exists=False)))
    )
    assert (
        "iam create-service-linked-role --aws-service-name ecs.amazonaws.com" in finding.remediation
    )


def test_service_policy_changed_event():
    """ECS's own 'IAM permissions policies ... changed' event."""
    message = (
        "(service ledger-api) IAM permissions policies have been misconfigured or changed, and ECS "
        "can no longer maintain your service"
    )
    [finding] = service_iam_policy_changed(
        snapshot(service=service(running=1, events=(event(message),)))
    )
    assert "SERVICE_IAM_POLICY_CHANGED" == finding.code


def test_app_access_denied_in_logs_is_task_role_permission_denied():
    """The app logs AccessDenied for its task role; the task keeps running."""
    running = task(1, stopped=False)
    line = (
        "botocore.exceptions.ClientError: An error occurred (AccessDenied) when calling the "
        "PutObject "
        f"operation: User: arn:aws:sts::{ACCOUNT}:assumed-role/ledger-app/{running.id} is not "
        "authorized "
        "to perform: s3:PutObject on resource: arn:aws:s3:::ledger-exports/x"
    )
    [finding] = task_role_permission_denied(snapshot(log_events=(log(running, line),)))
    assert (Severity.MEDIUM, f"task role {TASK_ROLE}") == (
        finding.severity,
        finding.summary.split("; ")[1],
    )
    assert (
        f"Add a least-privilege statement to {TASK_ROLE}: Allow s3:PutObject on "
        "arn:aws:s3:::ledger-exports/x (never a wildcard)." == finding.remediation
    )


def test_logs_without_denials_are_no_task_role_finding():
    """Ordinary log lines do not raise TASK_ROLE_PERMISSION_DENIED."""
    running = task(1, stopped=False)
    assert [] == task_role_permission_denied(
        snapshot(log_events=(log(running, "GET /healthz 200"),))
    )


def test_ecr_registry_auth_denial_is_not_a_secret_denial():
    """'unable to retrieve ecr registry auth ... AccessDenied' shares the prefix but is ECR auth."""
    reason = (
        "ResourceInitializationError: unable to pull secrets or registry auth: execution resource "
        "retrieval failed: unable to retrieve ecr registry auth: service call has been retried 3 "
        f"time(s): AccessDeniedException: User: arn:aws:sts::{ACCOUNT}:assumed-role/ledger-exec/1 "
        "is not authorized to perform: ecr:GetAuthorizationToken"
    )
    assert ["IMAGE_PULL_AUTH"] == [f.code for f in analyze(broken(reason)).findings]


def test_app_refusing_its_own_users_is_not_a_task_role_denial():
    """'access denied' for a user of the app is not an AWS API denial."""
    running = task(1, stopped=False)
    line = "WARN login: access denied for user bob (bad password)"
    assert [] == task_role_permission_denied(snapshot(log_events=(log(running, line),)))


def test_secret_in_another_region_is_named():
    """A secret ARN of another Region is pointed out beside the missing secret."""
    other = SECRET_ARN.replace("eu-west-1", "us-west-2")
    access = AccessView(
        secrets=(SecretCheck("app", "DB_PASSWORD", other, "secretsmanager", False, "us-west-2"),)
    )
    [finding] = secret_not_found(broken(ASM_NOT_FOUND, access=access))
    assert finding.summary.endswith("(looked up in us-west-2; the tasks run in eu-west-1)")


def test_denied_decrypt_without_a_customer_managed_key_is_ignored():
    """A kms:Decrypt denial means nothing for secrets under the AWS-managed key."""
    access = AccessView(
        secrets=(SecretCheck("app", "DB_PASSWORD", SECRET_ARN, "secretsmanager", True),),
        decisions=(decision("kms:Decrypt", "*"),),
    )
    assert [] == kms_decrypt_denied(snapshot(task_definitions=(with_secrets(),), access=access))


def test_implicit_decrypt_deny_on_a_running_service_is_not_a_finding():
    """The key policy may allow what the identity simulation implicitly denies."""
    key = "arn:aws:kms:eu-west-1:210987654321:alias/ledger-secrets"
    access = AccessView(
        secrets=(
            SecretCheck(
                "app", "DB", SECRET_ARN, "secretsmanager", True, kms_key_id="alias/ledger-secrets"
            ),
        ),
        decisions=(decision("kms:Decrypt", key),),
    )
    assert [] == kms_decrypt_denied(snapshot(task_definitions=(with_secrets(),), access=access))


def test_truncated_fetch_with_implicit_decrypt_deny_on_the_cmk_is_kms():
    """A cut-off secret fetch plus a denied decrypt on the secret's alias: KMS_DECRYPT_DENIED."""
    key = "arn:aws:kms:eu-west-1:210987654321:alias/ledger-secrets"
    access = AccessView(
        secrets=(
            SecretCheck(
                "app", "DB", SECRET_ARN, "secretsmanager", True, kms_key_id="alias/ledger-secrets"
            ),
        ),
        decisions=(decision("kms:Decrypt", key),),
    )
    assert ["KMS_DECRYPT_DENIED"] == [
        f.code for f in analyze(broken(TRUNCATED_ASM, access=access)).findings
    ]

"""The failure-mode catalogue: every code ecs-medic may report, with its family and fix level.

Generated once from shared/reference/ecs-failure-modes.md (61 codes, 8 categories), plus
the Planton Cloud codes of docs/planton.md, and maintained here; docs/failure-modes.md
explains the codes. A new code is added here first.
"""

from __future__ import annotations

from dataclasses import dataclass

# A0 nothing to fix (expected stops); A1 apply after one approval; A2 approve a shown diff;
# A3 never applied, only recommended (the catalogue's definitions).
AUTO_LEVELS = ("A0", "A1", "A2", "A3")


@dataclass(frozen=True, slots=True)
class FailureMode:
    """A catalogue entry: code, category, one-line title and the auto-apply level of its fix."""

    code: str
    category: str
    title: str
    auto_level: str


CATALOGUE: dict[str, FailureMode] = {
    m.code: m
    for m in (
        FailureMode(
            "IMAGE_PULL_NOT_FOUND",
            "image",
            "repository, tag or digest missing (Fargate, EC2)",
            "A1",
        ),
        FailureMode(
            "IMAGE_PULL_AUTH",
            "image",
            "role lacks ECR pull permissions, or a repository policy denies (Fargate, EC2)",
            "A1",
        ),
        FailureMode(
            "PRIVATE_REGISTRY_CREDS",
            "image",
            "Docker Hub, GHCR or another private registry without valid repositoryCredentials",
            "A2",
        ),
        FailureMode(
            "IMAGE_PULL_RATE_LIMITED",
            "image",
            "Docker Hub or public-registry throttling",
            "A3",
        ),
        FailureMode(
            "ARCH_MISMATCH",
            "image",
            "image architecture differs from the task or host (exec format error)",
            "A3",
        ),
        FailureMode(
            "ECR_LAYER_S3_UNREACHABLE",
            "image",
            "image layers (served from S3) unreachable",
            "A3",
        ),
        FailureMode(
            "HOST_DISK_FULL",
            "image",
            "no disk for image or container layers (EC2 root or docker volume; Fargate ephemeral)",
            "A2",
        ),
        FailureMode(
            "NO_EGRESS_FOR_IMAGE_PULL",
            "networking",
            "private subnet with no NAT and no VPC endpoints",
            "A3",
        ),
        FailureMode(
            "NO_PUBLIC_IP_IN_PUBLIC_SUBNET",
            "networking",
            "IGW-routed subnet but assignPublicIp=DISABLED (Fargate awsvpc)",
            "A2",
        ),
        FailureMode(
            "VPC_ENDPOINT_MISCONFIG",
            "networking",
            "endpoints exist but are unusable",
            "A2",
        ),
        FailureMode(
            "TASK_EGRESS_BLOCKED",
            "networking",
            "task SG or subnet NACL blocks outbound 443 or DNS",
            "A2",
        ),
        FailureMode("SUBNET_IP_EXHAUSTED", "networking", "no free IPs for task ENIs", "A2"),
        FailureMode(
            "ENI_LIMIT",
            "networking",
            "EC2 awsvpc tasks exhaust the instance's ENI attachments",
            "A2",
        ),
        FailureMode(
            "UNSUPPORTED_AZ_SUBNET",
            "networking",
            "subnet in an AZ that Fargate does not support",
            "A2",
        ),
        FailureMode(
            "EFS_MOUNT_FAILED",
            "networking",
            "EFS volume cannot be mounted at task start",
            "A2",
        ),
        FailureMode(
            "EXEC_ROLE_MISSING",
            "iam",
            "task definition has no executionRoleArn but needs one",
            "A2",
        ),
        FailureMode(
            "ROLE_TRUST_INVALID",
            "iam",
            "ECS cannot assume the task or execution role",
            "A2",
        ),
        FailureMode(
            "SECRETS_FETCH_DENIED",
            "iam",
            "execution role cannot read Secrets Manager or SSM values",
            "A2",
        ),
        FailureMode(
            "SECRET_NOT_FOUND",
            "iam",
            "referenced secret, parameter or JSON key does not exist",
            "A2",
        ),
        FailureMode(
            "KMS_DECRYPT_DENIED",
            "iam",
            "secret or parameter encrypted with a CMK the role cannot use",
            "A3",
        ),
        FailureMode("LOG_GROUP_MISSING", "iam", "awslogs group does not exist", "A1"),
        FailureMode(
            "LOG_DELIVERY_DENIED",
            "iam",
            "log driver cannot create streams or write (permission or route)",
            "A1",
        ),
        FailureMode(
            "TASK_ROLE_PERMISSION_DENIED",
            "iam",
            "the application's AWS calls are denied (task role)",
            "A2",
        ),
        FailureMode("SERVICE_LINKED_ROLE_MISSING", "iam", "AWSServiceRoleForECS absent", "A1"),
        FailureMode(
            "SERVICE_IAM_POLICY_CHANGED",
            "iam",
            "ECS can no longer maintain the service because role policies changed",
            "A2",
        ),
        FailureMode(
            "TG_HEALTHCHECK_FAILING",
            "load_balancer",
            "wrong path or matcher, or the app returns an error status (ResponseCodeMismatch)",
            "A2",
        ),
        FailureMode(
            "SG_BLOCKS_ALB",
            "load_balancer",
            "task or instance SG does not admit the load balancer (Timeout or FailedHealthChecks)",
            "A2",
        ),
        FailureMode(
            "PORT_MISMATCH_TG",
            "load_balancer",
            "target group port, health-check port and container port disagree",
            "A2",
        ),
        FailureMode(
            "TG_TARGET_TYPE_MISMATCH",
            "load_balancer",
            "instance target group used with awsvpc",
            "A2",
        ),
        FailureMode(
            "TG_MISSING_OR_UNATTACHED",
            "load_balancer",
            "target group deleted or not behind a listener",
            "A2",
        ),
        FailureMode(
            "LB_AZ_NOT_ENABLED",
            "load_balancer",
            "task runs in an AZ the load balancer does not serve",
            "A2",
        ),
        FailureMode(
            "HEALTH_CHECK_GRACE_TOO_SHORT",
            "load_balancer",
            "tasks killed while still booting",
            "A1",
        ),
        FailureMode(
            "HEALTHCHECK_FAILING_CONTAINER",
            "load_balancer",
            "container healthCheck never passes",
            "A2",
        ),
        FailureMode(
            "INSUFFICIENT_CPU_MEMORY_ON_CLUSTER",
            "resources",
            "EC2 capacity too small for the task",
            "A2",
        ),
        FailureMode(
            "NO_CONTAINER_INSTANCES",
            "resources",
            "no registered, ACTIVE instances (or none in the capacity provider)",
            "A2",
        ),
        FailureMode(
            "AGENT_DISCONNECTED",
            "resources",
            "ECS agent on the chosen instance is disconnected",
            "A2",
        ),
        FailureMode(
            "HOST_PORT_CONFLICT",
            "resources",
            "static host ports exhausted (bridge or host mode)",
            "A2",
        ),
        FailureMode(
            "PLACEMENT_CONSTRAINT_UNSATISFIABLE",
            "resources",
            "constraint, attribute or AZ requirement cannot be met",
            "A2",
        ),
        FailureMode(
            "CAPACITY_PROVIDER_MISCONFIG",
            "resources",
            "capacity provider or ASG cannot supply capacity",
            "A2",
        ),
        FailureMode(
            "FARGATE_CAPACITY_UNAVAILABLE",
            "resources",
            "no Fargate (or Fargate Spot) capacity in the chosen AZs",
            "A2",
        ),
        FailureMode("SPOT_INTERRUPTION", "resources", "Spot capacity reclaimed", "A0"),
        FailureMode(
            "INFRA_MAINTENANCE_RETIREMENT",
            "resources",
            "Fargate task retirement or host maintenance",
            "A0",
        ),
        FailureMode(
            "INVALID_TASK_SIZE",
            "resources",
            "CPU and memory combination not valid for Fargate",
            "A2",
        ),
        FailureMode(
            "PLATFORM_VERSION",
            "resources",
            "platform version or compatibility mismatch",
            "A2",
        ),
        FailureMode(
            "CIRCUIT_BREAKER_ROLLBACK",
            "deployment",
            "deployment marked FAILED, optionally rolled back",
            "A0",
        ),
        FailureMode(
            "DEPLOYMENT_STUCK",
            "deployment",
            "rollout IN_PROGRESS for ever, with no circuit breaker or a crash-looping task set",
            "A1",
        ),
        FailureMode(
            "DEPLOYMENT_CONFIG_BLOCKS",
            "deployment",
            "minimumHealthyPercent or maximumPercent leave no room to move",
            "A1",
        ),
        FailureMode(
            "TASK_PROTECTION_BLOCKS_SCALE_IN",
            "deployment",
            "protected tasks exceed the desired count",
            "A2",
        ),
        FailureMode(
            "DESIRED_COUNT_ZERO",
            "deployment",
            "service scaled to 0 (manually, by schedule or by an autoscaling minimum)",
            "A1",
        ),
        FailureMode(
            "STALE_IMAGE_NOT_REDEPLOYED",
            "deployment",
            "a new image was pushed under a mutable tag, but tasks still run the old digest",
            "A1",
        ),
        FailureMode(
            "LB_CONFIG_CHANGE_REJECTED",
            "deployment",
            "service load-balancer definition does not match the task definition",
            "A2",
        ),
        FailureMode("OOM_KILLED", "runtime", "container exceeded its memory limit", "A2"),
        FailureMode(
            "ESSENTIAL_CONTAINER_EXIT",
            "runtime",
            "application error (exit 1, non-OOM)",
            "A1",
        ),
        FailureMode("ENTRYPOINT_CMD_ERROR", "runtime", "container cannot start its process", "A2"),
        FailureMode(
            "RUNTIME_CRASH_SIGNAL",
            "runtime",
            "native crash (139 SIGSEGV, 134 SIGABRT)",
            "A1",
        ),
        FailureMode(
            "SIGTERM_NOT_HANDLED",
            "runtime",
            "exit 137 during deploy or scale-in, without OOM",
            "A2",
        ),
        FailureMode(
            "THROTTLING",
            "quotas",
            "ECS, Cloud Map or EC2/ELB API limits hit by the scheduler or by clients",
            "A0",
        ),
        FailureMode("ACCOUNT_QUOTA_FARGATE", "quotas", "vCPU, task or size quotas reached", "A3"),
        FailureMode("PROVISIONING_LIMIT", "quotas", "cluster has 500 tasks in PROVISIONING", "A0"),
        FailureMode(
            "AUTOSCALING_MAXED",
            "quotas",
            "service pinned at MaxCapacity while its alarms stay in ALARM",
            "A2",
        ),
        FailureMode(
            "AUTOSCALING_SUSPENDED_OR_FAILING",
            "quotas",
            "scaling configured but not acting",
            "A2",
        ),
        # Planton Cloud (docs/planton.md): the IaC spec is the expected state
        FailureMode(
            "PLANTON_SPEC_DRIFT",
            "planton",
            "live service differs from the Planton spec (the next stack job will undo it)",
            "A2",
        ),
        FailureMode(
            "PLANTON_STACK_JOB_FAILED",
            "planton",
            "the latest Planton stack job for the service failed",
            "A3",
        ),
    )
}


def failure_mode(code: str) -> FailureMode:
    """The catalogue entry for a code; an unknown code is a programming error."""
    return CATALOGUE[code]

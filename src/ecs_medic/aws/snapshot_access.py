"""Snapshot types for what tasks are allowed to read: IAM roles, secrets, logs, images."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Role:
    """An IAM role the service depends on (execution, task or service-linked)."""

    arn: str
    name: str
    exists: bool = True
    trusted_services: tuple[
        str, ...
    ] = ()  # principals of sts:AssumeRole, e.g. ecs-tasks.amazonaws.com
    attached_policy_arns: tuple[str, ...] = ()
    inline_policy_names: tuple[str, ...] = ()
    purpose: str = ""  # execution | task | service-linked | instance


@dataclass(frozen=True, slots=True)
class PolicyDecision:
    """One iam:SimulatePrincipalPolicy result for an action the task needs."""

    role_arn: str
    action: str
    resource: str
    decision: str  # allowed | implicitDeny | explicitDeny
    purpose: str = ""  # why the task needs it: "image pull", "secret DB_PASSWORD", "logs"

    @property
    def allowed(self) -> bool:
        """Whether the simulation allowed the action."""
        return self.decision == "allowed"


@dataclass(frozen=True, slots=True)
class SecretCheck:
    """Whether a secret or parameter a container references exists (never its value)."""

    container: str
    name: str  # the environment variable it becomes
    value_from: str  # ARN or parameter name as written in the task definition
    kind: str  # secretsmanager | ssm
    exists: bool | None  # None: could not be checked
    region: str | None = None
    kms_key_id: str | None = None  # a customer-managed key, when the secret has one
    error_code: str | None = None
    json_key: str | None = None  # "arn:...:secret:name:KEY::" form


@dataclass(frozen=True, slots=True)
class LogGroupCheck:
    """Whether an awslogs group a container writes to exists."""

    name: str
    region: str
    exists: bool
    containers: tuple[str, ...] = ()
    create_group: bool = False  # awslogs-create-group=true


@dataclass(frozen=True, slots=True)
class ImageManifest:
    """Platforms an image offers (from its manifest or index), for architecture checks."""

    image: str
    platforms: tuple[str, ...]  # "linux/amd64", "linux/arm64"

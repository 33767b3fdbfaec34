"""Stages 3-5 of a task's fate (LAB.md) that depend on permissions and on other resources.

Stage 3, image: the execution role may get an ECR token and pull (its IAM policies and the
repository policy), the image offers the task's platform, its layers fit the ephemeral storage.
Stage 4, secrets and parameters: reachable, existing, readable by the execution role, and
decryptable with their KMS key. Stage 5, logging: the awslogs group exists or may be created,
and the role may create streams and put events. Every permission is decided by the lab's IAM
evaluator over the role's real policies (lab/iam_policy.py); every string is the catalogue's.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ecs_medic.lab import _moto_iam, external, inprocess
from ecs_medic.lab.account_view import AccountView, RoleView
from ecs_medic.lab.fate import (
    CRASH_AFTER_S,
    ESSENTIAL_EXITED,
    PROVISIONING_S,
    ContainerEnd,
    Failure,
    LaunchContext,
    LogLine,
    others_stopped,
)
from ecs_medic.lab.iam_policy import EXPLICIT_DENY, Decision, Request, evaluate_resource_policy
from ecs_medic.lab.stages_network import (
    Reach,
    i_o_timeout,
    placement_refusal,
    pull_failure,
    reach,
)

INIT_S = PROVISIONING_S + 10.0  # resource initialization fails about this long after creation
PULL_ACTIONS = (
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
)
ARCHITECTURES = {"X86_64": "amd64", "ARM64": "arm64"}
DEFAULT_EPHEMERAL_GIB = 20
GIB = 1024**3
SECRETS_PREFIX = "ResourceInitializationError: unable to pull secrets or registry auth: "
LOGGER_PREFIX = "ResourceInitializationError: failed to validate logger args: "


def not_authorized(principal: str, action: str, resource: str, decision: Decision) -> str:
    """IAM's AccessDenied message for an identity-policy decision."""
    why = (
        "with an explicit deny in an identity-based policy"
        if decision.decision == EXPLICIT_DENY
        else f"because no identity-based policy allows the {action} action"
    )
    return f"User: {principal} is not authorized to perform: {action} on resource: {resource} {why}"


@dataclass(frozen=True, slots=True)
class Launch:
    """What the access stages need about one launch: the view, the raw revision, its role."""

    view: AccountView
    definition: dict[str, Any]
    execution_role: RoleView | None

    @classmethod
    def of(cls, ctx: LaunchContext) -> Launch | None:
        """The launch's access context, or None without an account view."""
        view = ctx.account
        if view is None:
            return None
        definition = view.task_definition(ctx.task_definition.arn)
        role_arn = definition.get("executionRoleArn")
        return cls(view, definition, view.role(role_arn) if role_arn else None)

    def containers(self) -> Iterator[dict[str, Any]]:
        """The raw container definitions."""
        yield from self.definition.get("containerDefinitions", [])

    def ecr_images(self) -> Iterator[tuple[str, str, str, str]]:
        """(container, image, repository, tag or digest) of images in this account's ECR."""
        host = f"{self.view.account}.dkr.ecr.{self.view.region}.amazonaws.com/"
        for container in self.containers():
            image = str(container.get("image", ""))
            if image.startswith(host):
                path = image.removeprefix(host)
                repository, reference = _split(path)
                yield str(container["name"]), image, repository, reference


def _split(path: str) -> tuple[str, str]:
    if "@" in path:
        repository, digest = path.split("@", 1)
        return repository, digest
    repository, _, tag = path.rpartition(":")
    return (repository, tag) if repository else (path, "latest")


# --- stage 3: image -----------------------------------------------------------------------


def check_registry_auth(ctx: LaunchContext) -> Failure | None:
    """The execution role must be allowed ecr:GetAuthorizationToken (IMAGE_PULL_AUTH)."""
    launch = Launch.of(ctx)
    if launch is None or launch.execution_role is None:
        return None
    for name, _, _, _ in launch.ecr_images():
        role = launch.execution_role
        decision = launch.view.allowed(role, "ecr:GetAuthorizationToken", "*")
        if not decision.allowed:
            denied = not_authorized(
                launch.view.assumed(role), "ecr:GetAuthorizationToken", "*", decision
            )
            reason = (
                f"{SECRETS_PREFIX}execution resource retrieval failed: unable to retrieve ecr "
                f"registry auth: service call has been retried 3 time(s): AccessDeniedException: "
                f"{denied}"
            )
            return pull_failure(
                ctx, "IMAGE_PULL_AUTH", name, reason, container_reason=False, after_s=INIT_S
            )
    return None


def check_pull_permissions(ctx: LaunchContext) -> Failure | None:
    """The role, or the repository policy, must allow the pull actions (IMAGE_PULL_AUTH)."""
    launch = Launch.of(ctx)
    if launch is None or launch.execution_role is None:
        return None
    role = launch.execution_role
    for name, image, repository, reference in launch.ecr_images():
        arn = f"arn:aws:ecr:{launch.view.region}:{launch.view.account}:repository/{repository}"
        policy = launch.view.repository_policy(repository)
        for action in PULL_ACTIONS:
            if not _may_pull(launch.view, role, policy, action, arn):
                reason = (
                    f"CannotPullContainerError: pull image manifest has been retried 5 time(s): "
                    f'failed to resolve ref {image}: failed to resolve reference "{image}": '
                    f"pulling from host {image.split('/')[0]} failed with status code "
                    f"[manifests {reference}]: 403 Forbidden"
                )
                return pull_failure(ctx, "IMAGE_PULL_AUTH", name, reason, container_reason=True)
    return None


def _may_pull(view: AccountView, role: RoleView, policy: str | None, action: str, arn: str) -> bool:
    """Same account: the identity policy or the repository policy may allow; any deny wins."""
    identity = view.allowed(role, action, arn)
    if policy is None:
        return identity.allowed
    request = Request(action, arn, (("aws:PrincipalArn", (role.arn,)),))
    by_repo, _ = evaluate_resource_policy(policy, role.arn, view.account, request)
    if EXPLICIT_DENY in (identity.decision, by_repo.decision):
        return False
    return identity.allowed or by_repo.allowed


def check_architecture(ctx: LaunchContext) -> Failure | None:
    """A manifest list must offer the task's platform (ARCH_MISMATCH, Fargate's form)."""
    launch = Launch.of(ctx)
    if launch is None:
        return None
    runtime = launch.definition.get("runtimePlatform") or {}
    wanted = f"linux/{ARCHITECTURES.get(str(runtime.get('cpuArchitecture', 'X86_64')), 'amd64')}"
    for name, _, repository, reference in launch.ecr_images():
        found = launch.view.image(repository, reference)
        platforms = _platforms(found["manifest"]) if found else None
        if platforms is not None and wanted not in platforms:
            reason = (
                "CannotPullContainerError: image Manifest does not contain descriptor matching "
                f"platform '{wanted}'"
            )
            return pull_failure(ctx, "ARCH_MISMATCH", name, reason, container_reason=True)
    return None


def _platforms(manifest: str) -> set[str] | None:
    """Platforms of a manifest list or OCI index; None for a single-platform manifest."""
    document = json.loads(manifest)
    if "manifests" not in document:
        return None
    return {
        f"{m['platform'].get('os', 'linux')}/{m['platform'].get('architecture', '')}"
        for m in document["manifests"]
        if m.get("platform")
    }


def check_ephemeral_storage(ctx: LaunchContext) -> Failure | None:
    """The images' layers must fit Fargate's ephemeral storage (HOST_DISK_FULL)."""
    launch = Launch.of(ctx)
    if launch is None:
        return None
    storage = launch.definition.get("ephemeralStorage") or {}
    capacity = int(storage.get("sizeInGiB", DEFAULT_EPHEMERAL_GIB)) * GIB
    used = 0
    for name, _, repository, reference in launch.ecr_images():
        found = launch.view.image(repository, reference)
        used += _layers_size(found["manifest"]) if found else 0
        if used > capacity:
            reason = (
                "CannotPullContainerError: failed to extract layer: write /var/lib/containerd/"
                "io.containerd.snapshotter.v1.overlayfs/snapshots/41/fs/opt/model/weights.bin: "
                "no space left on device: unknown"
            )
            return pull_failure(ctx, "HOST_DISK_FULL", name, reason, container_reason=True)
    return None


def _layers_size(manifest: str) -> int:
    return sum(int(layer.get("size", 0)) for layer in json.loads(manifest).get("layers", []))


# --- stage 4: secrets and parameters ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SecretRef:
    """One `secrets[]` entry of a container definition, parsed."""

    container: str
    name: str
    value_from: str
    kind: str  # asm | ssm
    secret_id: str  # the ARN without the JSON-key suffix, or the parameter name
    region: str
    json_key: str | None = None


def secret_refs(launch: Launch) -> Iterator[SecretRef]:
    """Every secret and parameter the containers reference."""
    for container in launch.containers():
        for entry in container.get("secrets") or []:
            yield _parse_ref(str(container["name"]), entry, launch.view.region)


def _parse_ref(container: str, entry: dict[str, Any], region: str) -> SecretRef:
    value_from = str(entry.get("valueFrom", ""))
    name = str(entry.get("name", ""))
    parts = value_from.split(":")
    if value_from.startswith("arn:") and parts[2] == "secretsmanager":
        secret_id = ":".join(parts[:7])
        key = parts[7] if len(parts) > 7 and parts[7] else None
        return SecretRef(container, name, value_from, "asm", secret_id, parts[3], key)
    if value_from.startswith("arn:"):
        parameter = parts[5].removeprefix("parameter")
        return SecretRef(container, name, value_from, "ssm", parameter, parts[3])
    return SecretRef(container, name, value_from, "ssm", value_from, region)


def check_secrets(ctx: LaunchContext) -> Failure | None:
    """Each secret must be reachable, exist, be readable and decryptable (stage 4)."""
    launch = Launch.of(ctx)
    paths = reach(ctx)
    if launch is None or paths is None:
        return None
    for ref in secret_refs(launch):
        failure = _secret_failure(ctx, launch, paths, ref)
        if failure is not None:
            return failure
    return None


def _secret_failure(
    ctx: LaunchContext, launch: Launch, paths: Reach, ref: SecretRef
) -> Failure | None:
    view, role = launch.view, launch.execution_role
    service = "secretsmanager" if ref.kind == "asm" else "ssm"
    where = (
        "unable to retrieve secret from asm" if ref.kind == "asm" else
        "unable to retrieve secrets from ssm"
    )  # fmt: skip
    head = f"{SECRETS_PREFIX}execution resource retrieval failed: {where}: "
    route = paths.service(service)
    if not route.ok:
        detail = (
            f"service call has been retried 5 time(s): RequestError: send request failed "
            f'caused by: Post "https://{service}.{ref.region}.amazonaws.com/": '
            f"{i_o_timeout(route.ip)}"
        )
        return _init_failure(ctx, route.code, ref.container, head + detail)
    if role is None:
        return None
    action = "secretsmanager:GetSecretValue" if ref.kind == "asm" else "ssm:GetParameters"
    found = _find(view, ref)
    resource = found[0] if found else _resource(view, ref)
    endpoint = view.endpoint(service)
    if endpoint is not None and endpoint.get("PrivateDnsEnabled"):
        by_endpoint, _ = evaluate_resource_policy(
            str(endpoint.get("PolicyDocument") or "{}"), view.assumed(role), view.account,
            Request(action, resource),
        )  # fmt: skip
        if not by_endpoint.allowed:
            detail = (
                f"service call has been retried 1 time(s): AccessDeniedException: User: "
                f"{view.assumed(role)} is not authorized to perform: {action} on resource: "
                f"{resource} because no VPC endpoint policy allows the {action} action"
            )
            return _init_failure(ctx, "VPC_ENDPOINT_MISCONFIG", ref.container, head + detail)
    if found is None:
        return _init_failure(ctx, "SECRET_NOT_FOUND", ref.container, head + _missing(ref))
    decision = view.allowed(role, action, resource)
    if not decision.allowed:
        denied = not_authorized(view.assumed(role), action, resource, decision)
        detail = f"service call has been retried 1 time(s): AccessDeniedException: {denied}"
        return _init_failure(ctx, "SECRETS_FETCH_DENIED", ref.container, head + detail)
    return _decrypt_and_key(ctx, view, role, ref, found, head)


def _decrypt_and_key(  # noqa: PLR0917 - one secret's whole context
    ctx: LaunchContext,
    view: AccountView,
    role: RoleView,
    ref: SecretRef,
    found: tuple[str, str | None, str | None],
    head: str,
) -> Failure | None:
    arn, key_id, value = found
    aws_managed = not key_id or key_id.startswith("alias/aws/")  # aws/ssm, aws/secretsmanager
    key = None if aws_managed else view.key(str(key_id))
    service = "secretsmanager" if ref.kind == "asm" else "ssm"
    if key is not None and key.customer_managed:
        via = f"{service}.{ref.region}.amazonaws.com"
        if not view.key_allows(key, role, "kms:Decrypt", via).allowed:
            detail = (
                f"service call has been retried 1 time(s): failed to fetch secret {arn} from "
                "secrets manager: AccessDeniedException: Access to KMS is not allowed"
                if ref.kind == "asm"
                else "service call has been retried 1 time(s): AccessDeniedException: "
                f"{view.assumed(role)} is not authorized to perform: kms:Decrypt on resource: "
                f"{key.arn}"
            )
            return _init_failure(ctx, "KMS_DECRYPT_DENIED", ref.container, head + detail)
    if ref.json_key and not _has_key(value, ref.json_key):
        detail = f"retrieved secret from Secrets Manager did not contain json key {ref.json_key}"
        return _init_failure(ctx, "SECRET_NOT_FOUND", ref.container, head + detail)
    return None


def _find(view: AccountView, ref: SecretRef) -> tuple[str, str | None, str | None] | None:
    """(ARN, KMS key id, value) of the referenced secret or parameter, None when missing."""
    if ref.region != view.region:
        other = AccountView(view.account, ref.region, view.subnet, view.task_arn)
        return _find(other, ref)
    if ref.kind == "asm":
        secret = view.secret(ref.secret_id)
        return None if secret is None else (secret.arn, secret.kms_key_id, secret.value)
    parameter = view.parameter(ref.secret_id)
    return None if parameter is None else (parameter[0], parameter[1], None)


def _resource(view: AccountView, ref: SecretRef) -> str:
    if ref.kind == "asm" or ref.secret_id.startswith("arn:"):
        return ref.secret_id
    name = ref.secret_id.removeprefix("/")
    return f"arn:aws:ssm:{ref.region}:{view.account}:parameter/{name}"


def _missing(ref: SecretRef) -> str:
    if ref.kind == "ssm":
        return f"service call has been retried 1 time(s): invalid parameters: {ref.secret_id}"
    return (
        "service call has been retried 1 time(s): ResourceNotFoundException: The task can't "
        f"retrieve the secret with ARN '{ref.secret_id}' from AWS Secrets Manager. Check "
        "whether the secret exists in the specified Region"
    )


def _has_key(value: str | None, key: str) -> bool:
    try:
        document = json.loads(value or "")
    except ValueError:
        return False
    return isinstance(document, dict) and key in document


def _init_failure(ctx: LaunchContext, code: str, container: str, reason: str) -> Failure:
    return pull_failure(ctx, code, container, reason, container_reason=False, after_s=INIT_S)


# --- stage 5: logging ---------------------------------------------------------------------


def check_logging(ctx: LaunchContext) -> Failure | None:
    """awslogs: reachable, the group exists or may be created, the role may write (stage 5)."""
    launch = Launch.of(ctx)
    paths = reach(ctx)
    if launch is None or paths is None:
        return None
    for container in launch.containers():
        config = container.get("logConfiguration") or {}
        if config.get("logDriver") != "awslogs":
            continue
        failure = _logging_failure(ctx, launch, paths, str(container["name"]), config)
        if failure is not None:
            return failure
    return None


def _logging_failure(
    ctx: LaunchContext, launch: Launch, paths: Reach, container: str, config: dict[str, Any]
) -> Failure | None:
    view, role = launch.view, launch.execution_role
    options = config.get("options") or {}
    group = str(options.get("awslogs-group", ""))
    region = str(options.get("awslogs-region", view.region))
    stream = f"{options.get('awslogs-stream-prefix', 'ecs')}/{container}/{view.task_id}"
    stream_arn = f"arn:aws:logs:{region}:{view.account}:log-group:{group}:log-stream:{stream}"
    route = paths.service("logs")
    if not route.ok:
        reason = (
            f"{LOGGER_PREFIX}create stream has been retried 1 times: failed to create Cloudwatch "
            f'log stream: RequestError: send request failed caused by: Post "https://logs.'
            f'{region}.amazonaws.com/": {i_o_timeout(route.ip)} : exit status 1'
        )
        return _init_failure(ctx, "LOG_DELIVERY_DENIED", container, reason)
    if role is None:
        return None
    if not view.log_group_exists(group, region):
        return _missing_group(ctx, view, role, container, group, region, options)
    for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
        decision = view.allowed(role, action, stream_arn)
        if not decision.allowed:
            denied = not_authorized(view.assumed(role), action, stream_arn, decision)
            reason = (
                f"{LOGGER_PREFIX}create stream has been retried 1 times: failed to create "
                f"Cloudwatch log stream: AccessDeniedException: {denied} : exit status 1"
            )
            return _init_failure(ctx, "LOG_DELIVERY_DENIED", container, reason)
    return None


def _missing_group(  # noqa: PLR0917 - one container's whole logging context
    ctx: LaunchContext,
    view: AccountView,
    role: RoleView,
    container: str,
    group: str,
    region: str,
    options: dict[str, Any],
) -> Failure | None:
    """No group: the driver creates it when told to and allowed; else the task cannot log."""
    group_arn = f"arn:aws:logs:{region}:{view.account}:log-group:{group}:log-stream:"
    if str(options.get("awslogs-create-group", "")).lower() != "true":
        reason = (
            f"{LOGGER_PREFIX}The task cannot find the Amazon CloudWatch log group defined in the "
            "task definition. failed to initialize logging driver: create stream has been "
            "retried 1 times: failed to create Cloudwatch log stream: ResourceNotFoundException: "
            "The specified log group does not exist. : exit status 1"
        )
        return _init_failure(ctx, "LOG_GROUP_MISSING", container, reason)
    decision = view.allowed(role, "logs:CreateLogGroup", group_arn)
    if not decision.allowed:
        denied = not_authorized(view.assumed(role), "logs:CreateLogGroup", group_arn, decision)
        reason = (
            f"{LOGGER_PREFIX}failed to initialize logging driver: failed to create Cloudwatch "
            f"log group: AccessDeniedException: {denied} : exit status 1"
        )
        return _init_failure(ctx, "LOG_DELIVERY_DENIED", container, reason)
    logs = inprocess.client(view.account, region, "logs")
    logs.create_log_group(logGroupName=group)  # what the awslogs driver does
    return None


# --- roles ECS must assume, and the application's own AWS calls -------------------------

ASSUME_ROLE = (
    "ECS was unable to assume the role '{arn}' that was provided for this task. Please verify "
    "that the role being passed has the proper trust relationship and permissions and that "
    "your IAM user has permissions to pass this role."
)


def check_roles_assumable(ctx: LaunchContext) -> Failure | None:
    """The execution and task roles must exist and trust ecs-tasks (ROLE_TRUST_INVALID)."""
    launch = Launch.of(ctx)
    if launch is None:
        return None
    for key in ("executionRoleArn", "taskRoleArn"):
        arn = launch.definition.get(key)
        role = launch.view.role(arn) if arn else None
        if arn and (role is None or "ecs-tasks.amazonaws.com" not in role.trusted):
            message = ASSUME_ROLE.format(arn=arn)
            failure = _init_failure(ctx, "ROLE_TRUST_INVALID", _first(launch), message)
            event = f"(service {{service}}) failed to launch a task with (error {message})"
            return dataclasses.replace(failure, after_s=PROVISIONING_S, event=event)
    return None


def _first(launch: Launch) -> str:
    return str(next(launch.containers())["name"])


def check_task_role_calls(ctx: LaunchContext) -> Failure | None:
    """The application's start-up AWS calls run as the task role (TASK_ROLE_PERMISSION_DENIED)."""
    launch = Launch.of(ctx)
    if launch is None:
        return None
    arn = launch.definition.get("taskRoleArn")
    role = launch.view.role(arn) if arn else None
    for container in ctx.task_definition.containers:
        for call in ctx.profile(container.name).aws_calls:
            action, _, resource = call.partition(" ")
            decision = launch.view.allowed(role, action, resource) if role else None
            if decision is not None and decision.allowed:
                continue
            line = "NoCredentialsError: Unable to locate credentials"
            if role and decision:
                principal = launch.view.assumed(role)
                line = f"AccessDenied: {not_authorized(principal, action, resource, decision)}"
            return _app_exit(ctx, container.name, line)
    return None


def _app_exit(ctx: LaunchContext, container: str, line: str) -> Failure:
    after = CRASH_AFTER_S + 1.0
    return Failure(
        "TASK_ROLE_PERMISSION_DENIED", False, after, "EssentialContainerExited",
        ESSENTIAL_EXITED, others_stopped(ctx, container, ContainerEnd(1)),
        (LogLine(after - 0.5, container, line),),
    )  # fmt: skip


# --- stage 3, images outside AWS: private repositories and anonymous pull limits -----------

DOCKER_HUB_LIMIT = (
    "429 Too Many Requests - Server message: toomanyrequests: You have reached your pull rate "
    "limit. You may increase the limit by authenticating and upgrading: "
    "https://www.docker.com/increase-rate-limit"
)


def check_external_images(ctx: LaunchContext) -> Failure | None:
    """Private images need working repositoryCredentials; anonymous pulls may hit a limit."""
    launch = Launch.of(ctx)
    paths = reach(ctx)
    if launch is None or paths is None:
        return None
    host = f"{launch.view.account}.dkr.ecr."
    for container in launch.containers():
        image = str(container.get("image", ""))
        declared = external.lookup(launch.view.account, image)
        if image.startswith(host) or declared is None:
            continue
        failure = _external_failure(ctx, launch, paths, container, declared)
        if failure is not None:
            return failure
    return None


def _external_failure(
    ctx: LaunchContext,
    launch: Launch,
    paths: Reach,
    container: dict[str, Any],
    declared: external.ExternalImage,
) -> Failure | None:
    name, image = str(container["name"]), str(container["image"])
    credentials = (container.get("repositoryCredentials") or {}).get("credentialsParameter")
    if credentials:
        return _credentials_failure(ctx, launch, name, str(credentials), declared)
    repository = external.normalize(image).rsplit(":", 1)[0].removeprefix("docker.io/library/")
    if declared.private:
        reason = (
            "CannotPullContainerError: pull access denied for "
            f"{repository.removeprefix('docker.io/')}, repository does not exist or may require "
            "'docker login': denied: requested access to the resource is denied"
        )
        return pull_failure(ctx, "PRIVATE_REGISTRY_CREDS", name, reason, container_reason=True)
    egress = paths.default_target or f"eip-{launch.view.task_id}"
    if not external.anonymous_pull(launch.view.account, egress, declared):
        reason = (
            "CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
            f"resolve ref {external.normalize(image)}: unexpected status from HEAD request: "
            f"{DOCKER_HUB_LIMIT}"
        )
        return pull_failure(ctx, "IMAGE_PULL_RATE_LIMITED", name, reason, container_reason=True)
    return None


def _credentials_failure(
    ctx: LaunchContext,
    launch: Launch,
    container: str,
    secret_id: str,
    declared: external.ExternalImage,
) -> Failure | None:
    """repositoryCredentials: the secret must exist, be readable, and hold the right login."""
    view, role = launch.view, launch.execution_role
    head = (
        f"{SECRETS_PREFIX}execution resource retrieval failed: unable to retrieve secret from asm: "
    )
    secret = view.secret(secret_id)
    if secret is None:
        detail = (
            "service call has been retried 1 time(s): ResourceNotFoundException: Secrets "
            "Manager can't find the specified secret."
        )
        return _init_failure(ctx, "PRIVATE_REGISTRY_CREDS", container, head + detail)
    action = "secretsmanager:GetSecretValue"
    decision = view.allowed(role, action, secret.arn) if role else None
    if role is None or decision is None or not decision.allowed:
        principal = view.assumed(role) if role else "the task"
        denied = not_authorized(principal, action, secret.arn, decision or Decision("implicitDeny"))
        detail = f"service call has been retried 1 time(s): AccessDeniedException: {denied}"
        return _init_failure(ctx, "PRIVATE_REGISTRY_CREDS", container, head + detail)
    login = _login(secret.value)
    if declared.private and (login is None or login[0] != declared.username):
        reason = (
            f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to "
            f"resolve ref {external.normalize(declared.reference)}: failed to authorize: failed to "
            "fetch oauth token: unexpected status: 401 Unauthorized: unauthorized: incorrect "
            "username or password"
        )
        return pull_failure(ctx, "PRIVATE_REGISTRY_CREDS", container, reason, container_reason=True)
    return None


def _login(value: str | None) -> tuple[str, str] | None:
    try:
        document = json.loads(value or "")
    except ValueError:
        return None
    if not isinstance(document, dict) or "username" not in document or "password" not in document:
        return None
    return str(document["username"]), str(document["password"])


# --- before any task: what makes ECS refuse to launch at all ------------------------------

SLR_MISSING = (
    "(service {service}) failed to launch a task with (error Unable to assume the service "
    "linked role. Please verify that the ECS service linked role exists.)"
)


def launch_refusal(account: str, region: str, subnets: tuple[str, ...]) -> str | None:
    """The service event when ECS cannot launch any task ({service} to fill), or None."""
    view = AccountView(account, region, subnets[0], "")
    if view.role_named(_moto_iam.SERVICE_LINKED_ROLE) is None:
        return SLR_MISSING
    return placement_refusal(view, subnets)

"""Image and registry failures (catalogue section 1)."""

from __future__ import annotations

import re

from ecs_medic.aws.snapshot import ImageCheck, ServiceSnapshot, Task
from ecs_medic.aws.snapshot_access import PolicyDecision
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .signals import (
    DESCRIBE_TASKS,
    Signal,
    TaskHit,
    config_severity,
    contains_any,
    find_signal,
    impact_severity,
    is_fargate,
    plural,
    rollback_hint,
    rollback_level,
    short_of_capacity,
    task_reasons,
)

MAX_TASK_EVIDENCE = 5
PULL_ERROR = ("CannotPullContainer",)
NOT_FOUND = ("failed to resolve ref", "not found", "manifest unknown", "does not exist")
# Pull failures that look alike but belong to other codes: auth (IMAGE_PULL_AUTH,
# PRIVATE_REGISTRY_CREDS), rate limits, architecture, disk, and networking.
OTHER_PULL_CAUSES = (
    "pull access denied",
    "forbidden",
    "accessdenied",
    "unauthorized",
    "toomanyrequests",
    "rate limit",
    "no matching manifest",
    "descriptor matching platform",
    "no space left",
    "timeout",
    "timed out",
    "dial tcp",
    "connection",
    "no such host",
    "context deadline exceeded",
    "httpreaderseeker",
)
HTTP_403 = re.compile(r"\b403\b")  # a status code, not digits inside an account id
MISSING_IMAGE_ERRORS = ("ImageNotFound", "RepositoryNotFound")


def image_pull_not_found(snapshot: ServiceSnapshot) -> list[Finding]:
    """IMAGE_PULL_NOT_FOUND: the image, tag or repository does not exist."""
    pulls = [(t, r) for t in snapshot.stopped_tasks if (r := _not_found_reason(t))]
    missing = [i for i in snapshot.images if _is_missing(i)]
    if not pulls and not missing:
        return []
    evidence = [Evidence(DESCRIBE_TASKS, t.arn, reason) for t, reason in pulls[:MAX_TASK_EVIDENCE]]
    evidence += [_image_evidence(i) for i in missing]
    return [
        make_finding(
            "IMAGE_PULL_NOT_FOUND",
            summary=_summary(snapshot, len(pulls), missing),
            evidence=evidence,
            remediation=(
                f"Push {_missing_names(snapshot, pulls, missing)}, or point the service at a "
                "task-definition revision whose image exists"
                f"{rollback_hint(snapshot)}, then update the service; prefer immutable tags."
            ),
            severity=impact_severity(snapshot) if pulls else Severity.MEDIUM,
            confidence=_confidence(bool(pulls), bool(missing)),
            auto_level=rollback_level(snapshot),
            affected_tasks=len(pulls),
        )
    ]


def _missing_names(
    snapshot: ServiceSnapshot, pulls: list[tuple[Task, str]], missing: list[ImageCheck]
) -> str:
    """The images to push: those ECR lacks, else those of the failing containers."""
    names = [i.image for i in missing]
    definition = snapshot.current_task_definition
    if not names and definition:
        named = [c.image for c in definition.containers if any(c.image in r for _, r in pulls)]
        names = named or [c.image for c in definition.containers if ECR_HOST in c.image]
    return ", ".join(dict.fromkeys(names)) or "the missing image or tag"


def _not_found_reason(task: Task) -> str | None:
    """Return the task's pull error when it says the image was not found."""
    return next(
        (
            reason
            for reason in task_reasons(task)
            if contains_any(reason, PULL_ERROR)
            and contains_any(reason, NOT_FOUND)
            and not contains_any(reason, OTHER_PULL_CAUSES)
            and not HTTP_403.search(reason)
        ),
        None,
    )


def _is_missing(image: ImageCheck) -> bool:
    """Tell whether ECR says the image or its repository does not exist."""
    return not image.exists and (
        image.error_code is None or contains_any(image.error_code, MISSING_IMAGE_ERRORS)
    )


def _image_evidence(image: ImageCheck) -> Evidence:
    """Quote ECR's answer for a missing image, under the operation that gave it."""
    error = image.error_code or "not found"
    return Evidence(image.source, image.repository, f"{error}: {image.image}")


def _summary(snapshot: ServiceSnapshot, pulls: int, missing: list[ImageCheck]) -> str:
    """Say how many tasks failed to pull and which images ECR does not have."""
    parts = []
    if pulls:
        total = plural(len(snapshot.stopped_tasks), "stopped task")
        parts.append(f"{pulls} of {total} could not pull their image (not found)")
    if missing:
        images = ", ".join(i.image for i in missing)
        parts.append(f"ECR has no {images}")
    return "; ".join(parts)


def _confidence(pulls: bool, missing: bool) -> float:
    """Rate the finding higher when the stopped tasks and ECR agree."""
    if pulls and missing:
        return 0.95
    return 0.85 if pulls else 0.8


# --- who may pull: ECR permissions and private-registry credentials --------------------

PULL_DENIED = (
    "pull access denied",
    "403 forbidden",
    "unexpected status code 403",
    "unable to retrieve ecr registry auth",
    "check that the role has the permissions to pull images",
    "not authorized to perform: ecr:",
    "unauthorized",
    "authentication required",
)
REGISTRY_SECRET = ("unable to pull secrets or registry auth",)
# A 403 from the S3 layer store is ECR_LAYER_S3_UNREACHABLE, not a registry permission.
LAYER_STORE = ("httpreaderseeker", "starport-layer-bucket")
ECR_ACTIONS = (
    "ecr:GetAuthorizationToken",
    "ecr:BatchGetImage",
    "ecr:GetDownloadUrlForLayer",
    "ecr:BatchCheckLayerAvailability",
)
ECR_HOST = ".dkr.ecr."
ECR_WORDS = ("ecr registry auth", ECR_HOST, "ecr:")
IAM_SIMULATE = "iam:SimulatePrincipalPolicy"


def image_pull_auth(snapshot: ServiceSnapshot) -> list[Finding]:
    """IMAGE_PULL_AUTH: ECR refuses the pull because the puller role lacks permission."""
    signal = find_signal(snapshot, PULL_DENIED, LAYER_STORE)
    hits = tuple(h for h in signal.tasks if _ecr_hit(snapshot, h))
    signal = Signal(hits, tuple(e for e in signal.events if ECR_HOST in e.message.lower()))
    denied = [d for d in snapshot.access.decisions if d.action in ECR_ACTIONS and not d.allowed]
    if not signal and not (denied and short_of_capacity(snapshot)):
        return []
    role = _puller(snapshot)
    return [
        make_finding(
            "IMAGE_PULL_AUTH",
            summary=(
                f"{plural(len(hits), 'task')} could not pull from ECR: access denied"
                + (
                    f"; {role} is denied {', '.join(sorted({d.action for d in denied}))}"
                    if denied
                    else ""
                )
            ),
            evidence=[*signal.evidence(snapshot), *(_decision_evidence(d) for d in denied)],
            remediation=(
                f"Attach the AWS-managed AmazonECSTaskExecutionRolePolicy to {role}, or allow "
                f"{', '.join(ECR_ACTIONS)} on the repository; for a cross-account image, grant "
                "that role in the repository policy (and in the ECR endpoint policy)."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.9 if signal and denied else (0.85 if signal else 0.7),
            affected_tasks=len(hits),
        )
    ]


def private_registry_creds(snapshot: ServiceSnapshot) -> list[Finding]:
    """PRIVATE_REGISTRY_CREDS: a non-ECR registry refuses the pull, or its credentials fail."""
    denied = find_signal(snapshot, PULL_DENIED, LAYER_STORE)
    hits = [h for h in denied.tasks if not _ecr_hit(snapshot, h)]
    creds = _credential_containers(snapshot)
    broken = _broken_credentials(snapshot, creds)
    secret_errors = find_signal(snapshot, REGISTRY_SECRET).tasks if broken else ()
    signal = Signal((*hits, *secret_errors))
    if not signal and not (broken and short_of_capacity(snapshot)):
        return []
    return [
        make_finding(
            "PRIVATE_REGISTRY_CREDS",
            summary=_creds_summary(signal, creds, broken),
            evidence=[*signal.evidence(snapshot), *broken],
            remediation=_creds_fix(snapshot, creds),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.9 if signal and broken else 0.8,
            affected_tasks=len(signal.tasks),
        )
    ]


def _hit_image(snapshot: ServiceSnapshot, hit: TaskHit) -> str | None:
    """The image the failing container pulls (from the task, else its task definition)."""
    container = next((c for c in hit.task.containers if c.name == hit.container), None)
    if container and container.image:
        return container.image
    definition = snapshot.task_definition(hit.task.task_definition_arn)
    if definition is None:
        return None
    spec = definition.container(hit.container) if hit.container else None
    images = [spec.image] if spec else [c.image for c in definition.containers]
    return next((i for i in images if not _is_ecr(i)), images[0] if images else None)


def _ecr_hit(snapshot: ServiceSnapshot, hit: TaskHit) -> bool:
    """Tell whether the failed pull was from ECR: the message says so, or the image is in ECR."""
    return contains_any(hit.detail, ECR_WORDS) or _is_ecr(_hit_image(snapshot, hit))


def _is_ecr(image: str | None) -> bool:
    """Tell whether the image lives in a private ECR registry."""
    return image is not None and ECR_HOST in image


def _puller(snapshot: ServiceSnapshot) -> str:
    """The role that pulls: the execution role on Fargate, the instance role on EC2."""
    definition = snapshot.current_task_definition
    if is_fargate(snapshot) or (definition and definition.execution_role_arn):
        return (definition.execution_role_arn if definition else None) or "the execution role"
    return "the container instance role"


def _decision_evidence(decision: PolicyDecision) -> Evidence:
    """Quote one policy simulation result."""
    return Evidence(
        IAM_SIMULATE,
        decision.role_arn,
        f"{decision.action} on {decision.resource}: {decision.decision}",
    )


def _credential_containers(snapshot: ServiceSnapshot) -> list[tuple[str, str, str]]:
    """(container, image, credentialsParameter) for containers with repositoryCredentials."""
    definition = snapshot.current_task_definition
    containers = definition.containers if definition else ()
    return [
        (c.name, c.image, c.repository_credentials) for c in containers if c.repository_credentials
    ]


def _broken_credentials(
    snapshot: ServiceSnapshot, creds: list[tuple[str, str, str]]
) -> list[Evidence]:
    """Evidence that a credentials secret is missing or unreadable by the execution role."""
    arns = {arn for _, _, arn in creds}
    missing = [
        Evidence("secretsmanager:DescribeSecret", s.value_from, f"{s.error_code or 'not found'}")
        for s in snapshot.access.secrets
        if s.value_from in arns and s.exists is False
    ]
    denied = [
        _decision_evidence(d)
        for d in snapshot.access.decisions
        if d.resource in arns and not d.allowed
    ]
    return missing + denied


def _creds_summary(
    signal: Signal, creds: list[tuple[str, str, str]], broken: list[Evidence]
) -> str:
    """Say which registry refused and what is wrong with the credentials."""
    lead = f"{plural(len(signal.tasks), 'task')} could not authenticate to a private registry"
    if not creds:
        return lead + "; no container has repositoryCredentials"
    names = ", ".join(f"{name} ({image})" for name, image, _ in creds)
    state = "; its credentials secret is missing or unreadable" if broken else ""
    return f"{lead} for {names}{state}"


def _creds_fix(snapshot: ServiceSnapshot, creds: list[tuple[str, str, str]]) -> str:
    """Name the secret and role to repair, or say to add repositoryCredentials."""
    definition = snapshot.current_task_definition
    role = (definition.execution_role_arn if definition else None) or "the execution role"
    if not creds:
        return (
            "Add repositoryCredentials.credentialsParameter (a Secrets Manager secret with "
            f"username and password) to the container, readable by {role}; or move the image to "
            "ECR (pull-through cache)."
        )
    secrets = ", ".join(arn for _, _, arn in creds)
    return (
        f"Make sure secret {secrets} exists with username and password keys and that {role} "
        "may secretsmanager:GetSecretValue on it (and kms:Decrypt for a customer-managed key)."
    )

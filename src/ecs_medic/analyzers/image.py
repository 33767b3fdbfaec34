"""Image and registry failures (catalogue section 1)."""

from __future__ import annotations

import re

from ecs_medic.aws.snapshot import ImageCheck, ServiceSnapshot, Task
from ecs_medic.findings import Evidence, Finding, Severity, make_finding

from .signals import DESCRIBE_TASKS, contains_any, impact_severity, plural, task_reasons

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
                "Push the missing image or tag, or point the service at a task-definition "
                "revision whose image exists (the last COMPLETED one), then update the service; "
                "prefer immutable tags over :latest."
            ),
            severity=impact_severity(snapshot) if pulls else Severity.MEDIUM,
            confidence=_confidence(bool(pulls), bool(missing)),
            affected_tasks=len(pulls),
        )
    ]


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
    """Quote the ECR answer for a missing image."""
    source = (
        "ecr:DescribeRepositories"
        if contains_any(image.error_code, ["RepositoryNotFound"])
        else "ecr:DescribeImages"
    )
    error = image.error_code or "not found"
    return Evidence(source, image.repository, f"{error}: {image.image}")


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

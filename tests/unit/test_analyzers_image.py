"""IMAGE_PULL_NOT_FOUND: missing image from stopped reasons and from ECR."""

from __future__ import annotations

from dataclasses import replace

import pytest
from builders import IMAGE, PULL_NOT_FOUND, pull_task, snapshot

from ecs_medic.analyzers.image import image_pull_not_found
from ecs_medic.aws.snapshot import ImageCheck

MISSING = ImageCheck(IMAGE, "ledger-api", "v42", exists=False, error_code="ImageNotFoundException")


def test_healthy_service_has_no_pull_finding():
    """Existing images and no stopped tasks make no finding."""
    assert [] == image_pull_not_found(snapshot())


def test_not_found_pull_error_alone_is_enough():
    """A CannotPullContainerError saying 'not found' makes the finding and is quoted."""
    [finding] = image_pull_not_found(snapshot(stopped_tasks=(pull_task(1), pull_task(2))))
    assert "2 of 2 stopped tasks could not pull their image (not found)" == finding.summary
    assert PULL_NOT_FOUND == finding.evidence[0].detail


def test_missing_image_in_ecr_alone_is_enough():
    """ECR's ImageNotFoundException makes the finding before any task fails."""
    [finding] = image_pull_not_found(snapshot(images=(MISSING,)))
    assert ("ecr:BatchGetImage", f"ImageNotFoundException: {IMAGE}") == (
        finding.evidence[0].source,
        finding.evidence[0].detail,
    )


@pytest.mark.parametrize("source", ["ecr:DescribeImages", "ecr:DescribeRepositories"])
def test_missing_image_evidence_names_the_ecr_call_that_answered(source):
    """The evidence quotes the operation recorded in ImageCheck.source, not a guess."""
    gone = replace(MISSING, error_code="RepositoryNotFoundException", source=source)
    [finding] = image_pull_not_found(snapshot(images=(gone,)))
    assert (source, "ledger-api") == (finding.evidence[0].source, finding.evidence[0].resource)


def test_pull_error_and_ecr_together_raise_confidence():
    """Both signals agreeing give a higher confidence than either alone."""
    alone = image_pull_not_found(snapshot(stopped_tasks=(pull_task(1),)))[0]
    both = image_pull_not_found(snapshot(stopped_tasks=(pull_task(1),), images=(MISSING,)))[0]
    assert both.confidence > alone.confidence


@pytest.mark.parametrize(
    "reason",
    [
        "CannotPullContainerError: API error (404): repository 2109.dkr.ecr.x/ledger not found",
        "CannotPullContainerError: Error response from daemon: manifest unknown",
        "CannotPullContainerError: Error response from daemon: manifest for ledger:v9 not found",
    ],
)
def test_older_and_docker_not_found_forms_are_recognised(reason):
    """The EC2 and Docker wordings of a missing image are the same failure."""
    assert ["IMAGE_PULL_NOT_FOUND"] == [
        f.code for f in image_pull_not_found(snapshot(stopped_tasks=(pull_task(1, reason),)))
    ]


@pytest.mark.parametrize(
    "reason",
    [
        "CannotPullContainerError: pull access denied for ledger-api, repository does not exist "
        "or may require 'docker login'",
        "CannotPullContainerError: failed to resolve reference x: unexpected status code 403 "
        "Forbidden",
        "CannotPullContainerError: unable to retrieve ecr registry auth: AccessDeniedException",
        "CannotPullContainerError: failed to resolve ref x: dial tcp 52.94.1.1:443: i/o timeout",
        "CannotPullContainerError: no matching manifest for linux/arm64 in the manifest list",
    ],
)
def test_auth_network_and_platform_pull_errors_are_not_not_found(reason):
    """Access denied, 403, timeouts and platform mismatches belong to other codes."""
    assert [] == image_pull_not_found(snapshot(stopped_tasks=(pull_task(1, reason),)))


def test_account_id_digits_do_not_look_like_http_403():
    """An account id containing 403 does not hide a real not-found error."""
    reason = PULL_NOT_FOUND.replace("210987654321", "140345678901")
    assert 1 == len(image_pull_not_found(snapshot(stopped_tasks=(pull_task(1, reason),))))


def test_ecr_access_denied_is_not_a_missing_image():
    """An image ECR could not be asked about is not reported as missing."""
    denied = ImageCheck(
        IMAGE, "ledger-api", "v42", exists=False, error_code="AccessDeniedException"
    )
    assert [] == image_pull_not_found(snapshot(images=(denied,)))

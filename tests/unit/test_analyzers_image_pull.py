"""Image pulls: ECR permissions, private registries, rate limits, platforms, layers, disk."""

from __future__ import annotations

from dataclasses import replace

from builders import (
    EXEC_ROLE,
    IMAGE,
    app_exit_task,
    deployment,
    failed_deployment,
    failing,
    log,
    network_view,
    private_table,
    pull_task,
    service,
    snapshot,
    task,
    task_definition,
    td_arn,
)

from ecs_medic.analyzers import analyze
from ecs_medic.analyzers.image import image_pull_auth, image_pull_not_found, private_registry_creds
from ecs_medic.analyzers.image_host import (
    arch_mismatch,
    ecr_layer_s3_unreachable,
    host_disk_full,
    image_pull_rate_limited,
)
from ecs_medic.aws.snapshot import AccessView, Container, ImageCheck
from ecs_medic.aws.snapshot_access import ImageManifest, PolicyDecision
from ecs_medic.aws.snapshot_network import Route

HUB_IMAGE = "docker.io/acme/ledger-worker:3.1"
ROLE_CANT_PULL = (
    "CannotPullContainerError: The task can't pull the image. Check that the role has the "
    "permissions to pull images from the registry."
)
ECR_403 = (
    f"CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve "
    f'reference "{IMAGE}": unexpected status code 403 Forbidden'
)
HUB_DENIED = (
    "CannotPullContainerError: Error response from daemon: pull access denied for "
    "acme/ledger-worker, "
    "repository does not exist or may require 'docker login': denied: requested access to the "
    "resource is denied"
)
RATE = (
    "CannotPullContainerError: inspect image has been retried 1 time(s): toomanyrequests: You "
    "have reached your pull rate limit."
)


def hub_definition(**container: object) -> object:
    """The task definition with the app image on Docker Hub."""
    definition = task_definition()
    app = definition.container("app")
    assert app is not None
    return replace(
        definition,
        containers=(definition.containers[0], replace(app, image=HUB_IMAGE, **container)),
    )


def hub_task(n: int, reason: str) -> object:
    """A task whose Docker Hub app image could not be pulled."""
    return task(
        n,
        stop_code="TaskFailedToStart",
        stopped_reason=reason,
        containers=(Container("envoy"), Container("app", image=HUB_IMAGE, reason=reason)),
    )


def test_role_cannot_pull_from_ecr_is_image_pull_auth():
    """The Fargate role-permission message with a denying simulation."""
    denied = PolicyDecision(
        EXEC_ROLE,
        "ecr:BatchGetImage",
        "arn:aws:ecr:eu-west-1:210987654321:repository/ledger-api",
        "implicitDeny",
    )
    snap = failing(
        snapshot(
            stopped_tasks=(pull_task(1, ROLE_CANT_PULL),), access=AccessView(decisions=(denied,))
        )
    )
    [finding] = image_pull_auth(snap)
    assert (
        f"Attach the AWS-managed AmazonECSTaskExecutionRolePolicy to {EXEC_ROLE}"
        in finding.remediation
    )
    assert 0.9 == finding.confidence


def test_ecr_403_variant_is_auth_not_not_found():
    """'failed to resolve reference ... 403 Forbidden' is a permission problem, not a lost tag."""
    snap = failing(snapshot(stopped_tasks=(pull_task(1, ECR_403), pull_task(2, ECR_403))))
    assert ["IMAGE_PULL_AUTH"] == [f.code for f in analyze(snap).findings]
    assert [] == image_pull_not_found(snap)


def test_docker_hub_denial_is_private_registry_creds():
    """A pull denied by a non-ECR registry belongs to PRIVATE_REGISTRY_CREDS."""
    snap = failing(
        snapshot(stopped_tasks=(hub_task(1, HUB_DENIED),), task_definitions=(hub_definition(),))
    )
    assert ["PRIVATE_REGISTRY_CREDS"] == [f.code for f in analyze(snap).findings]
    assert (
        "Add repositoryCredentials.credentialsParameter"
        in private_registry_creds(snap)[0].remediation
    )


def test_ecr_denial_is_not_private_registry_creds():
    """The ECR look-alike does not fire the private-registry code."""
    snap = failing(snapshot(stopped_tasks=(pull_task(1, ECR_403),)))
    assert [] == private_registry_creds(snap)


def test_missing_image_is_not_auth():
    """The nearest look-alike, a missing tag, is not IMAGE_PULL_AUTH."""
    assert [] == image_pull_auth(failing(snapshot(stopped_tasks=(pull_task(1),))))


def test_rate_limit_names_the_image():
    """toomanyrequests from Docker Hub is IMAGE_PULL_RATE_LIMITED for that image."""
    snap = failing(
        snapshot(
            stopped_tasks=(hub_task(1, RATE), hub_task(2, RATE)),
            task_definitions=(hub_definition(),),
        )
    )
    [finding] = image_pull_rate_limited(snap)
    assert f"2 tasks hit the registry's pull rate limit for {HUB_IMAGE}" == finding.summary
    assert "PRIVATE_REGISTRY_CREDS" not in [f.code for f in analyze(snap).findings]


def test_platform_error_with_an_arm_only_manifest_is_arch_mismatch():
    """Fargate's 'descriptor matching platform' plus an arm64-only manifest."""
    reason = (
        "CannotPullContainerError: image Manifest does not contain descriptor matching platform "
        "'linux/amd64'"
    )
    manifests = (ImageManifest(IMAGE, ("linux/arm64",)),)
    snap = failing(
        snapshot(stopped_tasks=(pull_task(1, reason),), access=AccessView(manifests=manifests))
    )
    [finding] = arch_mismatch(snap)
    assert f"The tasks need linux/amd64 but {IMAGE} offers only linux/arm64" == finding.summary
    assert 0.95 == finding.confidence


def test_exec_format_error_in_logs_explains_the_app_exit():
    """A single-arch image starts and dies with exec format error: ARCH_MISMATCH over exit 1."""
    crashed = app_exit_task(1)
    snap = failing(
        snapshot(
            stopped_tasks=(crashed,),
            log_events=(log(crashed, "exec /app/server: exec format error"),),
        )
    )
    findings = analyze(snap).findings
    assert [("ARCH_MISMATCH", None), ("ESSENTIAL_CONTAINER_EXIT", "ARCH_MISMATCH")] == [
        (f.code, f.caused_by) for f in findings
    ]


def test_multi_arch_manifest_is_no_mismatch():
    """A manifest offering amd64 is fine, even while other tasks fail."""
    manifests = (ImageManifest(IMAGE, ("linux/amd64", "linux/arm64")),)
    assert [] == arch_mismatch(failing(snapshot(access=AccessView(manifests=manifests))))


def test_s3_layer_error_shows_the_route_without_an_s3_endpoint():
    """httpReaderSeeker failures with a private route table and no S3 gateway endpoint."""
    reason = (
        "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: "
        "httpReaderSeeker: "
        "failed open: unexpected status code https://prod-eu-west-1-starport-layer-bucket.s3..."
    )
    isolated = private_table(
        Route(destination_cidr="10.99.0.0/16", gateway_id="vgw-1", state="active")
    )
    snap = failing(
        snapshot(
            stopped_tasks=(pull_task(1, reason),), network=network_view(route_tables=(isolated,))
        )
    )
    findings = analyze(snap).findings
    assert ["ECR_LAYER_S3_UNREACHABLE"] == [f.code for f in findings]
    assert "no S3 gateway endpoint on this table" in findings[0].summary


def test_disk_full_on_ec2_asks_to_prune():
    """'no space left on device' on EC2 gives the instance-side fix."""
    reason = (
        "CannotPullContainerError: write /var/lib/docker/tmp/GetImageBlob123: no space left on "
        "device"
    )
    snap = failing(
        snapshot(
            stopped_tasks=(pull_task(1, reason),), service=service(running=0, launch_type="EC2")
        )
    )
    [finding] = host_disk_full(snap)
    assert finding.remediation.startswith("Prune unused images")


def test_devmapper_variant_on_fargate_asks_for_ephemeral_storage():
    """The devmapper thin-pool message is disk full too; on Fargate raise ephemeral storage."""
    reason = (
        "CannotCreateContainerError: API error (500): devmapper: Thin Pool has 4350 free data "
        "blocks which is less"
    )
    [finding] = host_disk_full(failing(snapshot(stopped_tasks=(pull_task(1, reason),))))
    assert finding.remediation.startswith("Raise ephemeralStorage.sizeInGiB")


def test_healthy_service_has_no_image_finding():
    """No stopped tasks: none of the pull analyzers fire."""
    snap = snapshot()
    found = (
        image_pull_auth(snap)
        + private_registry_creds(snap)
        + image_pull_rate_limited(snap)
        + arch_mismatch(snap)
        + ecr_layer_s3_unreachable(snap)
        + host_disk_full(snap)
    )
    assert [] == found


def test_layer_store_403_is_s3_layers_not_registry_auth():
    """A 403 from the S3 layer bucket is ECR_LAYER_S3_UNREACHABLE only."""
    reason = (
        "CannotPullContainerError: ref pull has been retried 1 time(s): failed to copy: "
        "httpReaderSeeker: failed open: unexpected status code "
        "https://prod-eu-west-1-starport-layer-bucket.s3.eu-west-1.amazonaws.com/: 403 Forbidden"
    )
    snap = failing(snapshot(stopped_tasks=(pull_task(1, reason),)))
    assert ["ECR_LAYER_S3_UNREACHABLE"] == [f.code for f in analyze(snap).findings]


def test_missing_image_fix_names_the_image_and_the_last_completed_revision():
    """Revision 8 cannot pull; revision 7 completed earlier: the fix names both."""
    deployments = (failed_deployment(8), deployment(7, status="ACTIVE"))
    svc = replace(service(running=0, deployments=deployments), task_definition_arn=td_arn(8))
    snap = snapshot(
        service=svc,
        task_definitions=(task_definition(8), task_definition(7)),
        stopped_tasks=(pull_task(1),),
        images=(ImageCheck(IMAGE, "ledger-api", "v42", False, "ImageNotFoundException"),),
    )
    [finding] = image_pull_not_found(snap)
    assert finding.remediation.startswith(
        f"Push {IMAGE}, or point the service at a task-definition revision whose image exists "
        "(the last COMPLETED revision is ledger-api:7)"
    )

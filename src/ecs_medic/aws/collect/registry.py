"""ECR images of the task definitions: existence, digest and platforms, one call per repository.

BatchGetImage answers for several tags at once, reports a missing tag in `failures` instead
of failing the call, and returns the manifest, so an index's platforms come for free.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from concurrent.futures import Future

from ecs_medic.aws.collect.reader import Missing, Reader, unique
from ecs_medic.aws.images import EcrImage, parse_ecr_image
from ecs_medic.aws.parsing import Json
from ecs_medic.aws.parsing_access import parse_manifest
from ecs_medic.aws.snapshot import ImageCheck, TaskDefinition
from ecs_medic.aws.snapshot_access import ImageManifest

MEDIA_TYPES = [
    "application/vnd.docker.distribution.manifest.list.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v1+prettyjws",
    "application/vnd.docker.distribution.manifest.v1+json",
]
# BatchGetImage failure codes, in the exception names the rest of ecs-medic matches on.
_FAILURE_CODES = {"ImageNotFound": "ImageNotFoundException"}

Images = tuple[tuple[ImageCheck, ...], tuple[ImageManifest, ...]]


def ecr_images(definitions: Iterable[TaskDefinition], region: str) -> list[EcrImage]:
    """The ECR images of these task definitions that live in `region`."""
    uris = unique(c.image for td in definitions for c in td.containers)
    return [i for i in map(parse_ecr_image, uris) if i and i.region == region]


def images(reader: Reader, definitions: Future[tuple[TaskDefinition, ...]], region: str) -> Images:
    """Check every ECR image of the task definitions, one BatchGetImage per repository."""
    by_repository: dict[tuple[str, str], list[EcrImage]] = defaultdict(list)
    for image in ecr_images(definitions.result(), region):
        by_repository[image.registry_id, image.repository].append(image)
    answers = reader.map(lambda group: _repository(reader, group), by_repository.values())
    checks = tuple(c for found, _ in answers for c in found)
    return checks, tuple(m for _, manifests in answers for m in manifests)


def _repository(
    reader: Reader, group: list[EcrImage]
) -> tuple[list[ImageCheck], list[ImageManifest]]:
    first = group[0]
    params = {
        "registryId": first.registry_id,
        "repositoryName": first.repository,
        "imageIds": [i.image_id for i in group],
        "acceptedMediaTypes": MEDIA_TYPES,
    }
    response = reader.lookup("ecr", "BatchGetImage", params, first.uri)
    if response is None:
        return [], []  # the gap says the images are unknown; they are not reported missing
    if isinstance(response, Missing):
        return [i.check(exists=False, error_code=response.code) for i in group], []
    return [_check(i, response) for i in group], _manifests(group, response)


def _matches(image: EcrImage, image_id: Json) -> bool:
    if image.digest:
        return image_id.get("imageDigest") == image.digest
    return image_id.get("imageTag") == (image.tag or "latest")


def _entry(image: EcrImage, entries: Iterable[Json] | None) -> Json | None:
    """The `images` or `failures` entry that answers for this image."""
    return next((e for e in entries or () if _matches(image, e.get("imageId") or {})), None)


def _check(image: EcrImage, response: Json) -> ImageCheck:
    found = _entry(image, response.get("images"))
    if found is not None:
        return image.check(exists=True, digest=(found.get("imageId") or {}).get("imageDigest"))
    failure = _entry(image, response.get("failures")) or {}
    code = str(failure.get("failureCode") or "ImageNotFound")
    return image.check(exists=False, error_code=_FAILURE_CODES.get(code, code))


def _manifests(group: list[EcrImage], response: Json) -> list[ImageManifest]:
    manifests = []
    for image in group:
        found = _entry(image, response.get("images"))
        manifest = parse_manifest(image.uri, found.get("imageManifest")) if found else None
        if manifest is not None:
            manifests.append(manifest)
    return manifests

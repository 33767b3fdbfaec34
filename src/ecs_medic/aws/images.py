"""Recognise ECR image URIs: `<account>.dkr.ecr.<region>.amazonaws.com/<repo>[:tag|@digest]`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ecs_medic.aws.snapshot import ImageCheck

_ECR = re.compile(
    r"^(?P<account>\d{12})\.dkr\.ecr(?:-fips)?\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/"
    r"(?P<repo>[^:@]+)(?:@(?P<digest>sha256:[0-9a-f]+)|:(?P<tag>[^@]+))?$"
)


@dataclass(frozen=True, slots=True)
class EcrImage:
    """An image in an ECR repository, by tag or digest."""

    uri: str
    registry_id: str
    region: str
    repository: str
    tag: str | None
    digest: str | None

    @property
    def image_id(self) -> dict[str, str]:
        """The `imageIds` entry ECR's DescribeImages takes."""
        return {"imageDigest": self.digest} if self.digest else {"imageTag": self.tag or "latest"}

    def check(
        self, *, exists: bool, error_code: str | None = None, digest: str | None = None
    ) -> ImageCheck:
        """The snapshot record of whether this image exists."""
        return ImageCheck(
            image=self.uri,
            repository=self.repository,
            tag_or_digest=self.digest or self.tag or "latest",
            exists=exists,
            error_code=error_code,
            digest=digest,
        )


def parse_ecr_image(uri: str) -> EcrImage | None:
    """The ECR parts of an image URI, or None for images in other registries."""
    match = _ECR.match(uri)
    if not match:
        return None
    return EcrImage(
        uri=uri,
        registry_id=match["account"],
        region=match["region"],
        repository=match["repo"],
        tag=match["tag"],
        digest=match["digest"],
    )

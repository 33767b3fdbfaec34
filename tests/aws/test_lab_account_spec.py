"""The `account:` section of a scenario: parsed strictly, with clear messages for bad input."""

from __future__ import annotations

import pytest

from ecs_medic.lab.account_spec import parse_account
from ecs_medic.lab.errors import ScenarioError
from ecs_medic.lab.external import normalize


def test_an_unknown_key_is_named_in_the_error():
    """A typo in the section fails with the key and where it is, not a traceback."""
    with pytest.raises(ScenarioError, match=r"x\.yaml: account\.network: unknown keys natt"):
        parse_account({"network": {"natt": False}}, "x.yaml: account")


def test_a_section_that_is_not_a_mapping_is_refused():
    """`roles: [..]` instead of a mapping is a ScenarioError."""
    with pytest.raises(ScenarioError, match="expected a mapping, got list"):
        parse_account({"roles": ["web"]}, "x.yaml: account")


def test_roles_endpoints_and_images_are_typed():
    """Endpoints keep Private DNS, roles their trust, images their platforms."""
    spec = parse_account(
        {
            "network": {"nat": False, "endpoints": {"ecr.dkr": {"private_dns": False}, "s3": {}}},
            "roles": {"{cluster}-exec": {"trust": ["ec2.amazonaws.com"]}},
            "images": {"web": {"2.0.0": {"platforms": ["linux/arm64"]}}},
        },
        "x.yaml: account",
    )
    assert (False, ("ecr.dkr", "s3")) == (
        spec.network.nat,
        tuple(e.service for e in spec.network.endpoints),
    )
    assert (False, True) == tuple(e.private_dns for e in spec.network.endpoints)
    assert ("ec2.amazonaws.com",) == spec.roles[0].trust
    assert ("linux/arm64",) == spec.images[0].platforms


@pytest.mark.parametrize(
    ("image", "full"),
    [
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("acme/web", "docker.io/acme/web:latest"),
        ("ghcr.io/acme/web:2", "ghcr.io/acme/web:2"),
    ],
)
def test_docker_references_are_normalized(image: str, full: str):
    """Short Docker Hub names get their registry, namespace and tag."""
    assert full == normalize(image)

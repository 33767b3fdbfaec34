"""Registries outside AWS (Docker Hub, GHCR...): which images are private, and pull limits.

No AWS API shows them, so a scenario declares them (`account.external_images`) and the builder
registers them here for the lab's account. Anonymous pulls are counted per egress address (a
NAT gateway's, shared by every task behind it), the way Docker Hub limits them per six hours -
a window no lab run outlasts, so the count never expires; an image nobody declared is public and
unlimited.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ExternalImage:
    """An image in a registry outside AWS."""

    reference: str  # normalized: docker.io/library/nginx:1.25
    private: bool = False
    username: str = ""  # the account that may pull a private image
    anonymous_limit: int | None = None  # anonymous pulls per egress address per window
    anonymous_pulls_used: int = 0  # already used by others behind the same address


@dataclass
class _World:
    owner: int  # id() of the account builder that registered it (one per lab)
    images: dict[str, ExternalImage]
    pulls: dict[str, int]  # egress address -> anonymous pulls counted


_lock = threading.Lock()
_worlds: dict[str, _World] = {}


def normalize(image: str) -> str:
    """A Docker reference in full: registry host, namespace, repository, tag."""
    first, _, rest = image.partition("/")
    if not rest or ("." not in first and ":" not in first and first != "localhost"):
        host, path = "docker.io", image
    else:
        host, path = first, rest
    if host == "docker.io" and "/" not in path:
        path = f"library/{path}"
    if ":" not in path.rsplit("/", 1)[-1] and "@" not in path:
        path = f"{path}:latest"
    return f"{host}/{path}"


def register(account: str, owner: int, images: tuple[ExternalImage, ...]) -> None:
    """Declare a lab's external images; a new lab in the same account starts a new world."""
    with _lock:
        world = _worlds.get(account)
        if world is None or world.owner != owner:
            world = _worlds[account] = _World(owner, {}, {})
        for image in images:
            world.images[normalize(image.reference)] = image


def lookup(account: str, image: str) -> ExternalImage | None:
    """The declared image, or None (public, unlimited)."""
    with _lock:
        world = _worlds.get(account)
        return None if world is None else world.images.get(normalize(image))


def anonymous_pull(account: str, egress: str, image: ExternalImage) -> bool:
    """Count one anonymous pull from `egress`; False when the limit is used up."""
    if image.anonymous_limit is None:
        return True
    with _lock:
        world = _worlds[account]
        used = world.pulls.get(egress, 0)
        if image.anonymous_pulls_used + used >= image.anonymous_limit:
            return False
        world.pulls[egress] = used + 1
        return True

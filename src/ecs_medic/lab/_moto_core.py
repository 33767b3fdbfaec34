"""What every `_moto*` module shares: the lab's scope, its backends, and how moto is patched.

A patch wraps one moto method: the wrapper gets moto's original method first, then the
call's own arguments, so it can call through and adjust what moto did or refuse first.
Each module installs its patches once per process, through `once`.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from moto.backends import get_backend

Wrapper = Callable[..., Any]  # (original, self, *args, **kwargs) -> what the method returns


@dataclass(frozen=True, slots=True)
class Scope:
    """One lab's account and region: which moto backends it reads and writes."""

    account: str
    region: str


def moto_backend(service: str, scope: Scope) -> Any:
    """Moto's backend object of `service` (e.g. "ecs", "ec2") for the scope's account and region."""
    return get_backend(service)[scope.account][scope.region]  # type: ignore[call-overload]


def wrap(owner: type, name: str, wrapper: Wrapper) -> None:
    """Replace `owner.name` by `wrapper`, which is called with moto's original method first."""
    original = getattr(owner, name)

    def patched(*args: Any, **kwargs: Any) -> Any:
        return wrapper(original, *args, **kwargs)

    patched.__name__ = patched.__qualname__ = name
    setattr(owner, name, patched)


def once(install: Callable[[], None]) -> Callable[[], None]:
    """`install`, run the first time it is called only (the patches are process-wide)."""
    lock = threading.Lock()
    done: list[bool] = []

    def run() -> None:
        with lock:
            if not done:
                install()
                done.append(True)

    run.__doc__ = install.__doc__
    return run

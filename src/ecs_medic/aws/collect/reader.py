"""The collector's side of the gateway: calls whose failures become gaps, and a pool for fan-out.

Two thread pools keep the waves deadlock-free: family pipelines (network, access, capacity...)
run in their own threads and may wait on anything; the calls they fan out run in the call
pool and never wait on another future.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from ecs_medic.aws.gateway import ErrorKind, Gateway, GatewayError
from ecs_medic.aws.snapshot import Gap

T = TypeVar("T")
R = TypeVar("R")
P = ParamSpec("P")
Response = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Missing:
    """AWS answered that the resource does not exist: evidence, not a failed source."""

    code: str


class Reader:
    """Gateway calls for the collector; every failure is recorded as a Gap and read as None."""

    def __init__(self, gateway: Gateway, pool: ThreadPoolExecutor) -> None:
        self.gateway = gateway
        self._pool = pool
        self._gaps: list[Gap] = []
        self._lock = threading.Lock()

    @property
    def gaps(self) -> tuple[Gap, ...]:
        """The gaps recorded so far."""
        with self._lock:
            return tuple(self._gaps)

    def gap(self, source: str, reason: str, detail: str = "", resource: str = "") -> None:
        """Record a source that could not be read (or was deliberately not read)."""
        with self._lock:
            self._gaps.append(Gap(source, reason, detail[:300], resource))

    def failed(self, error: GatewayError, resource: str = "") -> None:
        """Record a failed call as a gap."""
        detail = error.message
        if error.kind is ErrorKind.ERROR:  # the kind says little; keep the AWS code
            detail = f"{error.code}: {' '.join(error.message.split())}"
        self.gap(error.source, error.kind.value, detail, resource)

    def call(
        self, service: str, operation: str, params: Mapping[str, Any], resource: str = ""
    ) -> Response | None:
        """One call; a failure of any kind becomes a gap and None."""
        try:
            return self.gateway.call(service, operation, params)
        except GatewayError as exc:
            self.failed(exc, resource)
            return None

    def lookup(
        self,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        resource: str = "",
        *,
        missing: Iterable[str] = (),
    ) -> Response | Missing | None:
        """A call where "not found" (or an error code in `missing`) is an answer, not a gap."""
        try:
            return self.gateway.call(service, operation, params)
        except GatewayError as exc:
            if exc.kind is ErrorKind.NOT_FOUND or exc.code in set(missing):
                return Missing(exc.code)
            self.failed(exc, resource)
            return None

    def pages(
        self,
        service: str,
        operation: str,
        params: Mapping[str, Any],
        *,
        limit: int,
        resource: str = "",
        token: str = "nextToken",  # noqa: S107 - the pagination key, not a secret
    ) -> Iterator[Response]:
        """Follow the `token` for at most `limit` pages; a failure ends the pages with a gap."""
        next_token: str | None = None
        for _ in range(limit):
            request = {**params, token: next_token} if next_token else params
            page = self.call(service, operation, request, resource)
            if page is None:
                return
            yield page
            next_token = page.get(token)
            if not next_token:
                return

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Run a leaf function (one that never waits on a future) in the call pool."""
        return self._pool.submit(fn, *args, **kwargs)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`fn` over `items` in the call pool, results in order."""
        futures = [self._pool.submit(fn, item) for item in items]
        return [f.result() for f in futures]


def unique(values: Iterable[str | None]) -> list[str]:
    """Distinct non-empty values in first-seen order."""
    return list(dict.fromkeys(v for v in values if v))


def batches(items: list[T], size: int) -> list[list[T]]:
    """`items` in chunks of at most `size` (DescribeTasks takes 100)."""
    return [items[i : i + size] for i in range(0, len(items), size)]

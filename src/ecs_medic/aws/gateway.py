"""The one door to AWS: every read goes through a Gateway, whatever the transport.

Operations are named as in the AWS API (`ecs`, `DescribeServices`) and take and return the
API's own JSON shapes, so the direct (boto3) and MCP transports are interchangeable and the
collector never knows which one it talks to. Failures come back as `GatewayError` with a
kind the collector turns into a gap.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol


class ErrorKind(StrEnum):
    """What went wrong with one call, coarse enough to act on."""

    ACCESS_DENIED = "AccessDenied"
    THROTTLED = "Throttling"
    TIMEOUT = "Timeout"
    NOT_FOUND = "NotFound"
    NO_CREDENTIALS = "NoCredentials"
    UNAVAILABLE = "Unavailable"
    ERROR = "Error"


class GatewayError(Exception):
    """One AWS call failed; `code` is the AWS error code when there is one."""

    def __init__(self, source: str, kind: ErrorKind, code: str, message: str) -> None:
        super().__init__(f"{source}: {code}: {message}")
        self.source = source
        self.kind = kind
        self.code = code
        self.message = message


class Gateway(Protocol):
    """A transport that performs AWS API reads and counts them."""

    @property
    def transport(self) -> str:
        """Short name of the transport: "direct" or "mcp"."""
        ...

    @property
    def api_calls(self) -> int:
        """How many AWS API calls this gateway has made."""
        ...

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run one API operation and return its response; raise GatewayError on failure."""
        ...


def source_name(service: str, operation: str) -> str:
    """The evidence source label for an operation, e.g. "ecs:DescribeTasks"."""
    return f"{service}:{operation}"


class CountingGateway:
    """A Gateway that also counts its calls per operation (benchmarks and tests read them)."""

    def __init__(self, inner: Gateway) -> None:
        self.inner = inner
        self.operations: Counter[str] = Counter()  # "ecs:DescribeServices" -> calls

    @property
    def transport(self) -> str:
        """The wrapped gateway's transport."""
        return self.inner.transport

    @property
    def api_calls(self) -> int:
        """The wrapped gateway's count."""
        return self.inner.api_calls

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Count the call, then let the wrapped gateway make it."""
        self.operations[source_name(service, operation)] += 1
        return self.inner.call(service, operation, params)

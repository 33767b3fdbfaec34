"""A Gateway that answers from a table, for pure tests of context and collection."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ecs_medic.aws.gateway import ErrorKind, GatewayError, source_name

Answer = dict[str, Any] | GatewayError | Callable[[Mapping[str, Any]], dict[str, Any]]


class FakeGateway:
    """Answers (service, operation) from `answers`; records every call it gets."""

    transport = "fake"

    def __init__(self, answers: Mapping[tuple[str, str], Answer]) -> None:
        self.answers = dict(answers)
        self.calls: list[tuple[str, str, dict[str, Any]]] = []

    @property
    def api_calls(self) -> int:
        return len(self.calls)

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        params = dict(params or {})
        self.calls.append((service, operation, params))
        answer = self.answers.get((service, operation))
        if answer is None:
            raise GatewayError(
                source_name(service, operation), ErrorKind.ERROR, "NotStubbed", "no answer"
            )
        if isinstance(answer, GatewayError):
            raise answer
        if callable(answer):
            return answer(params)
        return answer


def denied(service: str, operation: str) -> GatewayError:
    """The error AWS gives when IAM denies an operation."""
    return GatewayError(
        source_name(service, operation),
        ErrorKind.ACCESS_DENIED,
        "AccessDeniedException",
        "not authorized",
    )

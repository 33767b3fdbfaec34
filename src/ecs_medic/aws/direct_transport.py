"""The direct transport: boto3 clients behind the Gateway interface."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import boto3
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)
from botocore.loaders import create_loader
from botocore.parsers import ResponseParserError
from botocore.session import Session as BotocoreSession

from ecs_medic.aws.gateway import ErrorKind, GatewayError, source_name

_ACCESS_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
    }
)
_THROTTLE_CODES = frozenset(
    {"Throttling", "ThrottlingException", "RequestLimitExceeded", "TooManyRequestsException"}
)
_CREDENTIAL_CODES = frozenset({"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException"})


def classify(code: str) -> ErrorKind:
    """The ErrorKind of an AWS error code."""
    if code in _ACCESS_CODES:
        return ErrorKind.ACCESS_DENIED
    if code in _THROTTLE_CODES:
        return ErrorKind.THROTTLED
    if code in _CREDENTIAL_CODES:
        return ErrorKind.NO_CREDENTIALS
    if code.endswith(("NotFoundException", "NotFound")) or code.startswith("NoSuch"):
        return ErrorKind.NOT_FOUND
    return ErrorKind.ERROR


class DirectGateway:
    """Calls AWS with boto3; one cached client per service, safe to share between threads."""

    def __init__(
        self,
        session: boto3.Session,
        region: str,
        *,
        endpoint_url: str | None = None,
        timeout_s: float = 10.0,
    ) -> None:
        self._session = session
        self._region = region
        self._endpoint_url = endpoint_url
        self._config = Config(
            connect_timeout=timeout_s,
            read_timeout=timeout_s,
            retries={"mode": "standard", "max_attempts": 3},
        )
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._calls = 0

    @property
    def session(self) -> boto3.Session:
        """The boto3 session, so the MCP transport can hand its credentials to its servers."""
        return self._session

    @property
    def transport(self) -> str:
        """Always "direct"."""
        return "direct"

    @property
    def api_calls(self) -> int:
        """Number of operations called so far (retries inside boto3 not counted)."""
        return self._calls

    def call(
        self, service: str, operation: str, params: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """Run one operation; translate every botocore failure into a GatewayError."""
        source = source_name(service, operation)
        client = self._client(service)
        with self._lock:
            self._calls += 1
        try:
            response: dict[str, Any] = getattr(client, xform_name(operation))(**(params or {}))
        except ClientError as exc:
            error = exc.response.get("Error", {})
            code = str(error.get("Code", "Error"))
            raise GatewayError(source, classify(code), code, str(error.get("Message", ""))) from exc
        except NoCredentialsError as exc:
            raise GatewayError(source, ErrorKind.NO_CREDENTIALS, "NoCredentials", str(exc)) from exc
        except (ConnectTimeoutError, ReadTimeoutError) as exc:
            raise GatewayError(source, ErrorKind.TIMEOUT, "Timeout", str(exc)) from exc
        except EndpointConnectionError as exc:
            raise GatewayError(
                source, ErrorKind.UNAVAILABLE, "EndpointConnection", str(exc)
            ) from exc
        except BotoCoreError as exc:
            raise GatewayError(source, ErrorKind.ERROR, type(exc).__name__, str(exc)) from exc
        except ResponseParserError as exc:  # e.g. an HTML 500 page where XML was expected
            raise GatewayError(source, ErrorKind.ERROR, "UnparsableResponse", str(exc)) from exc
        response.pop("ResponseMetadata", None)
        return response

    def _client(self, service: str) -> Any:
        with self._lock:
            if service not in self._clients:
                self._clients[service] = self._session.client(
                    service,  # type: ignore[call-overload]
                    region_name=self._region,
                    endpoint_url=self._endpoint_url,
                    config=self._config,
                )
            return self._clients[service]


# One loader for every session of the process: service models are parsed once, so a second
# diagnosis (a server, a fleet scan, the benchmark) does not pay ~0.4 s of CPU for clients.
_MODELS = create_loader()


def make_session(profile: str | None) -> boto3.Session:
    """A boto3 session on the standard chain; an unknown profile becomes a clear error."""
    core = BotocoreSession()
    core.register_component("data_loader", _MODELS)
    try:
        return boto3.Session(profile_name=profile, botocore_session=core)
    except BotoCoreError as exc:  # ProfileNotFound and friends
        raise GatewayError("aws:Session", ErrorKind.NO_CREDENTIALS, "Profile", str(exc)) from exc

"""boto3 clients that reach the lab's moto backends in-process, without HTTP.

The simulation decides a task's fate from the account's configuration *as the AWS API shows
it* (route tables, endpoints, role policies, secrets...). It reads it while a tick holds the
lab's lock, so it cannot go through the lab's HTTP server (whose requests wait for that lock).
These clients hand each signed request to moto's own WSGI dispatcher in the calling thread
instead: the same request parsing and response rendering as over HTTP, no socket, no lock,
no injected faults (faults model the *caller's* permissions, not the task's).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
from botocore.awsrequest import AWSPreparedRequest, AWSResponse, HTTPHeaders
from botocore.config import Config
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.test import Client

_ENDPOINT = "http://lab.internal"
_lock = threading.Lock()
_clients: dict[tuple[str, str, str], Any] = {}
_dispatcher: list[Client] = []
_generation = [0]  # bumped by every change the lab may not have seen; see `generation`
_READS = ("Describe", "Get", "List", "BatchGet", "Lookup", "Filter")


class _Body:
    """The raw body botocore reads a response from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        """The whole body as one chunk."""
        yield self._data


def client(account: str, region: str, service: str) -> Any:
    """A cached boto3 client for `service` that talks to the lab account in this process."""
    key = (account, region, service)
    with _lock:
        if key not in _clients:
            _clients[key] = _make(account, region, service)
        return _clients[key]


def _make(account: str, region: str, service: str) -> Any:
    session = boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's dummy credentials
        region_name=region,
    )
    made = session.client(  # type: ignore[call-overload]
        service, endpoint_url=_ENDPOINT, config=Config(retries={"max_attempts": 1})
    )

    def send(request: AWSPreparedRequest, event_name: str = "", **_: Any) -> AWSResponse:
        if not event_name.rsplit(".", 1)[-1].startswith(_READS):
            bump()
        return _dispatch(request, account)

    made.meta.events.register("before-send", send)
    return made


def generation() -> int:
    """A counter that changes whenever the account may have changed (for read caches)."""
    return _generation[0]


def bump() -> None:
    """Note a possible change: a request reached the lab, or an in-process client wrote."""
    _generation[0] += 1


def _wsgi() -> Client:
    if not _dispatcher:
        _dispatcher.append(Client(DomainDispatcherApplication(create_backend_app)))
    return _dispatcher[0]


def _headers(items: Iterable[tuple[str, str]]) -> HTTPHeaders:
    headers = HTTPHeaders()
    for name, value in items:
        headers[name] = value
    return headers


def _dispatch(request: AWSPreparedRequest, account: str) -> AWSResponse:
    """Serve one prepared botocore request with moto's dispatcher, in this thread."""
    headers = {
        k: v.decode() if isinstance(v, bytes) else str(v) for k, v in request.headers.items()
    }
    headers["x-moto-account-id"] = account
    body = request.body or b""
    if hasattr(body, "read"):
        body = body.read()
    url = urlsplit(request.url)
    response = _wsgi().open(
        url.path or "/",
        method=request.method or "GET",
        headers=headers,
        data=body if isinstance(body, bytes) else str(body).encode(),
        query_string=url.query,
        base_url=f"{url.scheme}://{url.netloc}",
    )
    return AWSResponse(
        request.url,
        response.status_code,
        _headers(response.headers.items()),
        _Body(response.get_data()),
    )

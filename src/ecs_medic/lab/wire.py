"""What the lab reads of an AWS request on the wire: its body, JSON or form, and its signer.

The request body is read once and put back, so whoever comes next (a stub, moto) reads it
again. The signer is the SigV4 credential scope: the access key and the region signed for.
"""

from __future__ import annotations

import io
import json
import re
from typing import Any
from urllib.parse import parse_qs

DEFAULT_REGION = "us-east-1"
_SIGNER = re.compile(r"Credential=([^/]+)/\d{8}/([^/]+)/")


def read_body(environ: dict[str, Any]) -> bytes:
    """The request body, restored for whoever reads it next."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return bytes(body)


def json_document(body: bytes) -> dict[str, Any]:
    """The JSON object of a JSON-protocol body (empty when there is none or it is not one)."""
    try:
        document = json.loads(body or b"{}")
    except ValueError:
        return {}
    return document if isinstance(document, dict) else {}


def form(environ: dict[str, Any], body: bytes) -> dict[str, list[str]]:
    """The query-protocol parameters of a request: its URL's and its form body's."""
    found = parse_qs(str(environ.get("QUERY_STRING", "")))
    found.update(parse_qs(body.decode("utf-8", "replace")))
    return found


def signer(environ: dict[str, Any]) -> tuple[str, str]:
    """(access key id, region) a request was signed with; ("", us-east-1) when unsigned."""
    match = _SIGNER.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return (match.group(1), match.group(2)) if match else ("", DEFAULT_REGION)

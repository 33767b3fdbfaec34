"""Service Quotas for the `fargate` service code, which moto 5.2.5 does not know (only `vpc`).

Served by lab/stubs.py before moto, in Service Quotas' JSON protocol: GetServiceQuota and
ListServiceQuotas read the applied On-Demand vCPU quota (L-3032A538) that the Fargate
placement stage compares with the vCPU in use (the lowest a scenario declared, see
lab/_moto_fargate.py); RequestServiceQuotaIncrease applies the new value at once (AWS
approves small increases automatically, usually within minutes), so the next placement sees it.
"""

from __future__ import annotations

import io
import json
import re
import uuid
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from ecs_medic.lab import _moto_fargate
from ecs_medic.lab._moto_core import Scope

_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([^/]+)/")
_NAMES = {_moto_fargate.VCPU_QUOTA: "Fargate On-Demand vCPU resource count"}
Reply = tuple[str, dict[str, Any]]


def answer(
    operation: tuple[str, str],
    environ: dict[str, Any],
    account: str,
    start_response: Callable[..., Any],
) -> Iterable[bytes] | None:
    """The lab's answer to a fargate Service Quotas call, or None to let moto answer."""
    handler = _HANDLERS.get(operation)
    if handler is None:
        return None
    params = _body(environ)
    if params.get("ServiceCode") != "fargate":
        return None
    match = _SCOPE.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    scope = Scope(account, match.group(1) if match else "us-east-1")
    status, payload = handler(scope, params)
    start_response(status, [("Content-Type", "application/x-amz-json-1.1")])
    return [json.dumps(payload).encode()]


def _body(environ: dict[str, Any]) -> dict[str, Any]:
    """The JSON request body; restored for moto in case the lab does not answer."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    raw = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(raw)
    try:
        parsed = json.loads(raw or b"{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _quota(scope: Scope, code: str, value: float) -> dict[str, Any]:
    return {
        "ServiceCode": "fargate",
        "ServiceName": "AWS Fargate",
        "QuotaArn": f"arn:aws:servicequotas:{scope.region}:{scope.account}:fargate/{code}",
        "QuotaCode": code,
        "QuotaName": _NAMES[code],
        "Value": value,
        "Unit": "None",
        "Adjustable": True,
        "GlobalQuota": False,
    }


def _not_found(code: str) -> Reply:
    return "400 Bad Request", {
        "__type": "NoSuchResourceException",
        "Message": f"The request failed because the specified quota {code} does not exist.",
    }


def get_service_quota(scope: Scope, params: dict[str, Any]) -> Reply:
    """GetServiceQuota: the applied value."""
    code = str(params.get("QuotaCode", ""))
    value = _moto_fargate.quota(scope, code)
    if value is None:
        return _not_found(code)
    return "200 OK", {"Quota": _quota(scope, code, value)}


def list_service_quotas(scope: Scope, params: dict[str, Any]) -> Reply:
    """ListServiceQuotas: the fargate quotas the lab models."""
    del params
    return "200 OK", {
        "Quotas": [_quota(scope, code, _moto_fargate.quota(scope, code) or 0.0) for code in _NAMES]
    }


def request_service_quota_increase(scope: Scope, params: dict[str, Any]) -> Reply:
    """RequestServiceQuotaIncrease: approved and applied at once."""
    code = str(params.get("QuotaCode", ""))
    current = _moto_fargate.quota(scope, code)
    if current is None:
        return _not_found(code)
    desired = float(params.get("DesiredValue", 0))
    if desired <= current:
        return "400 Bad Request", {
            "__type": "IllegalArgumentException",
            "Message": f"The desired value {desired} must be greater than the current value "
            f"{current}.",
        }
    _moto_fargate.set_quota(scope, code, desired)
    now = datetime.now(UTC).timestamp()
    quota = _quota(scope, code, desired)
    return "200 OK", {
        "RequestedQuota": {
            "Id": uuid.uuid4().hex,
            "ServiceCode": "fargate",
            "ServiceName": quota["ServiceName"],
            "QuotaCode": code,
            "QuotaName": quota["QuotaName"],
            "QuotaArn": quota["QuotaArn"],
            "DesiredValue": desired,
            "Status": "APPROVED",
            "Created": now,
            "LastUpdated": now,
            "Unit": "None",
            "GlobalQuota": False,
        }
    }


_HANDLERS: dict[tuple[str, str], Callable[[Scope, dict[str, Any]], Reply]] = {
    ("servicequotas", "GetServiceQuota"): get_service_quota,
    ("servicequotas", "ListServiceQuotas"): list_service_quotas,
    ("servicequotas", "RequestServiceQuotaIncrease"): request_service_quota_increase,
}

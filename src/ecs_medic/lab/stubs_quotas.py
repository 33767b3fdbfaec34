"""Service Quotas for the `fargate` service code, which moto 5.2.5 does not know (only `vpc`).

Served by lab/stubs.py before moto, in Service Quotas' JSON protocol (other service codes are
left to moto): GetServiceQuota and ListServiceQuotas read the applied On-Demand vCPU quota
(L-3032A538) that the Fargate placement stage compares with the vCPU in use (the lowest a
scenario declared, see lab/_moto_fargate.py); RequestServiceQuotaIncrease applies the new
value at once (AWS approves small increases automatically, usually within minutes), so the
next placement sees it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from ecs_medic.lab import _moto_fargate
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab.stubs_json import Answer, JsonStub

_NAMES = {_moto_fargate.VCPU_QUOTA: "Fargate On-Demand vCPU resource count"}
Reply = Callable[[dict[str, Any], Scope], Answer]


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


def _not_found(code: str) -> Answer:
    return "400 Bad Request", {
        "__type": "NoSuchResourceException",
        "Message": f"The request failed because the specified quota {code} does not exist.",
    }


def get_service_quota(params: dict[str, Any], scope: Scope) -> Answer:
    """GetServiceQuota: the applied value."""
    code = str(params.get("QuotaCode", ""))
    value = _moto_fargate.quota(scope, code)
    if value is None:
        return _not_found(code)
    return "200 OK", {"Quota": _quota(scope, code, value)}


def list_service_quotas(params: dict[str, Any], scope: Scope) -> Answer:
    """ListServiceQuotas: the fargate quotas the lab models."""
    del params
    return "200 OK", {
        "Quotas": [_quota(scope, code, _moto_fargate.quota(scope, code) or 0.0) for code in _NAMES]
    }


def request_service_quota_increase(params: dict[str, Any], scope: Scope) -> Answer:
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


def _fargate_only(handler: Reply) -> JsonStub:
    """`handler` for the fargate service code; moto answers the ones it knows (e.g. vpc)."""

    def stub(params: dict[str, Any], scope: Scope) -> Answer | None:
        return handler(params, scope) if params.get("ServiceCode") == "fargate" else None

    return stub


JSON_STUBS: dict[tuple[str, str], JsonStub] = {
    ("servicequotas", "GetServiceQuota"): _fargate_only(get_service_quota),
    ("servicequotas", "ListServiceQuotas"): _fargate_only(list_service_quotas),
    ("servicequotas", "RequestServiceQuotaIncrease"): _fargate_only(request_service_quota_increase),
}

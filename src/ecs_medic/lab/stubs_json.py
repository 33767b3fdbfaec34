"""JSON-protocol operations moto 5.2.5 does not implement (it answers HTTP 500), from lab state.

- ecs:GetTaskProtection and ecs:UpdateTaskProtection: scale-in protection kept on the task,
  expiring in simulated time; the scheduler will not stop a protected task to scale in.
- ecs:ListServiceDeployments and ecs:DescribeServiceDeployments: the scheduler's own
  deployments (lab/service_deployments.py renders them), with the circuit breaker's
  failureCount and threshold, rollbacks and the deployment configuration.
- application-autoscaling:DescribeScalingActivities: the activities the lab's Application
  Auto Scaling simulation (lab/scaling.py) recorded, not-scaled ones included on request.

Each handler gets the request's JSON body and the lab's account and region, and returns an
HTTP status and a JSON document in the service's own shape (errors as `__type`/`message`).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ecs_medic.lab import _moto_scaling as store
from ecs_medic.lab._moto_core import Scope

Answer = tuple[str, dict[str, Any]]  # HTTP status, JSON document
JsonStub = Callable[[dict[str, Any], Scope], Answer | None]  # None: moto answers instead
_clocks: dict[str, Callable[[], float]] = {}  # account -> the lab's simulated clock
DEFAULT_PROTECTION_MIN = 120  # UpdateTaskProtection without expiresInMinutes (AWS: 2 hours)
MAX_PROTECTION_MIN = 2880


def register_clock(account: str, clock: Callable[[], float] | None) -> None:
    """Tell the stubs the simulated time of an account's lab (None forgets it)."""
    if clock is None:
        _clocks.pop(account, None)
    else:
        _clocks[account] = clock


def now(account: str) -> float:
    """The simulated time of the account's lab (the wall clock when none is registered)."""
    clock = _clocks.get(account)
    return clock() if clock else time.time()


def _error(code: str, message: str) -> Answer:
    return "400 Bad Request", {"__type": code, "message": message}


# --- task protection ------------------------------------------------------------------------


def get_task_protection(body: dict[str, Any], scope: Scope) -> Answer:
    """ecs:GetTaskProtection: each task's protection, expired ones reported unprotected."""
    cluster = str(body.get("cluster") or "default")
    protected, failures = [], []
    for ref in body.get("tasks") or ():
        task = store.find_task(scope, cluster, str(ref))
        if task is None:
            failures.append(_missing(str(ref)))
            continue
        protected.append(_protection_entry(task, now(scope.account)))
    return "200 OK", {"protectedTasks": protected, "failures": failures}


def update_task_protection(body: dict[str, Any], scope: Scope) -> Answer:
    """ecs:UpdateTaskProtection: set or clear protection; it expires in simulated time."""
    cluster = str(body.get("cluster") or "default")
    enabled = bool(body.get("protectionEnabled"))
    minutes = int(body.get("expiresInMinutes") or DEFAULT_PROTECTION_MIN)
    if enabled and not 1 <= minutes <= MAX_PROTECTION_MIN:
        return _error(
            "InvalidParameterException",
            f"expiresInMinutes must be between 1 and {MAX_PROTECTION_MIN}.",
        )
    moment = now(scope.account)
    protected, failures = [], []
    for ref in body.get("tasks") or ():
        task = store.find_task(scope, cluster, str(ref))
        if task is None or not store.task_running(task):
            failures.append(_missing(str(ref)))
            continue
        store.set_protection(task, enabled, moment + minutes * 60 if enabled else None)
        protected.append(_protection_entry(task, moment))
    return "200 OK", {"protectedTasks": protected, "failures": failures}


def _protection_entry(task: Any, moment: float) -> dict[str, Any]:
    enabled, expires = store.protection(task)
    live = enabled and (expires is None or expires > moment)
    entry: dict[str, Any] = {"taskArn": store.task_arn(task), "protectionEnabled": live}
    if live and expires is not None:
        entry["expirationDate"] = expires
    return entry


def _missing(ref: str) -> dict[str, str]:
    return {"arn": ref, "reason": "TASK_NOT_VALID", "detail": "The task is not valid."}


# --- service deployments --------------------------------------------------------------------

_SUMMARY = ("serviceDeploymentArn", "serviceArn", "clusterArn", "startedAt", "createdAt",
            "finishedAt", "targetServiceRevisionArn", "status", "statusReason")  # fmt: skip


def list_service_deployments(body: dict[str, Any], scope: Scope) -> Answer:
    """ecs:ListServiceDeployments: newest first, filtered by status and creation time."""
    cluster, service = str(body.get("cluster") or "default"), str(body.get("service") or "")
    found = store.service_deployments(scope, cluster, service)
    if found is None:
        return _error("ServiceNotFoundException", "Service not found.")
    statuses = set(body.get("status") or ())
    window = body.get("createdAt") or {}
    chosen = [
        e
        for e in found
        if (not statuses or e["status"] in statuses) and _within(e["createdAt"], window)
    ]
    start = int(body.get("nextToken") or 0)
    size = int(body.get("maxResults") or 20)
    page = chosen[start : start + size]
    answer: dict[str, Any] = {
        "serviceDeployments": [_summary(e) for e in page],
    }
    if start + size < len(chosen):
        answer["nextToken"] = str(start + size)
    return "200 OK", answer


def _summary(entry: dict[str, Any]) -> dict[str, Any]:
    full = entry | {"targetServiceRevisionArn": entry["targetServiceRevision"]["arn"]}
    return {k: full[k] for k in _SUMMARY if full.get(k) is not None}


def _within(created: float, window: dict[str, Any]) -> bool:
    before, after = window.get("before"), window.get("after")
    return (before is None or created < float(before)) and (after is None or created > float(after))


def describe_service_deployments(body: dict[str, Any], scope: Scope) -> Answer:
    """ecs:DescribeServiceDeployments: the full entries, a failure for each unknown ARN."""
    known = {e["serviceDeploymentArn"]: e for e in store.all_service_deployments(scope)}
    found, failures = [], []
    for arn in body.get("serviceDeploymentArns") or ():
        if arn in known:
            found.append(known[arn])
        else:
            failures.append({"arn": arn, "reason": "MISSING"})
    return "200 OK", {"serviceDeployments": found, "failures": failures}


# --- Application Auto Scaling ---------------------------------------------------------------


def describe_scaling_activities(body: dict[str, Any], scope: Scope) -> Answer:
    """application-autoscaling:DescribeScalingActivities, newest first."""
    namespace = body.get("ServiceNamespace")
    if not namespace:
        return _error("ValidationException", "ServiceNamespace is required.")
    found = store.activities(scope, str(namespace), body.get("ResourceId"))
    dimension = body.get("ScalableDimension")
    found = [a for a in found if dimension is None or a["ScalableDimension"] == dimension]
    if not body.get("IncludeNotScaledActivities"):
        found = [a for a in found if not a.get("NotScaledReasons")]
    start = int(body.get("NextToken") or 0)
    size = int(body.get("MaxResults") or 50)
    answer: dict[str, Any] = {"ScalingActivities": found[start : start + size]}
    if start + size < len(found):
        answer["NextToken"] = str(start + size)
    return "200 OK", answer


JSON_STUBS: dict[tuple[str, str], JsonStub] = {
    ("ecs", "GetTaskProtection"): get_task_protection,
    ("ecs", "UpdateTaskProtection"): update_task_protection,
    ("ecs", "ListServiceDeployments"): list_service_deployments,
    ("ecs", "DescribeServiceDeployments"): describe_service_deployments,
    ("application-autoscaling", "DescribeScalingActivities"): describe_scaling_activities,
}

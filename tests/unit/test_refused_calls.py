"""Write calls AWS refused (CloudTrail): collected, tied to the service, read as causes.

A deployment CI attempted and AWS refused leaves nothing on the service; CloudTrail has it.
The service here is ledger-api (family ledger-api) in cluster payments, as in builders.py.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from builders import NOW, TG_ARN, deployment, service, snapshot
from fake_account import TARGET, account

from ecs_medic.analyzers import analyze
from ecs_medic.analyzers.signals import service_calls
from ecs_medic.aws.collect.trail import MAX_REQUEST
from ecs_medic.aws.collector import Collector
from ecs_medic.aws.snapshot_trail import ApiCall
from ecs_medic.remedies.planners import build_plan

CI = "arn:aws:iam::111122223333:user/ci"


def refused(
    name: str, code: str, message: str, request: dict[str, object], **kw: object
) -> ApiCall:
    """A refused call of CI, a minute ago unless `time` says otherwise."""
    fields: dict[str, object] = {
        "time": NOW - timedelta(minutes=1),
        "source": "ecs.amazonaws.com",
        "name": name,
        "error_code": code,
        "error_message": message,
        "caller": CI,
        "request": json.dumps(request, sort_keys=True),
    }
    fields.update(kw)
    return ApiCall(**fields)  # type: ignore[arg-type]


SIZE = refused(
    "RegisterTaskDefinition",
    "ClientException",
    "No Fargate configuration exists for given values.",
    {"family": "ledger-api", "cpu": "512", "memory": "8192"},
)


def lookup_entry(call: dict[str, object]) -> dict[str, object]:
    """An Events[] entry of LookupEvents, its record as a JSON string."""
    return {
        "EventId": f"id-{call['eventName']}",
        "EventName": call["eventName"],
        "CloudTrailEvent": json.dumps(call),
    }


def refused_registration(
    request: dict[str, object], message: str = "Invalid 'cpu' setting for task."
) -> dict[str, object]:
    """The CloudTrail record of a RegisterTaskDefinition CI made and AWS refused."""
    return {
        "eventName": "RegisterTaskDefinition",
        "eventSource": "ecs.amazonaws.com",
        "eventTime": "2026-11-26T11:59:00Z",
        "errorCode": "ClientException",
        "errorMessage": message,
        "userIdentity": {"arn": CI},
        "requestParameters": request,
    }


def collected_calls(*records: dict[str, object]) -> tuple[ApiCall, ...]:
    """The refused calls the collector keeps when CloudTrail holds these records."""

    def events(params: dict[str, object]) -> dict[str, object]:
        wanted = params["LookupAttributes"][0]["AttributeValue"]  # type: ignore[index]
        return {"Events": [lookup_entry(r) for r in records if r["eventName"] == wanted]}

    return Collector(account(**{"cloudtrail:LookupEvents": events})).collect(TARGET).api_calls


def test_collector_keeps_only_the_refused_write_calls():
    """Successful calls are dropped; the error, caller and request of a refused one are kept."""
    ok = {"eventName": "UpdateService", "eventSource": "ecs.amazonaws.com"}
    bad = refused_registration({"family": "ledger-api", "cpu": "300"})

    calls = collected_calls(ok, bad)

    assert [("RegisterTaskDefinition", "ClientException", CI)] == [
        (c.name, c.error_code, c.caller) for c in calls
    ]
    assert '"cpu": "300"' in calls[0].request


def test_a_long_refused_request_cut_short_still_names_its_family_and_size():
    """Scalars come first: the cut keeps family, cpu and memory; the plan is a recommendation."""
    command = [f"--flag-{n}=on" for n in range(300)]
    request = {
        "family": "ledger-api",
        "cpu": "256",
        "memory": "4096",
        "containerDefinitions": [{"name": "app", "cpu": 0, "command": command}],
    }
    message = "No Fargate configuration exists for given values."

    calls = collected_calls(refused_registration(request, message))
    shot = snapshot(api_calls=calls)
    findings = analyze(shot).findings
    found = next(f for f in findings if f.code == "INVALID_TASK_SIZE")

    assert MAX_REQUEST == len(calls[0].request)
    assert found.summary.startswith("Fargate has no size with 256 CPU units and 4096 MiB")
    assert "cut short" in build_plan(findings, shot).recommendations[0]


def test_environment_values_of_a_refused_request_are_not_kept():
    """CI's environment (often credentials) stays out of the snapshot: names only."""
    environment = [{"name": "DB_PASSWORD", "value": "hunter2"}]
    containers = [{"name": "app", "environment": environment}]
    bad = refused_registration({"family": "ledger-api", "containerDefinitions": containers})

    calls = collected_calls(bad)

    assert [{"name": "DB_PASSWORD"}] == json.loads(calls[0].request)["containerDefinitions"][0][
        "environment"
    ]
    assert "hunter2" not in calls[0].request


def test_refused_revision_of_the_service_family_is_invalid_task_size():
    """The refused size is named from the request; the running revision is not blamed."""
    findings = analyze(snapshot(api_calls=(SIZE,))).findings

    assert "INVALID_TASK_SIZE" == findings[0].code
    assert "512 CPU units and 8192 MiB" in findings[0].summary
    assert "cloudtrail:LookupEvents" == findings[0].evidence[0].source


def test_calls_before_the_current_deployment_or_for_other_services_do_not_count():
    """A later deployment went through after the refusal; another family is not this service."""
    newer = service(deployments=(deployment(created_at=NOW - timedelta(seconds=30)),))
    other = replace(SIZE, request=json.dumps({"family": "billing-worker", "cpu": "512"}))

    assert () == service_calls(snapshot(service=newer, api_calls=(SIZE,)))
    assert () == service_calls(snapshot(api_calls=(other,)))


def test_refused_target_group_is_target_type_mismatch():
    """UpdateService refused for an instance group names that group in the finding."""
    group = TG_ARN.replace("ledger-tg", "ledger-v2")
    call = refused(
        "UpdateService",
        "InvalidParameterException",
        f"The provided target group {group} has target type instance, which is incompatible "
        "with the awsvpc network mode specified in the task definition.",
        {"cluster": "payments", "service": "ledger-api"},
    )

    findings = analyze(snapshot(api_calls=(call,))).findings

    assert "TG_TARGET_TYPE_MISMATCH" == findings[0].code
    assert "ledger-v2" in findings[0].summary

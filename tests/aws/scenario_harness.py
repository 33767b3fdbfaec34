"""Shared harness for scenario files: their evidence, their fix steps, their wrong fix steps.

A scenario's `evidence` items are the catalogue's strings the emulator must show; `fix_steps`
must lead to the standard healthy state (running == desired, rollout COMPLETED, a single
deployment, healthy targets, the steady-state event) with the failure signature gone;
`wrong_fix_steps` must leave the signature in place. Imported by the scenario tests.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import boto3
from lab_client import LabAws

from ecs_medic.aws.direct_transport import DirectGateway
from ecs_medic.graph.context import AwsConnector, RunContext
from ecs_medic.graph.graph import build_graph
from ecs_medic.graph.state import InputState
from ecs_medic.lab import Lab
from ecs_medic.lab.scenario import Evidence, Scenario, load_scenario
from ecs_medic.lab.steps import Target, apply_steps
from ecs_medic.lab_settings import lab_request, lab_settings
from ecs_medic.report.model import Report

SETTLE_S = 900.0  # simulated time a fix gets to converge
CONTEXT_KINDS = {"log"}  # evidence that explains the failure but also appears once healed


def seen_since(aws: LabAws, since: float) -> Callable[[Evidence], bool]:
    """A predicate: whether one evidence item shows in what happened since `since`."""
    tasks = [t for t in _all_tasks(aws) if t["createdAt"].timestamp() >= since]
    stopped = [t for t in tasks if t["lastStatus"] == "STOPPED" or t["desiredStatus"] == "STOPPED"]
    containers = [c for t in stopped for c in t["containers"]]
    service = aws.service()
    events = [e["message"] for e in service["events"] if e["createdAt"].timestamp() >= since]
    checks: dict[str, Callable[[Any], bool]] = {
        "event": lambda v: any(v in m for m in events),
        "stopped_reason": lambda v: any(v in t.get("stoppedReason", "") for t in stopped),
        "stop_code": lambda v: any(t.get("stopCode") == v for t in stopped),
        "container_reason": lambda v: any(v in c.get("reason", "") for c in containers),
        "exit_code": lambda v: any(c.get("exitCode") == v for c in containers),
        "health_status": lambda v: any(
            c.get("healthStatus") == v for t in tasks for c in t["containers"]
        ),
        "target_reason": lambda v: any(h.get("Reason") == v for h in _targets(aws)),
        "desired": lambda v: service["desiredCount"] == v,
        "rollout": lambda v: any(d.get("rolloutState") == v for d in service["deployments"]),
        "log": lambda v: any(v in line for t in tasks for line in _logs(aws, t)),
        "stale_digest": lambda v: v == bool(stale_digests(aws)),
        "not_scaled": lambda v: v in not_scaled_since(aws, service, since),
        "alarm_state": lambda v: v in alarm_states(aws, service),
        "scaling_suspended": lambda v: v == scaling_suspended(aws, service),
        "api_error": lambda v: any(v in text for text in refused_calls(aws, since)),
    }
    return lambda item: checks[item.kind](item.value)


def missing(
    aws: LabAws, scenario: Scenario, since: float, watch_s: float = 180.0
) -> list[Evidence]:
    """Evidence items that did not show since `since`, watching `watch_s` more simulated seconds.

    Target health is a moment's state, so each item only has to show at some point.
    """
    left = list(scenario.evidence)
    waited = 0.0
    while True:
        shows = seen_since(aws, since)
        left = [item for item in left if not shows(item)]
        if not left or waited >= watch_s:
            return left
        aws.lab.advance(5)
        waited += 5


def signature(aws: LabAws, scenario: Scenario, since: float) -> list[Evidence]:
    """Failure evidence (not context) that showed since `since`."""
    shows = seen_since(aws, since)
    return [e for e in scenario.evidence if e.kind not in CONTEXT_KINDS and shows(e)]


def steady(aws: LabAws) -> bool:
    """The catalogue's standard verification, at this moment."""
    service = aws.service()
    deployments = service["deployments"]
    targets = _targets(aws) if service.get("loadBalancers") else []
    return (
        service["runningCount"] == service["desiredCount"] >= 1
        and len(deployments) == 1
        and deployments[0]["rolloutState"] == "COMPLETED"
        and all(t["State"] == "healthy" for t in targets)
        and len(targets) == (service["desiredCount"] if service.get("loadBalancers") else 0)
        and any("has reached a steady state." in e["message"] for e in service["events"][:5])
    )


def apply(aws: LabAws, scenario_name: str, which: str) -> float:
    """Apply the scenario's `fix_steps` or `wrong_fix_steps`; return the simulated time."""
    scenario = load_scenario(scenario_name)
    steps = scenario.fix_steps if which == "fix" else scenario.wrong_fix_steps
    service = aws.service()
    target = Target.connect(
        aws.lab.env(), service["clusterArn"].rsplit("/", 1)[-1], service["serviceName"]
    )
    changed_at = aws.lab.now
    apply_steps(target, steps, wait=aws.lab.advance)
    return changed_at


def assert_fix_heals(aws: LabAws, scenario: Scenario, quiet_s: float = 60.0) -> None:
    """Apply the scenario's fix: the service reaches steady state and, `quiet_s` later, shows
    none of the failure signature."""
    apply(aws, scenario.name, "fix")
    assert aws.advance_until(lambda: steady(aws), limit_s=SETTLE_S), aws.messages()[:5]
    healed_at = aws.lab.now
    aws.lab.advance(quiet_s)
    assert [] == signature(aws, scenario, since=healed_at)
    assert steady(aws)


def diagnose_in_process(lab: Lab, state_dir: Path) -> Report:
    """The whole diagnosis flow on the lab's first service, through boto3, in this process.

    Credentials go to the session, not the environment: tests share a process.
    """
    settings = lab_settings(lab, transport="direct", state_dir=state_dir)
    connector = AwsConnector(settings)
    gateway = DirectGateway(_session(lab), lab.region, endpoint_url=lab.endpoint_url)
    connector.install(gateway, lab.region)
    result = build_graph().invoke(
        InputState(request=lab_request(lab)), context=RunContext(settings=settings, aws=connector)
    )
    report: Report = result["report"]
    return report


def _session(lab: Lab) -> boto3.session.Session:
    """A boto3 session with the lab's credentials (not the environment: tests share a process)."""
    env = lab.env()
    return boto3.session.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=lab.region,
    )


def _client(aws: LabAws, service: str) -> Any:
    """A boto3 client of the lab's endpoint."""
    return _session(aws.lab).client(service, endpoint_url=aws.lab.endpoint_url)


def _scaling(aws: LabAws) -> Any:
    return _client(aws, "application-autoscaling")


def _resource(service: dict[str, Any]) -> str:
    return f"service/{service['clusterArn'].rsplit('/', 1)[-1]}/{service['serviceName']}"


def not_scaled_since(aws: LabAws, service: dict[str, Any], since: float) -> set[str]:
    """NotScaledReasons codes of scaling activities that started since `since`."""
    found = _scaling(aws).describe_scaling_activities(
        ServiceNamespace="ecs", ResourceId=_resource(service), IncludeNotScaledActivities=True
    )["ScalingActivities"]
    return {
        r["Code"]
        for a in found
        if a["StartTime"].timestamp() >= since
        for r in a.get("NotScaledReasons") or ()
    }


def alarm_states(aws: LabAws, service: dict[str, Any]) -> set[str]:
    """States of the alarms behind the service's scaling policies, now."""
    policies = _scaling(aws).describe_scaling_policies(
        ServiceNamespace="ecs", ResourceId=_resource(service)
    )["ScalingPolicies"]
    names = [a["AlarmName"] for p in policies for a in p.get("Alarms") or ()]
    if not names:
        return set()
    alarms = _client(aws, "cloudwatch").describe_alarms(AlarmNames=names)["MetricAlarms"]
    high = [a for a in alarms if a["ComparisonOperator"].startswith("Greater")]
    return {a["StateValue"] for a in high}


def scaling_suspended(aws: LabAws, service: dict[str, Any]) -> bool:
    """Whether any SuspendedState flag is set on the service's scalable target."""
    targets = _scaling(aws).describe_scalable_targets(
        ServiceNamespace="ecs", ResourceIds=[_resource(service)]
    )["ScalableTargets"]
    return any(v for t in targets for v in (t.get("SuspendedState") or {}).values())


def stale_digests(aws: LabAws) -> list[str]:
    """Running containers whose image digest is not the one their tag points at in ECR now."""
    stale = []
    for task in aws.tasks("RUNNING"):
        for container in task["containers"]:
            repository, _, tag = container["image"].partition("/")[2].rpartition(":")
            found = aws.ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
            if container.get("imageDigest") != found["imageDetails"][0]["imageDigest"]:
                stale.append(container["name"])
    return stale


def refused_calls(aws: LabAws, since: float) -> list[str]:
    """'ErrorCode: message' of every write call AWS refused since `since` (CloudTrail)."""
    found = _client(aws, "cloudtrail").lookup_events(
        LookupAttributes=[{"AttributeKey": "ReadOnly", "AttributeValue": "false"}],
        StartTime=datetime.fromtimestamp(math.floor(since), tz=UTC),  # CloudTrail: seconds
    )
    records = [json.loads(e["CloudTrailEvent"]) for e in found["Events"]]
    return [f"{r['errorCode']}: {r['errorMessage']}" for r in records if r.get("errorCode")]


def _all_tasks(aws: LabAws) -> list[dict[str, Any]]:
    return aws.tasks("RUNNING") + aws.tasks("STOPPED")


def _targets(aws: LabAws) -> list[dict[str, Any]]:
    if not aws.service().get("loadBalancers"):
        return []
    return aws.target_health()


def _logs(aws: LabAws, task: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for container in task["containers"]:
        try:
            lines += aws.log_messages(task, container["name"])
        except aws.logs.exceptions.ResourceNotFoundException:
            continue
    return lines

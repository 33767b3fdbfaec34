"""Shared harness for scenario files: their evidence, their fix steps, their wrong fix steps.

A scenario's `evidence` items are the catalogue's strings the emulator must show; `fix_steps`
must lead to the standard healthy state (running == desired, rollout COMPLETED, a single
deployment, healthy targets, the steady-state event) with the failure signature gone;
`wrong_fix_steps` must leave the signature in place. Imported by the scenario tests.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lab_client import LabAws

from ecs_medic.lab.scenario import Evidence, Scenario, load_scenario
from ecs_medic.lab.steps import Target, apply_steps

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

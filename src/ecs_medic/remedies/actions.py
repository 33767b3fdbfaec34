"""Building blocks the planners share: service updates, revisions, IAM statements, actions."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable

from ecs_medic.aws.snapshot import ServiceSnapshot, TaskDefinition
from ecs_medic.findings import Finding
from ecs_medic.remedies.diff import config_diff
from ecs_medic.remedies.plan import Action, ApiCall, FieldChange, ReviseTaskDefinition, Step

Proposal = Action | str
Planner = Callable[[Finding, ServiceSnapshot], Proposal | None]
POLICY_VERSION = "2012-10-17"
POLICY_PREFIX = "ecs-medic-"  # inline policies ecs-medic writes carry this prefix


def make_action(
    code: str,
    title: str,
    level: str,
    steps: tuple[Step, ...],
    *,
    rollback: tuple[ApiCall, ...],
    diff: str,
    expected_effect: str,
    risk: str = "",
) -> Action:
    """An action without its id (the plan numbers them)."""
    return Action("", code, title, level, steps, rollback, diff, expected_effect, risk)


def update_service(snapshot: ServiceSnapshot, step_id: str = "", **changes: object) -> ApiCall:
    """UpdateService on the snapshot's service with these API parameters."""
    params = {"cluster": snapshot.cluster_arn, "service": snapshot.service.name, **changes}
    return ApiCall("ecs", "UpdateService", params, step_id)


def force_deploy(snapshot: ServiceSnapshot) -> ApiCall:
    """A new deployment of the same revision, so new tasks start under the changed account."""
    return update_service(snapshot, "redeploy", forceNewDeployment=True)


# --- task definition revisions ----------------------------------------------------------------


def revise_and_deploy(
    snapshot: ServiceSnapshot, td: TaskDefinition, changes: tuple[FieldChange, ...]
) -> tuple[tuple[Step, ...], tuple[ApiCall, ...]]:
    """Steps that register a revision with `changes` and deploy it, and their rollback."""
    steps = (
        ReviseTaskDefinition(td.arn, changes),
        update_service(
            snapshot, "deploy", taskDefinition="$revision.taskDefinition.taskDefinitionArn"
        ),
    )
    return steps, (update_service(snapshot, taskDefinition=td.arn),)


def revision_diff(td: TaskDefinition, changes: tuple[FieldChange, ...]) -> str:
    """The diff of the changed fields, task level and per container."""
    before: dict[str, object] = {}
    after: dict[str, object] = {}
    for change in changes:
        key = change.field if change.container is None else f"{change.container}.{change.field}"
        before[key], after[key] = change.before, change.after
    return config_diff(f"{td.family}:{td.revision}", before, after)


def revision_action(
    finding: Finding,
    snapshot: ServiceSnapshot,
    changes: tuple[FieldChange, ...],
    *,
    title: str,
    expected_effect: str,
    risk: str = "",
) -> Action | None:
    """An A2 action registering the current revision with `changes` and deploying it."""
    td = snapshot.current_task_definition
    if td is None or not changes:
        return None
    steps, rollback = revise_and_deploy(snapshot, td, changes)
    return make_action(
        finding.code, title, "A2", steps, rollback=rollback,
        diff=revision_diff(td, changes), expected_effect=expected_effect, risk=risk,
    )  # fmt: skip


# --- IAM --------------------------------------------------------------------------------------


def policy_document(statements: Iterable[tuple[str, tuple[str, ...]]]) -> str:
    """An identity policy allowing each (action, resources) pair, as IAM wants it (JSON text)."""
    return json.dumps(
        {
            "Version": POLICY_VERSION,
            "Statement": [
                {"Effect": "Allow", "Action": action, "Resource": list(resources)}
                for action, resources in statements
            ],
        },
        sort_keys=True,
    )


def free_policy_name(wanted: str, taken: Iterable[str]) -> str:
    """`wanted`, or `wanted-2`, `wanted-3`... when a policy of that name exists already."""
    names = set(taken)
    name, n = wanted, 1
    while name in names:
        n += 1
        name = f"{wanted}-{n}"
    return name


def role_name(arn: str) -> str:
    """The role name of a role ARN (the last path segment)."""
    return arn.rsplit("/", 1)[-1]


def event_ids(finding: Finding) -> tuple[str, ...]:
    """The resources the finding's evidence names, in order, without repeats."""
    return tuple(dict.fromkeys(e.resource for e in finding.evidence))

"""PRIVATE_REGISTRY_CREDS: give a container pulling from a private registry its login (A2).

The evidence decides between three fixes: a denied read of the login secret the task
definition already names (allow exactly that read), no repositoryCredentials at all while the
execution role was granted exactly one secret the task does not otherwise use (reference it),
or anything else (a missing secret, wrong content): a recommendation, since ecs-medic never
reads or writes a secret's value.
"""

from __future__ import annotations

from ecs_medic.aws.images import parse_ecr_image
from ecs_medic.aws.snapshot import ContainerDefinition, ServiceSnapshot
from ecs_medic.aws.snapshot_access import PolicyDecision
from ecs_medic.findings import Finding
from ecs_medic.remedies.actions import Proposal, revision_action
from ecs_medic.remedies.lookups import Lookups
from ecs_medic.remedies.plan import FieldChange
from ecs_medic.remedies.plan_access import inline_grant
from ecs_medic.remedies.plan_lookup import secret_name


def plan_registry_creds(
    finding: Finding, snapshot: ServiceSnapshot, lookups: Lookups
) -> Proposal | None:
    """Allow the denied login read, else reference the one login secret the role may read."""
    denials = _denied_logins(snapshot)
    if denials:
        return inline_grant(finding, snapshot, denials, "registry-login")
    bare = _bare_containers(snapshot)
    if len(bare) != 1:
        return None
    login = _login_secret(snapshot, lookups)
    if login is None:
        return (
            f"PRIVATE_REGISTRY_CREDS: set repositoryCredentials.credentialsParameter of "
            f"{bare[0].name} to a Secrets Manager secret holding the registry's username and "
            "password, and let the execution role read it (no single readable secret says "
            "which one)."
        )
    return _reference(finding, snapshot, bare[0], login)


def _reference(
    finding: Finding, snapshot: ServiceSnapshot, container: ContainerDefinition, login: str
) -> Proposal | None:
    change = FieldChange(
        "repositoryCredentials", None, {"credentialsParameter": login}, container.name
    )
    name = login.split(":secret:", 1)[-1]
    family = td.family if (td := snapshot.current_task_definition) else "the task definition"
    return revision_action(
        finding, snapshot, (change,),
        title=f"Register {family} with {container.name} pulling as secret {name} and deploy it",
        expected_effect=f"{container.image} is pulled with the registry login; tasks start",
        risk="the secret must hold this registry's username and password (ecs-medic never "
        "reads it); it is the only secret the execution role may read that the task does not "
        "use already",
    )  # fmt: skip


def _denied_logins(snapshot: ServiceSnapshot) -> list[PolicyDecision]:
    """Simulated denials of reading a repositoryCredentials secret the task names."""
    td = snapshot.current_task_definition
    logins = {c.repository_credentials for c in td.containers} if td else set()
    return [
        d for d in snapshot.access.decisions
        if d.resource in logins and d.action.startswith("secretsmanager:") and not d.allowed
    ]  # fmt: skip


def _bare_containers(snapshot: ServiceSnapshot) -> list[ContainerDefinition]:
    """Containers pulling from outside ECR without repositoryCredentials."""
    td = snapshot.current_task_definition
    return [
        c for c in (td.containers if td else ())
        if not c.repository_credentials and parse_ecr_image(c.image) is None
    ]  # fmt: skip


def _login_secret(snapshot: ServiceSnapshot, lookups: Lookups) -> str | None:
    """The one secret the execution role may read that no container references already."""
    td = snapshot.current_task_definition
    used = {secret_name(r.value_from) for c in (td.containers if td else ()) for r in c.secrets}
    spare = [a for a in lookups.readable_secrets if secret_name(a) not in used]
    return spare[0] if len(spare) == 1 else None

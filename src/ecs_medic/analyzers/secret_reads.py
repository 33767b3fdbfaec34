"""Secrets (catalogue section 3): reads denied, secrets missing, KMS keys refusing.

A truncated Fargate message such as "unable to retrieve secret from asm: service call has been
retried 5 time(s): ..." can mean a denial, a missing secret, a KMS refusal or a timeout; the
access view (policy simulation, secret checks) decides which, and timeouts go to the network.
"""

from __future__ import annotations

from collections.abc import Sequence

from ecs_medic.aws.snapshot import ServiceSnapshot
from ecs_medic.aws.snapshot_access import PolicyDecision, SecretCheck
from ecs_medic.findings import Evidence, Finding, make_finding

from .image import IAM_SIMULATE
from .network import CONNECTIVITY, ENDPOINT_POLICY  # endpoint refusals belong to the network
from .signals import (
    Signal,
    config_severity,
    find_signal,
    plural,
)

SECRET_FETCH = (
    "unable to retrieve secret from asm",
    "unable to retrieve secrets from ssm",
    "fetching secret data from ssm parameter store",
    "unable to pull secrets or registry auth",
)
DENIED = ("accessdenied", "not authorized to perform", "access denied")
ECR_AUTH = ("ecr registry auth",)  # the same prefix, but the ECR token: IMAGE_PULL_AUTH
KMS = ("access to kms is not allowed", "kms:decrypt", "kmsaccessdenied", "kms key")
SECRET_MISSING = (
    "can't retrieve the secret",
    "cannot retrieve the secret",
    "invalid parameters",
    "did not contain json key",
    "parameternotfound",
    "secrets manager can't find",
)
SECRET_ACTIONS = ("secretsmanager:GetSecretValue", "ssm:GetParameters", "ssm:GetParameter")


def denied_decisions(
    snapshot: ServiceSnapshot, actions: Sequence[str], exclude: set[str]
) -> list[PolicyDecision]:
    """Simulated decisions for these actions that are not allowed (skipping excluded resources)."""
    return [
        d
        for d in snapshot.access.decisions
        if d.action in actions and not d.allowed and d.resource not in exclude
    ]


def decision_evidence(d: PolicyDecision) -> Evidence:
    """Quote one policy simulation result."""
    why = f" (needed for {d.purpose})" if d.purpose else ""
    return Evidence(IAM_SIMULATE, d.role_arn, f"{d.action} on {d.resource}: {d.decision}{why}")


def _registry_credentials(snapshot: ServiceSnapshot) -> set[str]:
    """ARNs of repositoryCredentials secrets (PRIVATE_REGISTRY_CREDS owns those)."""
    definition = snapshot.current_task_definition
    containers = definition.containers if definition else ()
    return {c.repository_credentials for c in containers if c.repository_credentials}


def _ambiguous_fetch(snapshot: ServiceSnapshot) -> Signal:
    """Secret-fetch failures whose (truncated) text names no cause and no timeout."""
    return find_signal(
        snapshot,
        SECRET_FETCH,
        (*DENIED, *KMS, *SECRET_MISSING, *CONNECTIVITY, *ECR_AUTH, *ENDPOINT_POLICY),
    )


def execution_role(snapshot: ServiceSnapshot) -> str:
    """The execution role ARN, or a phrase when there is none."""
    definition = snapshot.current_task_definition
    return (definition.execution_role_arn if definition else None) or "the execution role"


def secrets_fetch_denied(snapshot: ServiceSnapshot) -> list[Finding]:
    """SECRETS_FETCH_DENIED: the execution role may not read a referenced secret or parameter."""
    explicit = find_signal(
        snapshot, SECRET_FETCH, (*KMS, *SECRET_MISSING, *ECR_AUTH, *ENDPOINT_POLICY)
    )
    explicit = Signal(tuple(h for h in explicit.tasks if says_denied(h.detail)))
    denied = denied_decisions(snapshot, SECRET_ACTIONS, _registry_credentials(snapshot))
    signal = Signal((*explicit.tasks, *(_ambiguous_fetch(snapshot).tasks if denied else ())))
    if not signal and not denied:
        return []
    role = execution_role(snapshot)
    resources = sorted({d.resource for d in denied})
    return [
        make_finding(
            "SECRETS_FETCH_DENIED",
            summary=(
                f"{plural(len(signal.tasks), 'task')} could not read their secrets"
                + (
                    f"; {role} is denied {', '.join(sorted({d.action for d in denied}))} on "
                    f"{', '.join(resources)}"
                    if denied
                    else ""
                )
            ),
            evidence=[*signal.evidence(snapshot), *(decision_evidence(d) for d in denied)],
            remediation=(
                f"Add a statement to {role} allowing secretsmanager:GetSecretValue and/or "
                f"ssm:GetParameters on {', '.join(resources) or 'the secrets the task references'}."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.95 if signal and denied else (0.85 if signal else 0.7),
            affected_tasks=len(signal.tasks),
        )
    ]


def _on_key(decision: PolicyDecision, keys: set[str]) -> bool:
    """Tell whether the decision is about one of these keys ('alias/x', 'key/id' or their ARNs)."""
    return bool(decision.resource) and _key_name(decision.resource) in {_key_name(k) for k in keys}


def _key_name(key: str) -> str:
    """'alias/x' or 'key/id' from an ARN; a bare key id as 'key/<id>'."""
    name = key.rsplit(":", 1)[-1] if key.startswith("arn:") else key
    return name if "/" in name else f"key/{name}"


def says_denied(text: str) -> bool:
    """Tell whether a message names an access denial."""
    lowered = text.lower()
    return any(d in lowered for d in DENIED)


def secret_not_found(snapshot: ServiceSnapshot) -> list[Finding]:
    """SECRET_NOT_FOUND: a referenced secret, parameter or JSON key does not exist."""
    explicit = find_signal(snapshot, SECRET_MISSING)
    creds = _registry_credentials(snapshot)
    missing = [
        s for s in snapshot.access.secrets if s.exists is False and s.value_from not in creds
    ]
    signal = Signal((*explicit.tasks, *(_ambiguous_fetch(snapshot).tasks if missing else ())))
    if not signal and not missing:
        return []
    return [
        make_finding(
            "SECRET_NOT_FOUND",
            summary=(
                f"{plural(len(signal.tasks), 'task')} could not find their secrets"
                + (f"; missing: {', '.join(_secret_label(s) for s in missing)}" if missing else "")
                + _region_note(snapshot, missing)
            ),
            evidence=[*signal.evidence(snapshot), *(_secret_evidence(s) for s in missing)],
            remediation=(
                "Create the secret or parameter, or correct its ARN or name (and Region, and "
                "JSON key) in a new task-definition revision: "
                f"{', '.join(s.value_from for s in missing) or 'see the error'}."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.95 if signal and missing else (0.85 if signal else 0.75),
            affected_tasks=len(signal.tasks),
        )
    ]


def _region_note(snapshot: ServiceSnapshot, missing: Sequence[SecretCheck]) -> str:
    """Say when a missing secret is looked up in another Region than the tasks run in."""
    elsewhere = sorted({s.region for s in missing if s.region and s.region != snapshot.region})
    if not elsewhere:
        return ""
    return f" (looked up in {', '.join(elsewhere)}; the tasks run in {snapshot.region})"


def _secret_label(secret: SecretCheck) -> str:
    """'DB_PASSWORD of api (arn...)'."""
    return f"{secret.name} of {secret.container} ({secret.value_from})"


def _secret_evidence(secret: SecretCheck) -> Evidence:
    """Quote the existence check of one secret or parameter."""
    source = (
        "secretsmanager:DescribeSecret" if secret.kind == "secretsmanager" else "ssm:GetParameters"
    )
    region = f" in {secret.region}" if secret.region else ""
    detail = f"{secret.error_code or 'does not exist'}{region}: {_secret_label(secret)}"
    if secret.json_key:
        detail += f", JSON key {secret.json_key}"
    return Evidence(source, secret.value_from, detail)


def kms_decrypt_denied(snapshot: ServiceSnapshot) -> list[Finding]:
    """KMS_DECRYPT_DENIED: a secret's customer-managed key refuses the execution role."""
    explicit = find_signal(snapshot, KMS)
    cmks = {s.kms_key_id for s in snapshot.access.secrets if s.kms_key_id}
    # AWS-managed keys need no grant: only a denial on a secret's customer-managed key counts.
    denied = [d for d in denied_decisions(snapshot, ("kms:Decrypt",), set()) if _on_key(d, cmks)]
    signal = Signal((*explicit.tasks, *(_ambiguous_fetch(snapshot).tasks if denied else ())))
    # The simulation sees identity policies only; a key policy may still allow an implicit deny.
    if not signal and not any(d.decision == "explicitDeny" for d in denied):
        return []
    keys = sorted(
        {s.kms_key_id for s in snapshot.access.secrets if s.kms_key_id}
        | {d.resource for d in denied}
    )
    role = execution_role(snapshot)
    return [
        make_finding(
            "KMS_DECRYPT_DENIED",
            summary=(
                f"{plural(len(signal.tasks), 'task')} could not decrypt their secrets"
                + (f"; {role} may not kms:Decrypt with {', '.join(keys)}" if keys else "")
            ),
            evidence=[*signal.evidence(snapshot), *(decision_evidence(d) for d in denied)],
            remediation=(
                f"Allow kms:Decrypt on {', '.join(keys) or 'the secret key'} for {role} "
                "(condition kms:ViaService secretsmanager/ssm), in the role policy and, if it "
                "does not delegate to IAM, in the key policy."
            ),
            severity=config_severity(snapshot, bool(signal)),
            confidence=0.95 if signal and denied else (0.85 if signal else 0.7),
            affected_tasks=len(signal.tasks),
        )
    ]

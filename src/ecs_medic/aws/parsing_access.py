"""Turn IAM, Secrets Manager, SSM, Logs and ECR manifest JSON into the access snapshot types.

Policy documents arrive as a dict (boto3, AWS CLI JSON) or as URL-encoded JSON text (the raw
IAM API); both are accepted. Secret and parameter values are never part of these shapes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any
from urllib.parse import unquote

from ecs_medic.aws.parsing import Json
from ecs_medic.aws.snapshot_access import ImageManifest, PolicyDecision

# Manifest media types that list one manifest per platform.
INDEX_TYPES = frozenset(
    {
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    }
)


def policy_document(value: Any) -> dict[str, Any]:
    """A policy document from a dict, JSON text or URL-encoded JSON text; {} when unreadable."""
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value:
        return {}
    text = value if value.lstrip().startswith("{") else unquote(value)
    try:
        parsed = json.loads(text)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def trusted_services(document: Any) -> tuple[str, ...]:
    """Service principals an Allow statement lets assume the role (sts:AssumeRole)."""
    services: list[str] = []
    for statement in _as_list(policy_document(document).get("Statement")):
        actions = [str(a) for a in _as_list(statement.get("Action"))]
        if statement.get("Effect") != "Allow" or not any(
            a in ("sts:AssumeRole", "sts:*", "*") for a in actions
        ):
            continue
        principal = statement.get("Principal") or {}
        if isinstance(principal, dict):
            services.extend(str(s) for s in _as_list(principal.get("Service")))
    return tuple(dict.fromkeys(services))


def attached_policy_arns(responses: Iterable[Json]) -> tuple[str, ...]:
    """PolicyArn of every ListAttachedRolePolicies entry."""
    return tuple(
        str(p["PolicyArn"])
        for r in responses
        for p in r.get("AttachedPolicies") or ()
        if p.get("PolicyArn")
    )


def inline_policy_names(responses: Iterable[Json]) -> tuple[str, ...]:
    """The names ListRolePolicies returns."""
    return tuple(str(n) for r in responses for n in r.get("PolicyNames") or ())


def parse_decisions(role_arn: str, response: Json) -> list[PolicyDecision]:
    """SimulatePrincipalPolicy results, one per (action, resource) pair, purpose left blank."""
    decisions: list[PolicyDecision] = []
    for result in response.get("EvaluationResults") or ():
        action = str(result.get("EvalActionName", ""))
        specific = result.get("ResourceSpecificResults") or ()
        if specific:
            decisions.extend(
                PolicyDecision(
                    role_arn,
                    action,
                    str(s.get("EvalResourceName", "*")),
                    str(s.get("EvalResourceDecision", "")),
                )
                for s in specific
            )
        else:
            resource = str(result.get("EvalResourceName", "*"))
            decision = str(result.get("EvalDecision", ""))
            decisions.append(PolicyDecision(role_arn, action, resource, decision))
    return decisions


def customer_key(key_id: Any) -> str | None:
    """The KMS key id when it is customer managed; None for AWS managed keys (alias/aws/...)."""
    if not key_id:
        return None
    text = str(key_id)
    return None if text.startswith("alias/aws/") or ":alias/aws/" in text else text


def log_group_names(responses: Iterable[Json]) -> set[str]:
    """Names of the log groups DescribeLogGroups returned."""
    return {str(g["logGroupName"]) for r in responses for g in r.get("logGroups") or ()}


def _platform(d: Json) -> str | None:
    platform = d.get("platform") or {}
    if not platform.get("os") or not platform.get("architecture"):
        return None
    name = f"{platform['os']}/{platform['architecture']}"
    return f"{name}/{platform['variant']}" if platform.get("variant") else name


def parse_manifest(image: str, manifest_text: Any) -> ImageManifest | None:
    """Platforms of a manifest list or OCI index; None for single-platform manifests."""
    try:
        manifest = json.loads(manifest_text) if isinstance(manifest_text, str) else manifest_text
    except ValueError:
        return None
    if not isinstance(manifest, dict):
        return None
    if manifest.get("mediaType") not in INDEX_TYPES and not manifest.get("manifests"):
        return None
    platforms = [p for m in manifest.get("manifests") or () if (p := _platform(m))]
    known = [p for p in platforms if not p.startswith("unknown/")]  # attestation entries
    return ImageManifest(image=image, platforms=tuple(dict.fromkeys(known)))

"""The stand-in's tools: Planton's names, required arguments and answers, over a PlantonStore.

Each handler takes the validated arguments and returns the JSON the real server would print,
or raises ToolError with the real server's sentence (an isError result).
"""

from __future__ import annotations

import copy
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from ecs_medic.lab.planton.records import (
    CONNECTION_KIND,
    CREATED_AT,
    KIND,
    OPENMCF_API,
    JsonDict,
    PlantonStore,
    short_id,
    stack_job,
)


class ToolError(Exception):
    """A tool failed the way Planton reports it: one sentence in an isError result."""


def not_found(what: str) -> ToolError:
    """The real server's not-found sentence."""
    return ToolError(f"{what} not found. Verify the identifiers are correct.")


Handler = Callable[[PlantonStore, dict[str, Any]], JsonDict]


@dataclass(frozen=True, slots=True)
class ToolSpec:
    """One tool: its name, description, JSON schema and handler."""

    name: str
    description: str
    properties: dict[str, Any]
    required: tuple[str, ...]
    handler: Handler

    @property
    def input_schema(self) -> dict[str, Any]:
        """The input schema; unknown properties are forbidden, as on the real server."""
        return {
            "type": "object",
            "properties": self.properties,
            "required": list(self.required),
            "additionalProperties": False,
        }


STR = {"type": "string"}
STRS = {"type": "array", "items": {"type": "string"}}


# --- context ------------------------------------------------------------------------------


def list_organizations(store: PlantonStore, _: dict[str, Any]) -> JsonDict:
    """The one organisation of the stand-in."""
    return {"entries": [{"id": short_id("org", store.org), "name": store.org, "slug": store.org}]}


def list_environments(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """The environments that hold resources."""
    _check_org(store, args["org"])
    envs = sorted({r["metadata"]["env"] for r in store.resources.values()})
    return {
        "entries": [
            {"metadata": {"id": short_id("env", e), "org": store.org, "slug": e}} for e in envs
        ]
    }


def search_record(resource: JsonDict) -> JsonDict:
    """A resource as the search index shows it (lookup and list answers)."""
    meta = resource["metadata"]
    return {
        "cloud_resource_kind": KIND,
        "cloud_resource_provider": "aws",
        "created_at": CREATED_AT,
        "env": meta["env"],
        "iac_provisioner": "pulumi",
        "id": meta["id"],
        "is_ready": True,
        "kind": "cloud_resource",
        "name": meta["name"],
        "org": meta["org"],
        "slug": meta["slug"],
    }


def list_cloud_resources(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """Resources grouped by environment and kind, filtered like the search index."""
    _check_org(store, args["org"])
    envs, kinds = set(args.get("envs") or ()), set(args.get("kinds") or ())
    text = str(args.get("search_text") or "").lower()
    grouped: dict[str, list[JsonDict]] = {}
    for resource in store.resources.values():
        meta = resource["metadata"]
        if (envs and meta["env"] not in envs) or (kinds and KIND not in kinds):
            continue
        if text and text not in meta["name"].lower():
            continue
        grouped.setdefault(meta["env"], []).append(search_record(resource))
    return {
        "canvas_environments": [
            {
                "env_id": short_id("env", env),
                "env_slug": env,
                "resource_kind_mapping": {"aws_ecs_service": {"entries": entries}},
            }
            for env, entries in sorted(grouped.items())
        ]
    }


def lookup_cloud_resource(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """The search record of one resource by org, env, kind and slug."""
    _check_org(store, args["org"])
    resource = store.find(args["env"], args["name"])
    if args["cloud_resource_kind"] != KIND or resource is None:
        raise not_found(f"Cloud resource {args['cloud_resource_kind']}/{args['name']}")
    return search_record(resource)


def get_cloud_resource(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """The CloudResource wrapper, by id or by kind + org + env + slug."""
    return copy.deepcopy(_resource(store, args))


def resolve_value_references(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """The cloud object with every reference resolved, as camelCase YAML."""
    resource = _resource(store, args)
    obj = _resolved(store, resource["spec"]["cloud_object"])
    text = yaml.safe_dump(_camel(obj), sort_keys=False)
    return {"cloud_resource_yaml": text, "is_resolved": True}


def get_latest_stack_job(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """The newest stack job of a resource."""
    job = store.stack_jobs.get(args["cloud_resource_id"])
    if job is None:
        raise not_found(f"Stack job for cloud resource {args['cloud_resource_id']}")
    return copy.deepcopy(job)


# --- connections ---------------------------------------------------------------------------


def resolve_default_provider_connection(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """The default AWS connection of the organisation (the same for every environment)."""
    _check_org(store, args["org"])
    if args["provider"] != "aws" or store.connection_slug not in store.connections:
        raise not_found(f"Default {args['provider']} provider connection")
    spec: JsonDict = {
        "connection": store.connection_slug,
        "provider": "aws",
        "scope": "organization",
    }
    if args.get("environment"):
        spec.update(scope="environment", env=args["environment"])
    return {
        "api_version": "connect.planton.ai/v1",
        "kind": "DefaultProviderConnection",
        "metadata": {"id": short_id("dpc", store.org), "org": store.org},
        "spec": spec,
        "status": {"audit": {}},
    }


def get_connection(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """An AwsProviderConnection by id or org + slug (secret fields are references only)."""
    if args["kind"] != CONNECTION_KIND:
        raise not_found(f"Connection kind {args['kind']}")
    for connection in store.connections.values():
        meta = connection["metadata"]
        if args.get("id") == meta["id"] or (
            args.get("org") == meta["org"] and args.get("slug") == meta["slug"]
        ):
            return copy.deepcopy(connection)
    raise not_found(f"{CONNECTION_KIND} {args.get('slug') or args.get('id')}")


# --- changes -------------------------------------------------------------------------------


def apply_cloud_resource(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """Record an applied AwsEcsService spec and start its stack job.

    With a deployer (a lab behind the stand-in) the job runs in the background and deploys
    the spec to AWS, failing with the AWS error when that fails; without one it succeeds at
    once, recording the spec only.
    """
    obj = args["cloud_object"]
    if obj.get("api_version") != OPENMCF_API or obj.get("kind") != KIND:
        raise ToolError(f"cloud_object validation failed: api_version must be {OPENMCF_API}")
    _check_plain_strings(obj.get("spec") or {})
    meta = obj.get("metadata") or {}
    resource = store.find(str(meta.get("env", "")), str(meta.get("name", "")))
    if resource is None or meta.get("org") != store.org:
        raise not_found(f"Cloud resource {KIND}/{meta.get('name')}")
    with store.lock:
        store.applied.append(copy.deepcopy(obj))
        current = resource["spec"]["cloud_object"]
        current["spec"] = _spec_with_references(copy.deepcopy(obj.get("spec") or {}))
        job_id = short_id("sj", current["metadata"]["id"], str(len(store.applied) + 1))
        resource["status"]["stack_job_id"] = job_id
        if store.deployer is None:
            store.stack_jobs[current["metadata"]["id"]] = stack_job(
                resource, job_id, "succeeded", []
            )
        else:
            _start_stack_job(store, resource, job_id)
        return copy.deepcopy(resource)


def _start_stack_job(store: PlantonStore, resource: JsonDict, job_id: str) -> None:
    """A running job now; a thread deploys the spec and completes it (store.lock held)."""
    resource_id = resource["metadata"]["id"]
    store.stack_jobs[resource_id] = stack_job(resource, job_id, "tbd", [], status="running")
    snapshot = copy.deepcopy(resource)
    deployer = store.deployer

    def run() -> None:
        errors = deployer(snapshot) if deployer else []
        result = "failed" if errors else "succeeded"
        with store.lock:
            store.stack_jobs[resource_id] = stack_job(snapshot, job_id, result, errors)

    threading.Thread(target=run, name=f"stack-job-{job_id}", daemon=True).start()


# --- helpers -------------------------------------------------------------------------------


def _check_org(store: PlantonStore, org: str) -> None:
    if org != store.org:
        raise not_found(f"Organization {org}")


def _resource(store: PlantonStore, args: dict[str, Any]) -> JsonDict:
    """The wrapper named by `id` alone or by all of org + env + slug (and kind)."""
    if args.get("id") and any(args.get(k) for k in ("org", "env", "slug")):
        raise ToolError("provide either 'id' alone or all of 'org', 'env', and 'slug' - not both")
    if args.get("id"):
        found = store.resources.get(args["id"])
    elif all(args.get(k) for k in ("kind", "org", "env", "slug")):
        _check_org(store, args["org"])
        found = store.find(args["env"], args["slug"]) if args["kind"] == KIND else None
    else:
        raise ToolError("provide 'id' or all of 'kind', 'org', 'env', and 'slug'")
    if found is None:
        raise not_found(f"Cloud resource {args.get('id') or args.get('slug')}")
    return found


def _resolved(store: PlantonStore, node: Any) -> Any:
    """A copy with `{value}` and `{value_from}` fields replaced by their plain values."""
    if isinstance(node, list):
        return [_resolved(store, item) for item in node]
    if not isinstance(node, dict):
        return node
    if set(node) == {"value"}:
        return node["value"]
    if set(node) == {"value_from"}:
        ref = node["value_from"]
        return store.clusters.get((ref.get("env", ""), ref.get("name", "")), "")
    return {key: _resolved(store, item) for key, item in node.items()}


# value-or-reference fields of the AwsEcsService spec: (parent path, key, is a list)
_REFERENCE_FIELDS = (
    ((), "cluster_arn", False), (("network",), "subnets", True),
    (("network",), "security_groups", True), (("iam",), "task_execution_role_arn", False),
    (("iam",), "task_role_arn", False), (("alb",), "arn", False),
)  # fmt: skip


def _reference_fields(spec: JsonDict) -> list[tuple[JsonDict, str, bool]]:
    """(the object holding it, key, is a list) for every reference field the spec has."""
    found = []
    for parents, key, many in _REFERENCE_FIELDS:
        node: Any = spec
        for parent in parents:
            node = node.get(parent) if isinstance(node, dict) else None
        if isinstance(node, dict) and key in node:
            found.append((node, key, many))
    return found


def _check_plain_strings(spec: JsonDict) -> None:
    """The real server takes value-or-reference fields as plain strings only."""
    for node, key, many in _reference_fields(spec):
        values = node[key] if many and isinstance(node[key], list) else [node[key]]
        if any(not isinstance(v, str) for v in values):
            raise ToolError(
                f"cloud_object validation failed: spec field {key} must be given as plain strings"
            )


def _spec_with_references(spec: JsonDict) -> JsonDict:
    """An applied spec (plain strings) stored the way Planton shows it (`{"value": ...}`)."""
    for node, key, many in _reference_fields(spec):
        if many:
            node[key] = [{"value": v} for v in node[key]]
        else:
            node[key] = {"value": node[key]}
    return spec


def _camel(node: Any) -> Any:
    """snake_case keys to camelCase, recursively (the YAML's key style)."""
    if isinstance(node, list):
        return [_camel(item) for item in node]
    if isinstance(node, dict):
        return {re.sub(r"_([a-z])", lambda m: m[1].upper(), k): _camel(v) for k, v in node.items()}
    return node


ID_OR_SLUG = {"id": STR, "kind": STR, "org": STR, "env": STR, "slug": STR}

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec("list_organizations", "List organizations.", {}, (), list_organizations),
    ToolSpec(
        "list_environments",
        "List environments of an org.",
        {"org": STR},
        ("org",),
        list_environments,
    ),
    ToolSpec(
        "list_cloud_resources",
        "List cloud resources grouped by env and kind.",
        {"org": STR, "envs": STRS, "search_text": STR, "kinds": STRS},
        ("org",),
        list_cloud_resources,
    ),
    ToolSpec(
        "lookup_cloud_resource",
        "Look up a cloud resource by org, env, kind and name.",
        {"org": STR, "env": STR, "cloud_resource_kind": STR, "name": STR},
        ("org", "env", "cloud_resource_kind", "name"),
        lookup_cloud_resource,
    ),
    ToolSpec(
        "get_cloud_resource",
        "Get a cloud resource by id or kind + org + env + slug.",
        ID_OR_SLUG,
        (),
        get_cloud_resource,
    ),
    ToolSpec(
        "resolve_value_references",
        "Resolve all valueFrom references of a resource.",
        ID_OR_SLUG,
        ("kind",),
        resolve_value_references,
    ),
    ToolSpec(
        "get_latest_stack_job",
        "The latest stack job of a cloud resource.",
        {"cloud_resource_id": STR},
        ("cloud_resource_id",),
        get_latest_stack_job,
    ),
    ToolSpec(
        "resolve_default_provider_connection",
        "The default provider connection.",
        {"org": STR, "provider": STR, "environment": STR},
        ("org", "provider"),
        resolve_default_provider_connection,
    ),
    ToolSpec(
        "get_connection",
        "Get a connection by id or org + slug.",
        {"kind": STR, "id": STR, "org": STR, "slug": STR},
        ("kind",),
        get_connection,
    ),
    ToolSpec(
        "apply_cloud_resource",
        "Create or update a cloud resource (idempotent).",
        {"cloud_object": {"type": "object"}},
        ("cloud_object",),
        apply_cloud_resource,
    ),
)

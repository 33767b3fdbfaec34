"""Context from Planton Cloud: which AwsEcsService, where it runs, what it should look like.

The chain (reference/planton-mcp.md): find the service by name (lookup_cloud_resource, or
list_cloud_resources when the environment is not known) -> get_cloud_resource (stack outputs)
-> resolve_value_references (the spec with references resolved) -> get_latest_stack_job ->
the AWS connection (resolve_default_provider_connection -> get_connection: account, region,
role). Planton never hands out AWS keys; nothing here holds a credential except the API key
inside the MCP session.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, replace
from typing import Any

from ecs_medic.config import PlantonSettings
from ecs_medic.context.expected import ExpectedSpec
from ecs_medic.context.planton_client import (
    PlantonClient,
    PlantonError,
    PlantonErrorKind,
    connect,
    run_planton,
)
from ecs_medic.context.planton_values import (
    dig,
    expected_spec,
    parse_resolved_yaml,
    plain,
    snake_keys,
    stack_job,
)
from ecs_medic.errors import ContextError

KIND = "AwsEcsService"
CONNECTION_KIND = "AwsProviderConnection"
NEEDED_TOOLS = (
    "lookup_cloud_resource",
    "list_cloud_resources",
    "get_cloud_resource",
    "resolve_value_references",
    "get_latest_stack_job",
    "resolve_default_provider_connection",
    "get_connection",
)


@dataclass(frozen=True, slots=True)
class AwsConnection:
    """The AWS account Planton deploys the service to (no secret here: Planton keeps none out)."""

    slug: str
    account_id: str | None
    region: str | None
    role_arn: str | None
    auth_mode: str = "inline"


@dataclass(frozen=True, slots=True)
class PlantonService:
    """One AwsEcsService as Planton knows it, with the connection it deploys through."""

    org: str
    env: str
    name: str
    resource_id: str
    cluster_arn: str | None
    service_arn: str | None
    service_name: str
    region: str | None
    log_group: str | None
    target_group_arn: str | None
    expected: ExpectedSpec
    connection: AwsConnection

    @property
    def resource_path(self) -> str:
        """The resource as `org/env/name`, as reports show it."""
        return f"{self.org}/{self.env}/{self.name}"


@dataclass(frozen=True, slots=True)
class ResourceRef:
    """A search record: enough to fetch the resource."""

    env: str
    name: str
    id: str


def find_service(settings: PlantonSettings, name: str, env: str | None = None) -> PlantonService:
    """The AwsEcsService `name` (in `env`, or the one environment that has it), resolved."""
    return run_planton(settings, lambda: _find(settings, name, env or settings.env))


def list_services(settings: PlantonSettings, env: str | None = None) -> list[ResourceRef]:
    """Every AwsEcsService of the organisation (optionally of one environment)."""

    async def work() -> list[ResourceRef]:
        async with connect(settings, ("list_cloud_resources",)) as client:
            org = await _org(client, settings)
            return await _list(client, org, env, "")

    return run_planton(settings, work)


async def _find(settings: PlantonSettings, name: str, env: str | None) -> PlantonService:
    async with connect(settings, NEEDED_TOOLS) as client:
        org = await _org(client, settings)
        ref = await _locate(client, org, name, env)
        return await _fetch(client, org, ref)


async def _org(client: PlantonClient, settings: PlantonSettings) -> str:
    """PLANTON_ORG, or the only organisation the key can see."""
    if settings.org:
        return settings.org
    if "list_organizations" in client.tools:
        answer = await client.call("list_organizations")
        slugs = [str(e.get("slug") or e.get("id")) for e in answer.get("entries") or ()]
        if len(slugs) == 1:
            return slugs[0]
        if slugs:
            raise ContextError(
                f"The Planton API key sees {len(slugs)} organisations ({', '.join(slugs)}): "
                "set PLANTON_ORG or pass --planton-org."
            )
    raise ContextError("No Planton organisation: set PLANTON_ORG or pass --planton-org.")


async def _locate(client: PlantonClient, org: str, name: str, env: str | None) -> ResourceRef:
    """The one resource called `name`; a clear error listing candidates otherwise."""
    if env:
        try:
            record = await client.call(
                "lookup_cloud_resource", org=org, env=env, cloud_resource_kind=KIND, name=name
            )
            return ResourceRef(env=env, name=name, id=str(record["id"]))
        except PlantonError as exc:
            if exc.kind is not PlantonErrorKind.NOT_FOUND:
                raise
    candidates = await _list(client, org, env, "")
    exact = [c for c in candidates if c.name == name]
    if len(exact) == 1:
        return exact[0]
    if len(exact) > 1:
        where = ", ".join(sorted(c.env for c in exact))
        raise ContextError(
            f"Planton has an AwsEcsService '{name}' in several environments ({where}) of "
            f"{org}: set PLANTON_ENV or pass --planton-env."
        )
    raise PlantonError(PlantonErrorKind.NOT_FOUND, _unknown(org, env, name, candidates))


def _unknown(org: str, env: str | None, name: str, candidates: list[ResourceRef]) -> str:
    where = f"{org}/{env}" if env else org
    labels = {f"{c.name}": f"{c.name} (env {c.env})" for c in candidates}
    close = difflib.get_close_matches(name, list(labels), n=5, cutoff=0.6)
    hint = f" Did you mean: {', '.join(labels[c] for c in close)}?" if close else ""
    return f"Planton has no AwsEcsService '{name}' in {where}.{hint}"


async def _list(client: PlantonClient, org: str, env: str | None, text: str) -> list[ResourceRef]:
    args: dict[str, Any] = {"org": org, "kinds": [KIND]}
    if env:
        args["envs"] = [env]
    if text:
        args["search_text"] = text
    answer = await client.call("list_cloud_resources", **args)
    refs: list[ResourceRef] = []
    for group in answer.get("canvas_environments") or ():
        for mapping in (group.get("resource_kind_mapping") or {}).values():
            refs.extend(
                ResourceRef(
                    env=str(r.get("env") or group.get("env_slug")),
                    name=str(r.get("slug") or r.get("name")),
                    id=str(r.get("id")),
                )
                for r in mapping.get("entries") or ()
                if r.get("cloud_resource_kind", KIND) == KIND
            )
    return refs


async def _fetch(client: PlantonClient, org: str, ref: ResourceRef) -> PlantonService:
    """Outputs, resolved spec, latest stack job and the connection of one resource."""
    wrapper = await client.call("get_cloud_resource", id=ref.id)
    obj = dig(wrapper, "spec", "cloud_object") or {}
    outputs = dig(obj, "status", "outputs") or {}
    spec = await _resolved_spec(client, ref, obj)
    expected = expected_spec(f"{org}/{ref.env}/{ref.name}", ref.id, spec)
    job = stack_job(await _latest_job(client, ref.id))
    connection = await _connection(client, org, ref.env, dig(wrapper, "spec", "provider_info"))
    cluster = plain(spec.get("cluster_arn")) or outputs.get("ecs_cluster_name")
    return PlantonService(
        org=org,
        env=ref.env,
        name=ref.name,
        resource_id=ref.id,
        cluster_arn=cluster,
        service_arn=outputs.get("service_arn"),
        service_name=str(outputs.get("aws_ecs_service_name") or ref.name),
        region=plain(spec.get("region")) or connection.region,
        log_group=outputs.get("cloudwatch_log_group_name"),
        target_group_arn=outputs.get("target_group_arn"),
        expected=replace(
            expected, stack_job=job, target_group_arn=_spec_target_group(spec, outputs)
        ),
        connection=connection,
    )


def _spec_target_group(spec: dict[str, Any], outputs: dict[str, Any]) -> str | None:
    """The stack's target group when the spec's ALB block made it (its health check is owned)."""
    enabled = bool(dig(spec, "alb", "enabled"))
    return str(outputs["target_group_arn"]) if enabled and outputs.get("target_group_arn") else None


async def _resolved_spec(client: PlantonClient, ref: ResourceRef, obj: dict[str, Any]) -> Any:
    """The spec with references resolved; the stored spec when resolution fails."""
    try:
        answer = await client.call("resolve_value_references", kind=KIND, id=ref.id)
    except PlantonError as exc:
        if exc.kind is PlantonErrorKind.UNAUTHORIZED:
            raise
        return snake_keys(obj.get("spec") or {})
    resolved = parse_resolved_yaml(str(answer.get("cloud_resource_yaml") or ""))
    return resolved.get("spec") or snake_keys(obj.get("spec") or {})


async def _latest_job(client: PlantonClient, resource_id: str) -> dict[str, Any]:
    try:
        return await client.call("get_latest_stack_job", cloud_resource_id=resource_id)
    except PlantonError as exc:
        if exc.kind is PlantonErrorKind.NOT_FOUND:
            return {}
        raise


async def _connection(
    client: PlantonClient, org: str, env: str, provider_info: Any
) -> AwsConnection:
    """The resource's own AWS connection, else the environment's default one."""
    slug = dig(provider_info, "connection")
    if not slug:
        binding = await client.call(
            "resolve_default_provider_connection", org=org, provider="aws", environment=env
        )
        slug = dig(binding, "spec", "connection")
    if not slug:
        raise ContextError(f"Planton names no AWS connection for {org}/{env}.")
    answer = await client.call("get_connection", kind=CONNECTION_KIND, org=org, slug=str(slug))
    spec = answer.get("spec") or {}
    return AwsConnection(
        slug=str(slug),
        account_id=plain(spec.get("account_id")),
        region=plain(spec.get("region")),
        role_arn=spec.get("iam_role_arn") or None,
        auth_mode=str(spec.get("auth_mode") or "inline"),
    )

"""establish_context: find the account, region, cluster and service to work on.

Planton Cloud first when configured (the service's spec, account, region and role), then the
local AWS chain. A Planton that is down or refuses the key falls back to the local chain with
a warning in the report, unless the user asked for Planton only (`--context planton`).
"""

from __future__ import annotations

from langgraph.config import get_config
from langgraph.runtime import Runtime

from ecs_medic.context.credentials import open_planton_gateway
from ecs_medic.context.local import LocalContext, ServiceQuery, parse_service_arn
from ecs_medic.context.planton import PlantonService, find_service
from ecs_medic.context.planton_client import PlantonError, PlantonErrorKind
from ecs_medic.context.target import Target
from ecs_medic.graph.context import RunContext
from ecs_medic.graph.state import DiagnosisState, Request
from ecs_medic.report.model import ContextInfo


def establish_context(state: DiagnosisState, runtime: Runtime[RunContext]) -> DiagnosisState:
    """Resolve the request to exactly one service, through Planton when it is configured."""
    request = state["request"]
    ctx = runtime.context
    planton = ctx.settings.planton
    if not planton.wanted:
        return _local(ctx, request, ())
    try:
        service = find_service(planton, _name(request.service), request.environment)
    except PlantonError as exc:
        if planton.context == "planton" or not _may_fall_back(exc):
            raise
        return _local(ctx, request, (f"{exc} Using the local AWS context instead.",))
    return _from_planton(ctx, service)


def _may_fall_back(exc: PlantonError) -> bool:
    """Down, key refused, or the service is simply not managed by Planton."""
    return exc.falls_back or exc.kind is PlantonErrorKind.NOT_FOUND


def _local(ctx: RunContext, request: Request, warnings: tuple[str, ...]) -> DiagnosisState:
    local = LocalContext(ctx.aws.gateway(), ctx.aws.region)
    target = local.resolve(ServiceQuery(service=request.service, cluster=request.cluster))
    return {
        "target": target,
        "context_info": ContextInfo(source="local", warnings=warnings),
        "expected": None,
    }


def _from_planton(ctx: RunContext, service: PlantonService) -> DiagnosisState:
    """Credentials for the account Planton names (its role assumed), then the target."""
    connection = service.connection
    gateway, region, identity = open_planton_gateway(
        ctx.settings,
        account_id=connection.account_id,
        region=service.region,
        role_arn=connection.role_arn,
        run_id=_run_id(),
    )
    ctx.aws.install(gateway, region)
    if service.service_arn and service.cluster_arn:
        target = Target(
            service_name=service.service_name,
            service_arn=service.service_arn,
            cluster_arn=service.cluster_arn,
            region=region,
            account_id=identity.account_id,
        )
    else:  # not deployed yet, or outputs missing: find it by name in the cluster
        query = ServiceQuery(service=service.service_name, cluster=service.cluster_arn)
        target = LocalContext(gateway, region).resolve(query)
    info = ContextInfo(
        source="planton",
        planton_resource=service.resource_path,
        role_arn=connection.role_arn,
        warnings=_region_warning(ctx, region) + _unchecked_account(service),
    )
    return {"target": target, "context_info": info, "expected": service.expected}


def _region_warning(ctx: RunContext, region: str) -> tuple[str, ...]:
    configured = ctx.settings.aws.region
    if configured and configured != region:
        return (
            f"AWS_REGION is {configured} but Planton deploys the service to {region}; "
            f"used {region}.",
        )
    return ()


def _unchecked_account(service: PlantonService) -> tuple[str, ...]:
    if service.connection.account_id:
        return ()
    return (
        f"Planton's connection {service.connection.slug} gives no account id (a variable "
        "reference?); the AWS account was not checked against Planton's.",
    )


def _name(service: str) -> str:
    """The service name of a name or an ARN."""
    arn = parse_service_arn(service)
    return arn.name if arn else service


def _run_id() -> str:
    """The run's thread id (it names the assumed-role session)."""
    configurable = get_config().get("configurable") or {}
    return str(configurable.get("thread_id") or "run")

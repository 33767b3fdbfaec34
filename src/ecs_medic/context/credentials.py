"""Open a gateway on the local AWS chain: profile, environment, region, endpoint.

Credentials stay inside the boto3 session held by the gateway; nothing here returns them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import partial

import boto3
from botocore.credentials import CredentialProvider, CredentialResolver, RefreshableCredentials
from botocore.session import Session as BotocoreSession

from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.gateway import ErrorKind, Gateway, GatewayError
from ecs_medic.config import Settings
from ecs_medic.errors import AwsAccessError, ContextError

NO_CREDENTIALS = (
    "No AWS credentials found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
    "AWS_SECRET_ACCESS_KEY, or log in with 'aws sso login'."
)
NO_REGION = "No AWS region is set: pass --region or set AWS_REGION."


def open_gateway(settings: Settings) -> tuple[Gateway, str]:
    """A gateway for the configured account and its region; a clear error if either is missing."""
    try:
        session = make_session(settings.aws.profile)
    except GatewayError as exc:
        raise ContextError(f"AWS profile problem: {exc.message}") from exc
    region = settings.aws.region or session.region_name
    if not region:
        raise ContextError(NO_REGION)
    if session.get_credentials() is None:
        raise ContextError(NO_CREDENTIALS)
    gateway = DirectGateway(
        session,
        region,
        endpoint_url=settings.aws.endpoint_url,
        timeout_s=settings.collect.call_timeout_s,
    )
    return gateway, region


SESSION_SECONDS = 900  # the shortest AssumeRole allows: a diagnosis takes seconds
REFRESH_ADVISORY_S = 180  # assume the role again this long before its credentials expire
REFRESH_MANDATORY_S = 60  # ... and block every call for it this long before


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the run acts as (ARNs and ids only; never a key)."""

    account_id: str
    arn: str
    role_arn: str | None


def open_planton_gateway(
    settings: Settings,
    *,
    account_id: str | None,
    region: str | None,
    role_arn: str | None,
    run_id: str,
) -> tuple[Gateway, str, Identity]:
    """A gateway into the account Planton names, through its role when it has one.

    Base credentials come from the standard chain; with a role they only call sts:AssumeRole.
    The caller's account must equal Planton's, or nothing is read (ContextError, exit 2).
    """
    try:
        base = make_session(settings.aws.profile)
    except GatewayError as exc:
        raise ContextError(f"AWS profile problem: {exc.message}") from exc
    region = (
        region or settings.aws.region or base.region_name
    )  # the service lives where Planton says
    if not region:
        raise ContextError(NO_REGION)
    if base.get_credentials() is None:
        raise ContextError(NO_CREDENTIALS)
    session = _assumed(base, settings, region, role_arn, run_id) if role_arn else base
    gateway = DirectGateway(
        session,
        region,
        endpoint_url=settings.aws.endpoint_url,
        timeout_s=settings.collect.call_timeout_s,
    )
    identity = _identity(gateway, role_arn)
    if account_id and identity.account_id != account_id:
        raise ContextError(
            f"Refusing to act: the AWS credentials are for account {identity.account_id} "
            f"({identity.arn}) but Planton deploys this service to account {account_id}."
        )
    return gateway, region, identity


def session_name(run_id: str) -> str:
    """The RoleSessionName: names ecs-medic and the run, within STS's 64 allowed characters."""
    cleaned = re.sub(r"[^\w+=,.@-]", "-", run_id)
    return f"ecs-medic-{cleaned}"[:64]


def _assumed(
    base: boto3.Session, settings: Settings, region: str, role_arn: str, run_id: str
) -> boto3.Session:
    """A session on the role's temporary credentials, assumed again before they expire.

    The credentials stay in this session object only. botocore refreshes them shortly before
    expiry, so a fix approved long after the diagnosis still applies and verifies.
    """
    sts = DirectGateway(base, region, endpoint_url=settings.aws.endpoint_url)
    fetch = partial(_assume_role, sts, role_arn, session_name(run_id))
    credentials = RefreshableCredentials.create_from_metadata(
        metadata=fetch(),
        refresh_using=fetch,
        method="ecs-medic-assume-role",
        advisory_timeout=REFRESH_ADVISORY_S,
        mandatory_timeout=REFRESH_MANDATORY_S,
    )
    botocore_session = BotocoreSession()
    # share the base session's parsed service models: loading them again costs seconds
    loader = base._session.get_component("data_loader")
    botocore_session.register_component("data_loader", loader)
    resolver = CredentialResolver(providers=[_Fixed(credentials)])
    botocore_session.register_component("credential_provider", resolver)
    return boto3.Session(botocore_session=botocore_session, region_name=region)


def _assume_role(sts: Gateway, role_arn: str, name: str) -> dict[str, str]:
    """sts:AssumeRole, as the metadata botocore's refreshable credentials read."""
    try:
        answer = sts.call(
            "sts",
            "AssumeRole",
            {"RoleArn": role_arn, "RoleSessionName": name, "DurationSeconds": SESSION_SECONDS},
        )
    except GatewayError as exc:
        raise ContextError(
            f"Could not assume the role Planton names, {role_arn} ({exc.code}): check that "
            "your AWS identity may assume it."
        ) from exc
    creds = answer["Credentials"]
    expiration = creds["Expiration"]
    return {
        "access_key": creds["AccessKeyId"],
        "secret_key": creds["SecretAccessKey"],
        "token": creds["SessionToken"],
        "expiry_time": expiration.isoformat() if hasattr(expiration, "isoformat") else expiration,
    }


class _Fixed(CredentialProvider):
    """A credential provider that hands out one (refreshing) credentials object."""

    METHOD = "ecs-medic-assume-role"

    def __init__(self, credentials: RefreshableCredentials) -> None:
        super().__init__()
        self._credentials = credentials

    def load(self) -> RefreshableCredentials:
        return self._credentials


def _identity(gateway: Gateway, role_arn: str | None) -> Identity:
    """sts:GetCallerIdentity through the gateway; rejected credentials are a context error."""
    try:
        answer = gateway.call("sts", "GetCallerIdentity", {})
    except GatewayError as exc:
        if exc.kind in (ErrorKind.NO_CREDENTIALS, ErrorKind.ACCESS_DENIED):
            raise ContextError(f"AWS rejected the credentials ({exc.code}).") from exc
        raise AwsAccessError(f"AWS call {exc.source} failed ({exc.code}): {exc.message}") from exc
    return Identity(
        account_id=str(answer.get("Account")), arn=str(answer.get("Arn")), role_arn=role_arn
    )


def credentials_env(gateway_session: boto3.Session) -> dict[str, str]:
    """AWS_* variables for an MCP subprocess's environment (the only place keys may go)."""
    frozen = gateway_session.get_credentials()
    if frozen is None:
        return {}
    creds = frozen.get_frozen_credentials()
    env = {
        "AWS_ACCESS_KEY_ID": str(creds.access_key),
        "AWS_SECRET_ACCESS_KEY": str(creds.secret_key),
    }
    if creds.token:
        env["AWS_SESSION_TOKEN"] = creds.token
    return env

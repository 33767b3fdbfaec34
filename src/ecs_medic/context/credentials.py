"""Open a gateway on the local AWS chain: profile, environment, region, endpoint.

Credentials stay inside the boto3 session held by the gateway; nothing here returns them.
"""

from __future__ import annotations

from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.gateway import Gateway, GatewayError
from ecs_medic.config import Settings
from ecs_medic.errors import ContextError

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

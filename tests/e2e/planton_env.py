"""A lab with a Planton stand-in beside it, and the environment a Planton user exports."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from cli_env import clean_env

from ecs_medic.lab import Lab
from ecs_medic.lab.planton import PlantonServer

ACCESS_KEY = "TESTKEY-ECS-MEDIC-BASE-1"  # a dummy; not shaped like a real key id
SECRET_KEY = "BaseSecretKeyThatMustNeverAppear0123456789"
SESSION_TOKEN = "BaseSessionTokenThatMustNeverAppear9876543210"


def planton_user_env(
    tmp_path: Path,
    lab: Lab,
    planton: PlantonServer,
    extra: Mapping[str, str] | None = None,
    transport: str = "direct",
) -> dict[str, str]:
    """Only base AWS credentials, the lab endpoint and the Planton key and URL: no region,
    no org, no environment, no cluster. Direct transport unless asked (it is faster)."""
    env = clean_env(
        tmp_path,
        {
            "AWS_ENDPOINT_URL": lab.endpoint_url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_SESSION_TOKEN": SESSION_TOKEN,
            "PLANTON_API_KEY": planton.api_key,
            "PLANTON_MCP_URL": planton.url,
            "ECS_MEDIC_TRANSPORT": transport,
        },
    )
    env.update(extra or {})
    return env

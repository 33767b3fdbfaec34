"""Planton settings from the environment, the context mode, and the role session name."""

from __future__ import annotations

import pytest

from ecs_medic.config import PLANTON_DEFAULT_URL, load_settings
from ecs_medic.context.credentials import session_name


def test_planton_settings_come_from_planton_variables():
    """PLANTON_API_KEY, PLANTON_MCP_URL, PLANTON_ORG and PLANTON_ENV are read in one place."""
    env = {
        "PLANTON_API_KEY": "pk_live_x",
        "PLANTON_MCP_URL": "http://127.0.0.1:9/",
        "PLANTON_ORG": "acme",
        "PLANTON_ENV": "prod",
    }
    planton = load_settings(env).planton
    assert ("pk_live_x", "http://127.0.0.1:9/", "acme", "prod") == (
        planton.api_key,
        planton.url,
        planton.org,
        planton.env,
    )


def test_default_url_is_the_hosted_server():
    """Without PLANTON_MCP_URL the hosted server is used."""
    assert PLANTON_DEFAULT_URL == load_settings({}).planton.url == "https://mcp.planton.ai/"


def test_api_key_is_never_in_the_settings_repr():
    """Printing settings (a log line, a traceback) does not show the key."""
    assert "pk_live_secret" not in repr(load_settings({"PLANTON_API_KEY": "pk_live_secret"}))


@pytest.mark.parametrize(
    ("context", "key", "wanted"),
    [("auto", "pk", True), ("auto", "", False), ("local", "pk", False), ("planton", "", True)],
)
def test_context_mode_decides_whether_planton_is_asked(context, key, wanted):
    """auto asks Planton only with a key; local never; planton always (and fails without)."""
    env = {"ECS_MEDIC_CONTEXT": context, "PLANTON_API_KEY": key}
    assert wanted == load_settings(env).planton.wanted


def test_flags_override_the_environment():
    """--planton-org and --planton-env win over PLANTON_ORG and PLANTON_ENV."""
    settings = load_settings({"PLANTON_ORG": "a", "PLANTON_ENV": "b"}).with_planton(
        org="c", env=None
    )
    assert ("c", "b") == (settings.planton.org, settings.planton.env)


def test_role_session_name_names_ecs_medic_and_the_run():
    """RoleSessionName is ecs-medic-<thread id>, cleaned and at most 64 characters."""
    assert "ecs-medic-diag-0123abcd" == session_name("diag-0123abcd")
    assert "ecs-medic-a-b" == session_name("a b")
    assert 64 == len(session_name("x" * 100))

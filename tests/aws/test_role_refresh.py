"""The Planton connection's role is assumed again before its credentials expire."""

from __future__ import annotations

import boto3
import pytest

from ecs_medic.config import Settings
from ecs_medic.context import credentials
from ecs_medic.lab import Lab
from ecs_medic.lab_settings import lab_settings

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab():
    with Lab.start(["healthy"], warmup_s=0) as started:
        yield started


def _base(lab: Lab) -> boto3.Session:
    env = lab.env()
    return boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=lab.region,
    )


def _role_arn(lab: Lab) -> str:
    iam = _base(lab).client("iam", endpoint_url=lab.endpoint_url)
    return str(iam.list_roles()["Roles"][0]["Arn"])


def _settings(lab: Lab) -> Settings:
    return lab_settings(lab)


def test_credentials_within_the_refresh_window_are_assumed_again(lab, monkeypatch):
    """Inside the advisory window every use refreshes: two reads, two AssumeRole calls."""
    monkeypatch.setattr(credentials, "REFRESH_ADVISORY_S", credentials.SESSION_SECONDS + 60)
    session = credentials._assumed(_base(lab), _settings(lab), lab.region, _role_arn(lab), "r1")
    first = session.get_credentials().get_frozen_credentials()
    second = session.get_credentials().get_frozen_credentials()
    assert first.access_key != second.access_key
    assert session.client("sts", endpoint_url=lab.endpoint_url).get_caller_identity()["Arn"]


def test_fresh_credentials_are_kept(lab):
    """Far from expiry the same credentials serve every call (one AssumeRole per run)."""
    session = credentials._assumed(_base(lab), _settings(lab), lab.region, _role_arn(lab), "r2")
    first = session.get_credentials().get_frozen_credentials()
    second = session.get_credentials().get_frozen_credentials()
    assert first.access_key == second.access_key
    assert first.token

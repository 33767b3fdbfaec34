"""The one setup that aims ecs-medic at a running lab (demo, bench/, tests)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from ecs_medic.config import Settings
from ecs_medic.graph.state import Request
from ecs_medic.lab import Lab
from ecs_medic.lab_settings import export_lab_env, lab_request, lab_settings, lab_target


@dataclass
class FakeLab:
    """What the helpers read of a Lab."""

    region: str = "us-east-1"
    account_id: str = "123456789012"
    endpoint_url: str = "http://127.0.0.1:5999"
    targets: list[tuple[str, str, str]] = field(
        default_factory=lambda: [("us-west-2:oom", "prod", "web")]
    )

    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL": self.endpoint_url, "AWS_REGION": self.region}

    def region_of(self, name: str) -> str:
        return name.partition(":")[0] if ":" in name else self.region


def lab() -> Lab:
    return cast("Lab", FakeLab())


def test_settings_take_the_labs_region_and_endpoint_and_keep_the_rest():
    """The base's other settings stay; the changes apply; aws is the lab's alone."""
    base = Settings(transport="direct", state_dir=Path("/tmp/x"))
    settings = lab_settings(lab(), base, state_dir=Path("/tmp/y"))
    assert ("us-east-1", "http://127.0.0.1:5999", None) == (
        settings.aws.region,
        settings.aws.endpoint_url,
        settings.aws.profile,
    )
    assert ("direct", Path("/tmp/y")) == (settings.transport, settings.state_dir)


def test_export_drops_the_profile_so_the_labs_keys_win():
    """AWS_PROFILE would shadow the lab's keys in the credential chain."""
    environ: dict[str, Any] = {"AWS_PROFILE": "prod-admin", "HOME": "/home/me"}
    export_lab_env(lab(), environ)
    assert {
        "HOME": "/home/me",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:5999",
        "AWS_REGION": "us-east-1",
    } == environ


def test_request_names_the_first_service_in_its_own_region():
    """A scenario placed in another region is asked for there."""
    assert Request(service="web", cluster="prod", region="us-west-2") == lab_request(lab())


def test_target_is_the_scenarios_service_with_arns_in_its_region():
    """lab_target resolves the service's and cluster's ARNs where the scenario runs."""
    fake = FakeLab(targets=[("healthy", "healthy", "web"), ("us-west-2:oom", "oom", "web")])
    target = lab_target(cast("Lab", fake), "us-west-2:oom")
    assert (
        "web",
        "arn:aws:ecs:us-west-2:123456789012:service/oom/web",
        "arn:aws:ecs:us-west-2:123456789012:cluster/oom",
        "us-west-2",
    ) == (target.service_name, target.service_arn, target.cluster_arn, target.region)

"""The resolved target of a run: one ECS service in one account and region."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Target:
    """Which service to diagnose, fully resolved (no credentials here, ever)."""

    service_name: str
    service_arn: str
    cluster_arn: str
    region: str
    account_id: str | None

    @property
    def cluster_name(self) -> str:
        """The cluster name, the last part of its ARN."""
        return self.cluster_arn.rsplit("/", 1)[-1]

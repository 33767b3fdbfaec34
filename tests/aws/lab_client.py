"""boto3 clients pointed at a lab, and the calls the diagnosis makes (imported by tests)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import boto3

from ecs_medic.lab import Lab


@dataclass
class LabAws:
    """A running lab and the boto3 calls the diagnosis makes against one of its services.

    The service is the lab's first unless `on` picks another scenario's cluster.
    """

    lab: Lab
    ecs: Any
    elbv2: Any
    logs: Any
    ecr: Any
    cluster: str
    service_name: str

    @classmethod
    def connect(cls, lab: Lab) -> LabAws:
        session = boto3.session.Session(**_credentials(lab))
        make = lambda name: session.client(name, endpoint_url=lab.endpoint_url)  # noqa: E731
        _, cluster, service = lab.targets[0]
        return cls(lab, make("ecs"), make("elbv2"), make("logs"), make("ecr"), cluster, service)

    def on(self, cluster: str) -> LabAws:
        """The same clients, on the service of another scenario's cluster."""
        service = next(s for _, c, s in self.lab.targets if c == cluster)
        return replace(self, cluster=cluster, service_name=service)

    def service(self, cluster: str | None = None, name: str | None = None) -> dict[str, Any]:
        found = self.ecs.describe_services(
            cluster=cluster or self.cluster, services=[name or self.service_name]
        )
        return dict(found["services"][0])

    def primary(self) -> dict[str, Any]:
        return next(d for d in self.service()["deployments"] if d["status"] == "PRIMARY")

    def messages(self) -> list[str]:
        return [e["message"] for e in self.service()["events"]]

    def tasks(self, status: str = "RUNNING", cluster: str | None = None) -> list[dict[str, Any]]:
        cluster = cluster or self.cluster
        arns = self.ecs.list_tasks(
            cluster=cluster, serviceName=self.service_name, desiredStatus=status
        )["taskArns"]
        tasks: list[dict[str, Any]] = []
        for start in range(0, len(arns), 100):
            tasks += self.ecs.describe_tasks(cluster=cluster, tasks=arns[start : start + 100])[
                "tasks"
            ]
        return tasks

    def target_group_arn(self) -> str:
        return self.service()["loadBalancers"][0]["targetGroupArn"]

    def target_health(self) -> list[dict[str, Any]]:
        found = self.elbv2.describe_target_health(TargetGroupArn=self.target_group_arn())
        return [d["TargetHealth"] for d in found["TargetHealthDescriptions"]]

    def log_messages(self, task: dict[str, Any], container: str = "web") -> list[str]:
        stream = f"ecs/{container}/{task['taskArn'].rsplit('/', 1)[-1]}"
        found = self.logs.filter_log_events(
            logGroupName=f"/ecs/{self.service_name}", logStreamNames=[stream]
        )
        return [e["message"] for e in found["events"]]

    def advance_until(
        self, condition: Callable[[], bool], limit_s: float = 600, step_s: float = 5
    ) -> bool:
        """Advance simulated time until `condition` holds; False when `limit_s` passes first."""
        waited = 0.0
        while not condition():
            if waited >= limit_s:
                return False
            self.lab.advance(step_s)
            waited += step_s
        return True


def _credentials(lab: Lab) -> dict[str, str]:
    env = lab.env()
    return {
        "aws_access_key_id": env["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": env["AWS_SECRET_ACCESS_KEY"],
        "region_name": env["AWS_REGION"],
    }


def started_lab(scenario: str, warmup_s: float = 600) -> Iterator[LabAws]:
    with Lab.start([scenario], warmup_s=warmup_s) as lab:
        yield LabAws.connect(lab)

"""What Planton Cloud says a service should be: the expected state analyzers compare against.

Plain data only (no secrets, no environment values): it travels in the snapshot and in
checkpoints.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class StackJob:
    """The latest Planton stack job of the resource (the IaC run that deploys it)."""

    id: str
    operation: str  # init | refresh | update_preview | update | destroy_preview | destroy
    status: str  # queued | running | completed | awaiting_approval
    result: str  # tbd | succeeded | failed | cancelled | skipped
    errors: tuple[str, ...] = ()
    finished_at: str | None = None

    @property
    def failed(self) -> bool:
        """Whether the job ended in failure."""
        return self.result == "failed"


@dataclass(frozen=True, slots=True)
class ExpectedSpec:
    """The AwsEcsService spec, references resolved; None where the spec leaves a field out."""

    resource: str  # "org/env/name", for evidence
    resource_id: str = ""
    cpu: int | None = None
    memory: int | None = None
    image: str | None = None  # repo:tag
    port: int | None = None
    desired_count: int | None = None  # None when autoscaling owns the count
    min_tasks: int | None = None  # spec.autoscaling, when enabled: the scalable target's range
    max_tasks: int | None = None
    health_check_path: str | None = None
    grace_period_s: int | None = None
    subnets: tuple[str, ...] = ()
    security_groups: tuple[str, ...] = ()
    stack_job: StackJob | None = None
    target_group_arn: str | None = None  # the target group of the spec's ALB block, if any

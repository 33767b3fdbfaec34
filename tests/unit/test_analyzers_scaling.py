"""Autoscaling analyzers on activities as AWS reports them (not-scaled ones are Failed)."""

from __future__ import annotations

from test_analyzers_catalogue import scaled

from ecs_medic.analyzers import analyze
from ecs_medic.aws.snapshot_capacity import ScalableTarget, ScalingActivity


def test_a_not_scaled_activity_at_max_capacity_is_maxed_not_failing():
    """AWS marks "AlreadyAtMaxCapacity" activities StatusCode Failed; that is not a failure."""
    at_max = ScalingActivity("Failed", not_scaled_reasons=("AlreadyAtMaxCapacity",))
    codes = [f.code for f in analyze(scaled(ScalableTarget(1, 2), at_max, alarms=("hi",))).findings]
    assert "AUTOSCALING_MAXED" == codes[0]
    assert "AUTOSCALING_SUSPENDED_OR_FAILING" not in codes


def test_a_failed_activity_without_a_harmless_reason_is_failing():
    failed = ScalingActivity("Failed", status_message="Failed to set desired count")
    codes = [f.code for f in analyze(scaled(ScalableTarget(1, 6), failed)).findings]
    assert ["AUTOSCALING_SUSPENDED_OR_FAILING"] == codes


def test_not_scaled_activities_from_before_max_capacity_was_raised_are_not_maxed():
    """MaxCapacity is 6 now and the service runs 3: an old AlreadyAtMaxCapacity says nothing."""
    at_max = ScalingActivity("Failed", not_scaled_reasons=("AlreadyAtMaxCapacity",))
    codes = [f.code for f in analyze(scaled(ScalableTarget(1, 6), at_max, alarms=("hi",))).findings]
    assert "AUTOSCALING_MAXED" not in codes

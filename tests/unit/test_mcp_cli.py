"""Reads become AWS CLI commands for call_aws: one flag per parameter, never --cli-input-json."""

from __future__ import annotations

import shlex
from datetime import UTC, datetime

import pytest

from ecs_medic.aws.mcp_cli import CliMappingError, cli_command


def test_operation_and_parameters_become_kebab_case_flags():
    """CamelCase operation and parameter names follow the CLI's naming."""
    command = cli_command("elbv2", "DescribeTargetHealth", {"TargetGroupArn": "arn:tg"})
    assert "aws elbv2 describe-target-health --target-group-arn arn:tg" == command


def test_booleans_become_flag_or_no_flag():
    """A boolean parameter is a bare --flag when true and --no-flag when false."""
    params = {"logGroupName": "/ecs/web", "logStreamName": "s", "startFromHead": False}
    words = shlex.split(cli_command("logs", "GetLogEvents", params))
    assert "--no-start-from-head" in words
    assert "--start-from-head" not in words


def test_lists_and_structures_are_passed_as_json():
    """Non-scalar values round-trip through JSON as the CLI accepts them."""
    filters = [{"Name": "vpc-id", "Values": ["vpc-1"]}]
    words = shlex.split(cli_command("ec2", "DescribeSubnets", {"Filters": filters}))
    assert '[{"Name":"vpc-id","Values":["vpc-1"]}]' == words[words.index("--filters") + 1]


def test_values_with_spaces_and_quotes_survive_the_shell_lexer():
    """The server splits with shlex, so every value must come back whole."""
    pattern = "\"ERROR\" 'fatal' x y"
    params = {"logGroupName": "/ecs/web", "filterPattern": pattern}
    words = shlex.split(cli_command("logs", "FilterLogEvents", params))
    assert pattern == words[words.index("--filter-pattern") + 1]


def test_timestamps_are_iso_8601():
    """datetime values are written as ISO 8601 text."""
    start = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    params = {
        "MetricDataQueries": [{"Id": "m", "Expression": "1"}],
        "StartTime": start,
        "EndTime": start,
    }
    words = shlex.split(cli_command("cloudwatch", "GetMetricData", params))
    assert "2026-01-02T03:04:05+00:00" == words[words.index("--start-time") + 1]


def test_page_size_and_token_of_paginated_reads_are_left_to_the_server():
    """The server follows every page, so page size and token are not passed on."""
    params = {"PolicySourceArn": "arn:role", "ActionNames": ["s3:GetObject"], "MaxItems": 1000}
    command = cli_command("iam", "SimulatePrincipalPolicy", params)
    assert "--max-items" not in command
    assert "--action-names" in command


def test_hyphenated_service_names_pass_through():
    """application-autoscaling keeps its CLI name."""
    command = cli_command(
        "application-autoscaling", "DescribeScalableTargets", {"ServiceNamespace": "ecs"}
    )
    assert command.startswith("aws application-autoscaling describe-scalable-targets ")


@pytest.mark.parametrize(
    ("service", "operation", "params"),
    [
        ("nosuchservice", "DescribeThings", {}),
        ("ec2", "DescribeNothing", {}),
        ("ec2", "DescribeSubnets", {"NoSuchParameter": 1}),
    ],
)
def test_unknown_service_operation_or_parameter_is_a_clear_error(service, operation, params):
    """A read the CLI cannot express is refused before any server sees it."""
    with pytest.raises(CliMappingError):
        cli_command(service, operation, params)

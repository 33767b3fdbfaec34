"""`ecs-medic lab list` and `lab describe`: what they print for the scenario files."""

from __future__ import annotations

import json

import pytest

from ecs_medic.errors import ContextError
from ecs_medic.lab.scenario import load_scenario
from ecs_medic.labcli import describe, describe_json, describe_lines, print_scenarios


def test_describe_names_the_fix_and_the_wrong_fix_with_their_api_steps():
    """The text shows the expected code, the fix steps and the wrong fix steps."""
    lines = describe_lines(load_scenario("sg-blocks-alb"))
    text = "\n".join(lines)
    assert "  expected   SG_BLOCKS_ALB" in lines
    assert "  - API: authorize_alb_ingress(port=8080)" in lines
    assert "  - API: update_service(healthCheckGracePeriodSeconds=300)" in lines
    assert text.index("Fix (heals") < text.index("Wrong fix")


def test_describe_json_carries_evidence_as_data():
    """The JSON form lists evidence items with their kind."""
    data = describe_json(load_scenario("crash-segfault"))
    assert ("RUNTIME_CRASH_SIGNAL", "runtime") == (data["expected"], data["category"])
    assert {"kind": "exit_code", "value": 139} in data["evidence"]  # type: ignore[operator]


def test_healthy_scenario_says_there_is_nothing_to_fix():
    """A healthy scenario has no expected code and nothing to fix."""
    lines = describe_lines(load_scenario("healthy"))
    assert "  expected   healthy (no finding)" in lines
    assert "  - nothing to fix" in lines


def test_unknown_scenario_and_format_are_one_line_errors():
    """Bad input raises the CLI's context error (exit 2), not a traceback."""
    with pytest.raises(ContextError, match="unknown scenario 'nope'"):
        describe("nope", "text")
    with pytest.raises(ContextError, match="unknown format 'yaml'"):
        print_scenarios("yaml")


def test_list_json_has_category_and_expected_code(capsys):
    """`lab list --format json` lists every scenario with category and expected code."""
    print_scenarios("json")
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)}
    assert ("load-balancer", "PORT_MISMATCH_TG") == (
        rows["port-mismatch-tg"]["category"],
        rows["port-mismatch-tg"]["expected"],
    )


def test_describe_shows_the_scalable_target_of_a_scaling_scenario():
    lines = describe_lines(load_scenario("autoscaling-suspended"))
    (scaling,) = [line for line in lines if line.startswith("  scaling")]
    assert "MinCapacity 2, MaxCapacity 6" in scaling
    assert "suspended: DynamicScalingOutSuspended" in scaling
    assert "cpu70 (ECSServiceAverageCPUUtilization target 70)" in scaling
    assert not [line for line in describe_lines(load_scenario("oom")) if "scaling " in line]

"""Reading Planton's shapes: value-or-reference fields, YAML in either key style, stack jobs."""

from __future__ import annotations

import pytest

from ecs_medic.context.planton_values import (
    expected_spec,
    parse_resolved_yaml,
    plain,
    snake_keys,
    stack_job,
)

CAMEL_YAML = """
apiVersion: aws.openmcf.org/v1
kind: AwsEcsService
spec:
  clusterArn: arn:aws:ecs:us-east-1:123456789012:cluster/main
  container:
    cpu: 512
    memory: "1024"
    port: 8080
    replicas: 2
    image: {repo: 123456789012.dkr.ecr.us-east-1.amazonaws.com/orders, tag: 1.4.2}
  healthCheckGracePeriodSeconds: 60
  network:
    subnets: [subnet-0aa, subnet-0bb]
    securityGroups: [sg-0a1b2c]
  alb: {enabled: true, healthCheck: {path: /health}}
"""


def test_camel_and_snake_keys_read_the_same():
    """resolve_value_references YAML may use either key style."""
    snake = CAMEL_YAML.replace("clusterArn", "cluster_arn").replace(
        "healthCheckGracePeriodSeconds", "health_check_grace_period_seconds"
    )
    assert parse_resolved_yaml(CAMEL_YAML) == parse_resolved_yaml(
        snake.replace("securityGroups", "security_groups").replace("healthCheck", "health_check")
    )


def test_expected_spec_from_resolved_yaml():
    """cpu, memory (int64 as a string), image, port, count, path, grace and network are read."""
    spec = parse_resolved_yaml(CAMEL_YAML)["spec"]
    expected = expected_spec("acme/prod/orders", "ecssvc-1", spec)
    assert (512, 1024, 8080, 2, "/health", 60) == (
        expected.cpu,
        expected.memory,
        expected.port,
        expected.desired_count,
        expected.health_check_path,
        expected.grace_period_s,
    )
    assert "123456789012.dkr.ecr.us-east-1.amazonaws.com/orders:1.4.2" == expected.image
    assert (("subnet-0aa", "subnet-0bb"), ("sg-0a1b2c",)) == (
        expected.subnets,
        expected.security_groups,
    )


def test_autoscaling_leaves_the_count_to_aws():
    """With autoscaling on, replicas is not the expected desired count."""
    spec = snake_keys({"container": {"replicas": 2}, "autoscaling": {"enabled": True}})
    assert None is expected_spec("r", "id", spec).desired_count


def test_enabled_autoscaling_gives_the_range_the_spec_owns():
    """min_tasks and max_tasks (int64 as strings in protojson) when enabled; none when off."""
    block = {"enabled": True, "minTasks": "1", "maxTasks": "2"}
    on = expected_spec("r", "id", snake_keys({"autoscaling": block}))
    off = expected_spec("r", "id", snake_keys({"autoscaling": {**block, "enabled": False}}))
    assert ((1, 2), (None, None)) == ((on.min_tasks, on.max_tasks), (off.min_tasks, off.max_tasks))


@pytest.mark.parametrize(
    ("field", "want"),
    [
        ("sg-1", "sg-1"),
        ({"value": "sg-1"}, "sg-1"),
        ({"value_from": {"kind": "AwsSecurityGroup", "name": "web"}}, None),
        (None, None),
    ],
)
def test_value_or_reference_fields(field, want):
    """A plain value or {"value": ...} reads as the value; an unresolved reference as None."""
    assert want == plain(field)


def test_stack_job_reads_progress_and_errors():
    """get_latest_stack_job's progress gives operation, status, result and errors."""
    answer = {
        "metadata": {"id": "sj-01jq8a0d"},
        "spec": {"stack_job_operation": "update"},
        "status": {
            "progress": {
                "status": "completed",
                "result": "failed",
                "errors": ["update failed: ResourceInitializationError"],
                "end_time": "2026-03-05T14:06:40Z",
            }
        },
    }
    job = stack_job(answer)
    assert job is not None
    assert ("sj-01jq8a0d", "update", "completed", "failed", True) == (
        job.id,
        job.operation,
        job.status,
        job.result,
        job.failed,
    )
    assert ("update failed: ResourceInitializationError",) == job.errors


def test_empty_stack_job_answer_is_none():
    """Protojson prints an empty response as {}; that is no stack job."""
    assert None is stack_job({})

"""`ecs-medic diagnose` through the real CLI against the lab: each scenario, each error path."""

from __future__ import annotations

import json

import pytest
from cli_env import clean_env, run_cli, start_lab

from ecs_medic.lab import list_scenarios

pytestmark = pytest.mark.lab

SCENARIOS = {info.name: info for info in list_scenarios()}
BAD = ("critical", "high", "medium")
# boto3 unless a test is about the MCP path: the MCP servers cost about 8 s per CLI run, and
# tests/e2e/test_cli_transport.py proves the default transport end to end
DIRECT = {"ECS_MEDIC_TRANSPORT": "direct"}


def lab_env(scenarios: list[str], tmp_path, transport: str = "direct"):
    """A lab and the environment a user would export for it, on `transport`."""
    lab, env = start_lab(scenarios, tmp_path)
    return lab, {**env, "ECS_MEDIC_TRANSPORT": transport}


@pytest.fixture(scope="module")
def each_lab(tmp_path_factory):
    """One lab per scenario name, started on first use and kept for the module."""
    labs = {}

    def get(name):
        if name not in labs:
            labs[name] = lab_env([name], tmp_path_factory.mktemp(name))
        return labs[name]

    yield get
    for lab, _ in labs.values():
        lab.stop()


# Known misses, tracked in bench/results/accuracy.md and the diagnosis issue. Strict: the
# day one of them passes, this list must shrink.
KNOWN_MISSES: dict[str, str] = {}

# The CLI's JSON report on a failing, a healthy and an EC2 healthy scenario runs in `make
# test`; every scenario's top-1 is proven there in process by tests/aws/test_lab_sweep.py,
# so the CLI repeat over all of them is `make test-all` only.
IN_MAKE_TEST = {"oom", "healthy", "healthy-ec2-bridge"}


def scenario_params() -> list[object]:
    """Every scenario, the known misses marked as strict expected failures."""
    params = []
    for name in sorted(SCENARIOS):
        marks = [] if name in IN_MAKE_TEST else [pytest.mark.slow]
        if name in KNOWN_MISSES:
            marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[name]))
        params.append(pytest.param(name, marks=marks, id=name))
    return params


@pytest.mark.parametrize("scenario", scenario_params())
def test_each_scenario_gets_its_own_root_cause(each_lab, scenario):
    """The JSON report names the scenario's expected code; healthy exits 0 with no finding."""
    lab, env = each_lab(scenario)
    _, cluster, service = lab.targets[0]
    # boto3 here: the MCP path is proven on every scenario by tests/aws/test_mcp_parity.py
    result = run_cli(["diagnose", service, "--format", "json", "--transport", "direct"], env)
    report = json.loads(result.stdout)
    expected = SCENARIOS[scenario].expected
    assert (expected, 1 if expected else 0) == (report["root_cause"], result.returncode), (
        result.stderr
    )
    assert report["schema"] == "ecs-medic/report/v1"
    assert (report["service"]["name"], report["service"]["cluster"]) == (service, cluster)
    if expected is None:
        assert [] == [f["code"] for f in report["findings"] if f["severity"] in BAD]
        assert report["status"] == "healthy"
    else:
        assert report["findings"][0]["evidence"], "a root cause comes with evidence"


def test_text_report_shows_root_cause_and_evidence(each_lab):
    """The default text report leads with the root cause and quotes AWS verbatim."""
    _, env = each_lab("oom")
    result = run_cli(["diagnose", "web"], env)
    assert result.returncode == 1
    assert "OOM_KILLED" in result.stdout
    assert "OutOfMemoryError: Container killed due to memory usage" in result.stdout


def test_unknown_service_exits_2_with_close_matches(each_lab):
    """A typo gets one line on stderr with the service it probably meant."""
    _, env = each_lab("healthy")
    result = run_cli(["diagnose", "wbe"], env)
    assert (2, "") == (result.returncode, result.stdout)
    assert result.stderr.count("\n") == 1
    assert "No ECS service named 'wbe'" in result.stderr
    assert "Did you mean: web (cluster prod)?" in result.stderr


def test_unknown_cluster_exits_2(each_lab):
    """A typo in --cluster names the clusters that exist."""
    _, env = each_lab("healthy")
    result = run_cli(["diagnose", "web", "--cluster", "prdo"], env)
    assert 2 == result.returncode
    assert "No ECS cluster named 'prdo'" in result.stderr
    assert "Did you mean: prod?" in result.stderr


def test_ambiguous_service_exits_2_listing_candidates(tmp_path):
    """Two scenarios served together put `web` in two clusters: both are named."""
    lab, env = lab_env(["oom", "healthy"], tmp_path)
    with lab:
        result = run_cli(["diagnose", "web"], env)
        assert 2 == result.returncode
        assert "ambiguous" in result.stderr
        assert "healthy, oom" in result.stderr
        by_cluster = run_cli(["diagnose", "web", "--cluster", "oom", "-f", "json"], env)
        assert "OOM_KILLED" == json.loads(by_cluster.stdout)["root_cause"]


def test_no_credentials_exits_2_with_one_line(tmp_path):
    """Without any credentials the user gets a sentence, not a traceback."""
    env = clean_env(tmp_path, {"AWS_REGION": "us-east-1"})
    result = run_cli(["diagnose", "web"], env)
    assert 2 == result.returncode
    assert result.stderr.startswith("ecs-medic: No AWS credentials found")
    assert "Traceback" not in result.stderr


def test_no_region_exits_2_with_one_line(tmp_path):
    """Credentials without a region: say how to set one."""
    env = clean_env(tmp_path, {"AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "y"})
    result = run_cli(["diagnose", "web"], env)
    assert 2 == result.returncode
    assert "No AWS region is set: pass --region or set AWS_REGION." in result.stderr


def test_unreachable_endpoint_exits_3(tmp_path):
    """Nothing listening at AWS_ENDPOINT_URL: exit 3 naming the failed call."""
    env = clean_env(
        tmp_path,
        {
            "AWS_ACCESS_KEY_ID": "x",
            "AWS_SECRET_ACCESS_KEY": "y",
            "AWS_REGION": "us-east-1",
            "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        },
    )
    result = run_cli(["diagnose", "web"], env)
    assert 3 == result.returncode
    assert "sts:GetCallerIdentity" in result.stderr


@pytest.mark.parametrize(("kind", "transport"), [("AccessDenied", "mcp"), ("Throttling", "direct")])
def test_failed_source_is_a_gap_not_healthy(tmp_path, kind, transport):
    """A denied or throttled DescribeTargetHealth is a gap; the service is not called healthy."""
    lab, env = lab_env(["healthy"], tmp_path, transport)
    with lab:
        lab.inject(f"elbv2:DescribeTargetHealth={kind}")
        result = run_cli(["diagnose", "web", "-f", "json"], env)
    report = json.loads(result.stdout)
    assert 1 == result.returncode
    assert ("unknown", None) == (report["status"], report["root_cause"])
    assert [{"source": "elbv2:DescribeTargetHealth", "reason": kind}] == [
        {k: g[k] for k in ("source", "reason")} for g in report["gaps"]
    ]


def test_denied_service_read_exits_3(tmp_path):
    """Without ecs:DescribeServices no diagnosis is possible: exit 3, one line."""
    lab, env = lab_env(["healthy"], tmp_path)
    with lab:
        lab.inject("ecs:DescribeServices")
        result = run_cli(["diagnose", "web", "--cluster", "prod"], env)
    assert 3 == result.returncode
    assert "AWS denied ecs:DescribeServices" in result.stderr


def test_demo_prints_the_root_cause(tmp_path):
    """`ecs-medic demo image-not-found` needs nothing but the package (boto3 here: the demo
    through the MCP servers is tests/e2e/test_cli_transport.py's)."""
    result = run_cli(["demo", "image-not-found", "-f", "json"], clean_env(tmp_path, DIRECT))
    assert (1, "IMAGE_PULL_NOT_FOUND") == (
        result.returncode,
        json.loads(result.stdout)["root_cause"],
    )


def test_demo_unknown_scenario_exits_2(tmp_path):
    """A misspelled scenario lists the known ones."""
    result = run_cli(["demo", "oomm"], clean_env(tmp_path))
    assert 2 == result.returncode
    assert "oom" in result.stderr

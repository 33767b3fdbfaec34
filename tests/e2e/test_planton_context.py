"""Diagnose through Planton Cloud: the real CLI, the lab, and the Planton stand-in over MCP."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Iterator
from dataclasses import replace

import pytest
from cli_env import run_cli
from moto.sts.models import sts_backends  # the lab runs in this process: read its STS state
from planton_env import planton_user_env

from ecs_medic.lab import Lab
from ecs_medic.lab.planton import PlantonServer, PlantonStore, seeds_from_lab
from ecs_medic.lab.planton.records import save_store

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    """One OOM lab for the module: web in cluster prod."""
    with Lab.start(["oom"]) as running:
        yield running


@pytest.fixture
def store(lab: Lab) -> PlantonStore:
    """A fresh Planton organisation whose AwsEcsService web points at the lab."""
    return PlantonStore.from_seeds("acme", seeds_from_lab(lab))


@pytest.fixture
def planton(store: PlantonStore) -> Iterator[PlantonServer]:
    """The stand-in serving that organisation on loopback."""
    with PlantonServer.start(store) as server:
        yield server


def diagnose_json(args: list[str], env: dict[str, str]) -> tuple[int, dict[str, object], str]:
    """Run `ecs-medic diagnose ... --format json`; exit code, report and stderr."""
    result = run_cli(["diagnose", *args, "--format", "json"], env)
    report = json.loads(result.stdout) if result.stdout.strip() else {}
    return result.returncode, report, result.stderr


def free_port_url() -> str:
    """A loopback URL where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/"


def test_planton_name_alone_resolves_account_region_role_cluster_and_service(
    tmp_path, lab, planton
):
    """With only PLANTON_API_KEY and base AWS keys, `diagnose web` finds everything itself,
    through the role Planton names, assumed as ecs-medic-<thread id> for 900 seconds; the
    AWS MCP servers read with the assumed credentials."""
    roles = sts_backends[lab.account_id]["aws"].assumed_roles
    before = len(roles)
    env = planton_user_env(tmp_path, lab, planton, transport="mcp")
    code, report, stderr = diagnose_json(["web"], env)
    role = f"arn:aws:iam::{lab.account_id}:role/planton-ecs-medic"
    assert (1, "OOM_KILLED") == (code, report["root_cause"]), stderr
    assert {
        "source": "planton",
        "planton_resource": "acme/prod/web",
        "role_arn": role,
        "warnings": [],
    } == report["context"]
    assert {
        "name": "web",
        "cluster": "prod",
        "arn": f"arn:aws:ecs:us-east-1:{lab.account_id}:service/prod/web",
        "region": "us-east-1",
        "account_id": lab.account_id,
    } == report["service"]
    [assumed] = roles[before:]
    assert role == assumed.role_arn
    assert assumed.session_name.startswith("ecs-medic-diag-")
    assert 900 == round((assumed.expiration - assumed.access_key.create_date).total_seconds())
    assert all(c.authorized for c in planton.calls)
    assert "mcp" == report["stats"]["transport"]


def test_account_mismatch_refuses_with_exit_2(tmp_path, lab, store, planton):
    """Planton names another account than the credentials reach: nothing is diagnosed."""
    store.set_account("999999999999")
    code, report, stderr = diagnose_json(["web"], planton_user_env(tmp_path, lab, planton))
    assert (2, {}) == (code, report)
    assert "Refusing to act" in stderr
    assert "999999999999" in stderr
    assert "Traceback" not in stderr


@pytest.mark.parametrize("problem", ["unreachable", "unauthorized"])
def test_planton_down_or_refusing_falls_back_to_local_with_a_warning(
    tmp_path, lab, planton, problem
):
    """Auto context: Planton unreachable or the key refused -> local context, a warning."""
    broken = (
        {"PLANTON_MCP_URL": free_port_url()}
        if problem == "unreachable"
        else {"PLANTON_API_KEY": "pk_test_wrong"}
    )
    env = planton_user_env(tmp_path, lab, planton, {**broken, "AWS_REGION": "us-east-1"})
    code, report, stderr = diagnose_json(["web"], env)
    context = report["context"]
    assert (1, "OOM_KILLED", "local") == (code, report["root_cause"], context["source"]), stderr
    [warning] = context["warnings"]
    assert {"unreachable": "is unreachable", "unauthorized": "Authentication failed"}[
        problem
    ] in warning
    assert "local AWS context" in warning


@pytest.mark.parametrize("problem", ["unreachable", "unauthorized"])
def test_planton_only_context_exits_2_when_planton_fails(tmp_path, lab, planton, problem):
    """--context planton: the same failures are a clear one-line error and exit 2."""
    broken = (
        {"PLANTON_MCP_URL": free_port_url()}
        if problem == "unreachable"
        else {"PLANTON_API_KEY": "pk_test_wrong"}
    )
    env = planton_user_env(tmp_path, lab, planton, {**broken, "AWS_REGION": "us-east-1"})
    code, report, stderr = diagnose_json(["web", "--context", "planton"], env)
    assert (2, {}) == (code, report)
    assert 1 == len(stderr.strip().splitlines()), stderr
    assert stderr.startswith("ecs-medic: Planton")


def test_missing_tool_is_a_clear_error(tmp_path, lab, store):
    """A server without get_latest_stack_job is named as lacking it (exit 2)."""
    with PlantonServer.start(store, without=("get_latest_stack_job",)) as old:
        code, _, stderr = diagnose_json(["web"], planton_user_env(tmp_path, lab, old))
    assert 2 == code
    assert "lacks the tool(s) get_latest_stack_job" in stderr


def test_spec_drift_and_failed_stack_job_are_findings(tmp_path, lab, store, planton):
    """Planton says 1024 MiB and its last update failed: both show beside OOM_KILLED."""
    store.edit_spec("prod", "web", "container.memory", 1024)
    store.fail_latest_stack_job("prod", "web", "update failed: ECS service did not stabilize")
    code, report, stderr = diagnose_json(["web"], planton_user_env(tmp_path, lab, planton))
    findings = {f["code"]: f for f in report["findings"]}
    assert (1, "OOM_KILLED") == (code, report["root_cause"]), stderr
    drift_details = [e["detail"] for e in findings["PLANTON_SPEC_DRIFT"]["evidence"]]
    assert ["memory: Planton spec 1024, live 512"] == drift_details
    assert "ECS service did not stabilize" in findings["PLANTON_STACK_JOB_FAILED"]["summary"]


# --- ecs-medic ask --------------------------------------------------------------------------


def ask(text: str, env: dict[str, str]) -> tuple[int, str, str]:
    """Run `ecs-medic ask TEXT --format json`."""
    result = run_cli(["ask", text, "--format", "json"], env)
    return result.returncode, result.stdout, result.stderr


def test_ask_with_one_match_diagnoses_without_a_question(tmp_path, lab, planton):
    """The issue's sentence names web in prod: one Planton match, straight to the diagnosis."""
    env = planton_user_env(tmp_path, lab, planton)
    code, out, err = ask("I have an issue with AWS ECS service web in prod", env)
    report = json.loads(out)
    assert (1, "OOM_KILLED", "acme/prod/web") == (
        code,
        report["root_cause"],
        report["context"]["planton_resource"],
    ), err


def test_ask_with_several_matches_lists_them_and_exits_2(tmp_path, lab, store, planton):
    """web exists in prod and staging; the sentence names no environment."""
    [seed] = seeds_from_lab(lab)
    store.add_service(replace(seed, env="staging"))
    code, out, err = ask("the ECS service web is down", planton_user_env(tmp_path, lab, planton))
    assert (2, "") == (code, out)
    assert "web (env prod), web (env staging)" in err


def test_ask_with_no_match_offers_close_names(tmp_path, lab, planton):
    """A misspelt name gets a suggestion, not a guess."""
    code, out, err = ask(
        "service wbe in prod keeps crashing", planton_user_env(tmp_path, lab, planton)
    )
    assert (2, "") == (code, out)
    assert "Did you mean: web (env prod)?" in err


def test_ask_without_planton_matches_the_aws_inventory(tmp_path, lab, planton):
    """No Planton key: the AWS account's services are matched (cluster prod for "in prod")."""
    env = planton_user_env(tmp_path, lab, planton, {"AWS_REGION": "us-east-1"})
    del env["PLANTON_API_KEY"]
    code, out, err = ask("I have an issue with AWS ECS service web in prod", env)
    report = json.loads(out)
    assert (1, "OOM_KILLED", "local", "prod") == (
        code,
        report["root_cause"],
        report["context"]["source"],
        report["service"]["cluster"],
    ), err


# --- stdio ----------------------------------------------------------------------------------


def test_stdio_server_command_gives_the_same_context(tmp_path, lab, store):
    """PLANTON_MCP_COMMAND runs the server over stdio with the key in its environment only."""
    saved = tmp_path / "store.json"
    save_store(store, str(saved))
    command = f"{sys.executable} -m ecs_medic.lab.planton {saved} pk_test_stdio"
    with PlantonServer.start(store) as http:  # only for the environment helper
        env = planton_user_env(tmp_path, lab, http, {"PLANTON_MCP_COMMAND": command})
    env["PLANTON_API_KEY"] = "pk_test_stdio"
    code, report, stderr = diagnose_json(["web"], env)
    assert (1, "planton", "acme/prod/web") == (
        code,
        report["context"]["source"],
        report["context"]["planton_resource"],
    ), stderr

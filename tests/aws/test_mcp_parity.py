"""Parity: for every lab scenario the mcp and direct transports find the same causes.

Scenarios run in chunks, each chunk in one lab (distinct clusters) with one MCP server pair
reused for all of its services, so the servers start a handful of times, not once per case.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from ecs_medic.aws.direct_transport import DirectGateway, make_session
from ecs_medic.aws.gateway import Gateway
from ecs_medic.aws.mcp_transport import McpGateway, open_mcp_gateway
from ecs_medic.config import Settings
from ecs_medic.graph.context import AwsConnector, RunContext
from ecs_medic.graph.graph import build_graph
from ecs_medic.graph.state import InputState, Request
from ecs_medic.lab import Lab
from ecs_medic.lab.scenario import scenario_names
from ecs_medic.lab_settings import export_lab_env, lab_settings
from ecs_medic.report.model import Report

pytestmark = [pytest.mark.lab, pytest.mark.slow]  # a sweep over many scenarios: `make test-all`

CHUNK = 8
NAMES = scenario_names()
CHUNKS = [NAMES[i : i + CHUNK] for i in range(0, len(NAMES), CHUNK)]


@dataclass(frozen=True)
class Outcome:
    """What parity is judged on: the ranked codes, the root cause, the gaps."""

    root_cause: str | None
    codes: tuple[str, ...]
    gaps: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, report: Report) -> Outcome:
        codes = tuple(f.code for f in report.findings)
        gaps = tuple(sorted((g.source, g.reason) for g in report.gaps))
        return cls(codes[0] if codes else None, codes, gaps)


@dataclass
class Bench:
    """A running lab with both transports open on it."""

    lab: Lab
    settings: Settings
    direct: DirectGateway
    mcp: McpGateway

    def diagnose(self, gateway: Gateway, cluster: str, service: str) -> Report:
        """The whole diagnosis flow on `gateway` (installed as is; no new servers)."""
        connector = AwsConnector(replace(self.settings, transport="direct"))
        connector.install(gateway, self.lab.region)
        request = Request(service=service, cluster=cluster, region=self.lab.region)
        context = RunContext(settings=self.settings, aws=connector)
        result = build_graph().invoke(InputState(request=request), context=context)
        report: Report = result["report"]
        return report


@pytest.fixture
def bench(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Bench]:
    lab = Lab.start(request.param)
    saved = dict(os.environ)
    export_lab_env(lab)
    settings = lab_settings(lab, transport="mcp", state_dir=tmp_path)
    direct = DirectGateway(make_session(None), lab.region, endpoint_url=lab.endpoint_url)
    mcp = open_mcp_gateway(settings, direct, lab.region)
    try:
        yield Bench(lab, settings, direct, mcp)
    finally:
        mcp.close()
        lab.stop()
        os.environ.clear()
        os.environ.update(saved)


@pytest.mark.parametrize("bench", CHUNKS, indirect=True, ids=lambda c: f"{c[0]}..{c[-1]}")
def test_mcp_and_direct_find_the_same_causes(bench):
    """Same findings in the same order, same root cause, same gaps; no server given up."""
    differences = {}
    for scenario, cluster, service in bench.lab.targets:
        by_direct = Outcome.of(bench.diagnose(bench.direct, cluster, service))
        by_mcp = Outcome.of(bench.diagnose(bench.mcp, cluster, service))
        if by_direct != by_mcp:
            differences[scenario] = (by_direct, by_mcp)
    assert {} == differences
    assert ("mcp", ()) == (bench.mcp.transport, bench.mcp.gaps)
    assert len(bench.lab.targets) == len({s for s, _, _ in bench.lab.targets})


def test_every_scenario_is_in_a_chunk():
    """A scenario added to the lab is compared without anyone editing this file."""
    assert sorted(NAMES) == sorted(name for chunk in CHUNKS for name in chunk)
    assert len(NAMES) >= 5

"""The Lab: moto on loopback, the account builder and the runtime simulation, on one clock."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType

from ecs_medic.lab import _moto, _moto_scaling, stubs_json
from ecs_medic.lab._moto_core import Scope
from ecs_medic.lab.builder import AccountBuilder, BuiltService
from ecs_medic.lab.ec2_fleet import FleetSim
from ecs_medic.lab.errors import LabError
from ecs_medic.lab.faults import Fault, is_mutating
from ecs_medic.lab.runtime import ServiceSim
from ecs_medic.lab.scaling import ScalingSim
from ecs_medic.lab.scenario import Scenario, load_scenario

REGION = "us-east-1"
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
HOST = "127.0.0.1"
TICK_S = 2.0  # simulated seconds per reconciler tick
_live: list[Lab] = []  # labs running in this process; each has its own moto account
_live_lock = threading.Lock()


class Lab:
    """A running lab. Create it with `Lab.start(...)`; stop it with `stop()` or `with`."""

    region = REGION

    def __init__(
        self, server: _moto.LabServer, port: int, lock: threading.RLock, now: float
    ) -> None:
        self.account_id = server.account
        self._server = server
        self._lock = lock
        self._now = now
        self._sims: dict[tuple[str, str, str], ServiceSim] = {}  # (region, cluster, service)
        self._placements: list[Placement] = []
        self._fleets: list[FleetSim] = []  # the ECS agent of EC2 clusters, ticked first
        self._scalers: list[ScalingSim] = []  # metrics, alarms, Application Auto Scaling
        self._built: list[BuiltService] = []
        self._ticker: threading.Thread | None = None
        self._halt = threading.Event()
        self.endpoint_url = f"http://{HOST}:{port}"
        server.clock = lambda: self._now  # CloudTrail events carry the simulated time

    @classmethod
    def start(cls, scenarios: Sequence[str], *, port: int = 0, warmup_s: float = 600.0) -> Lab:
        """Serve moto on loopback, build each scenario's account, simulate `warmup_s` seconds."""
        loaded = _placed(scenarios)
        lock = threading.RLock()
        with _live_lock:
            account = _free_account()
            _moto.reset_and_patch(account)
            _moto_scaling.install()
            server = _moto.LabServer(lock, account)
            lab = cls(server, server.start(HOST, port), lock, time.time() - warmup_s)
            _live.append(lab)
        stubs_json.register_clock(account, lambda: lab.now)
        try:
            lab._build(loaded)
            lab.advance(warmup_s)
            if lab._apply_changes():
                lab.advance(warmup_s)
        except BaseException:
            lab.stop()
            raise
        return lab

    def _build(self, placements: list[Placement]) -> None:
        builders: dict[str, AccountBuilder] = {}
        for placement in placements:
            region, scenario = placement.region, placement.scenario
            if region not in builders:
                shared = sum(1 for p in placements if p.region == region) > 1
                builders[region] = AccountBuilder(self.endpoint_url, region, prefixed=shared)
            builder = builders[region]
            if builder.account_id != self.account_id:
                raise LabError(f"the lab answers as {builder.account_id}, not {self.account_id}")
            index = sum(1 for p in self._placements if p.region == region)
            built = builder.build(scenario, index)
            self._built.append(built)
            self._placements.append(placement)
            scope = Scope(self.account_id, region)
            profiles = dict(scenario.app)
            sim = ServiceSim(scope, built.cluster, built.service, profiles)
            self._sims[(region, built.cluster, built.service)] = sim
            self._scalers.append(ScalingSim(scope, built.cluster, built.service, profiles))
            if scenario.ec2 is not None:
                waiting = self._waiting(region, built.cluster)
                self._fleets.append(FleetSim(scope, built.cluster, scenario.ec2, waiting))
        _moto.add_update_listener(self._on_update)

    def _waiting(self, region: str, cluster: str) -> Callable[[], int]:
        """Tasks the services of a cluster could not place on their last try (managed scaling)."""
        here = (region, cluster)
        return lambda: sum(s.unplaced for (r, c, _), s in self._sims.items() if (r, c) == here)

    def _apply_changes(self) -> bool:
        """Make each scenario's `change:` (a release, a push, a scale) through the AWS API."""
        from ecs_medic.lab.changes import change_steps  # noqa: PLC0415 - steps import boto3 models
        from ecs_medic.lab.steps import Target, apply_steps  # noqa: PLC0415

        changed = False
        for placement, built in zip(self._placements, self._built, strict=True):
            change = built.scenario.change
            if change is not None:
                env = self.env(placement.region)
                target = Target.connect(env, built.cluster, built.service)
                apply_steps(target, change_steps(change))
                changed = True
        return changed

    # --- what callers read ----------------------------------------------------------------

    @property
    def targets(self) -> list[tuple[str, str, str]]:
        """(scenario name, cluster, service) for every service the lab runs.

        The name is the one `start` was given: `us-west-2:healthy` for a scenario placed in
        another region (`region_of` tells which).
        """
        return [
            (p.name, b.cluster, b.service)
            for p, b in zip(self._placements, self._built, strict=True)
        ]

    def region_of(self, name: str) -> str:
        """The region a started scenario runs in."""
        for placement in self._placements:
            if placement.name == name:
                return placement.region
        raise LabError(f"no scenario {name!r} in this lab")

    @property
    def now(self) -> float:
        """The simulated time, seconds since the epoch."""
        return self._now

    def env(self, region: str | None = None) -> dict[str, str]:
        """Environment variables that point boto3, the AWS CLI and the MCP servers at the lab.

        `region` picks another region of the lab's account (default: the lab's own).
        """
        region = region or self.region
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
        }

    # --- the clock ------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Advance simulated time by `seconds`, running a reconciler tick every TICK_S.

        A stopped lab does not tick: a background catch-up after the thread was starved can be
        hundreds of ticks, and ticking on after `stop()` would act on the account the next lab
        in this process takes over (same cluster and service names).
        """
        end = self._now + seconds
        while self._now < end and not self._halt.is_set():
            step = min(TICK_S, end - self._now)
            with self._lock:
                self._now += step
                for fleet in self._fleets:
                    fleet.tick(self._now)
                for sim in self._sims.values():
                    sim.tick(self._now)
                for scaler in self._scalers:
                    scaler.tick(self._now)

    def run_in_background(self, speed: float = 10.0) -> None:
        """Tick in a daemon thread: simulated time runs `speed` times faster than wall time."""
        if self._ticker is not None:
            return
        self._ticker = threading.Thread(
            target=self._run, args=(speed,), name="ecs-medic-lab-clock", daemon=True
        )
        self._ticker.start()

    def _run(self, speed: float) -> None:
        last = time.monotonic()
        while not self._halt.wait(0.2):
            current = time.monotonic()
            self.advance((current - last) * speed)
            last = current

    def _on_update(self, scope: Scope, cluster: str, service: str, forced: bool) -> None:
        sim = self._sims.get((scope.region, cluster, service))
        if scope.account == self.account_id and sim is not None:
            sim.on_update(self._now, forced)

    # --- shutdown -------------------------------------------------------------------------

    def inject(self, fault: str | Fault) -> Fault:
        """Make one operation fail from now on, e.g. "elbv2:DescribeTargetHealth" (a deny)."""
        parsed = fault if isinstance(fault, Fault) else Fault.parse(fault)
        self._server.faults.append(parsed)
        return parsed

    def requests(self) -> list[tuple[str, str]]:
        """Every (service, operation) the emulator served, reads too, in the order they arrived."""
        return list(self._server.requests)

    def mutating_calls(self) -> list[tuple[str, str]]:
        """Every (service, operation) that changed something, in the order they arrived."""
        return [(svc, op) for svc, op in self.requests() if is_mutating(op)]

    def mutating_requests(self) -> list[tuple[str, str, str]]:
        """Every (service, operation, client) that changed something, in arrival order.

        The client is the awslabs MCP server that sent it ("ecs-mcp-server",
        "aws-api-mcp-server"), "planton-standin", or "sdk" (boto3: the direct transport).
        """
        return [entry for entry in self._server.clients if is_mutating(entry[1])]

    def clear_faults(self) -> None:
        """Let every operation through again."""
        self._server.faults.clear()

    def stop(self) -> None:
        """Stop the ticker and the server."""
        self._halt.set()
        if self._ticker is not None:
            self._ticker.join()  # at most the tick under way: `advance` checks the halt
        _moto.remove_update_listener(self._on_update)
        stubs_json.register_clock(self.account_id, None)
        self._server.stop()
        with _live_lock:
            if self in _live:
                _live.remove(self)

    def __enter__(self) -> Lab:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        value: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def _free_account() -> str:
    """The lab account, or the next free one while other labs run in this process."""
    taken = {lab.account_id for lab in _live}
    number = int(_moto.ACCOUNT_ID)
    while str(number) in taken:
        number += 1
    return str(number)


@dataclass(frozen=True, slots=True)
class Placement:
    """A scenario and the region it runs in (`region:scenario`, default the lab's region)."""

    name: str
    region: str
    scenario: Scenario


def _placed(names: Sequence[str]) -> list[Placement]:
    """Load each scenario in its region, with a cluster of its own name if others share it.

    Alone in its region a scenario keeps its cluster: `healthy` and `us-west-2:healthy`
    both run `prod/web`, in two regions of one account.
    """
    if len(set(names)) != len(names):
        raise LabError(f"each scenario may be started once: {', '.join(names)}")
    placements = [_placement(name) for name in names]
    crowded = {p.region for p in placements if sum(q.region == p.region for q in placements) > 1}
    return [
        Placement(p.name, p.region, p.scenario.in_cluster(p.scenario.name))
        if p.region in crowded
        else p
        for p in placements
    ]


def _placement(name: str) -> Placement:
    region, _, scenario = name.rpartition(":")
    if region and not _REGION.fullmatch(region):
        raise LabError(f"{region!r} is not a region name; use e.g. us-west-2:{scenario}")
    return Placement(name, region or REGION, load_scenario(scenario))

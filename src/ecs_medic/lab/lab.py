"""The Lab: moto on loopback, the account builder and the runtime simulation, on one clock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from types import TracebackType

from ecs_medic.lab import _moto, stubs_json
from ecs_medic.lab.builder import AccountBuilder, BuiltService
from ecs_medic.lab.ec2_fleet import FleetSim
from ecs_medic.lab.errors import LabError
from ecs_medic.lab.faults import Fault, is_mutating
from ecs_medic.lab.runtime import ServiceSim
from ecs_medic.lab.scenario import Scenario, load_scenario

REGION = "us-east-1"
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
        self._scope = _moto.Scope(server.account, REGION)
        self._server = server
        self._lock = lock
        self._now = now
        self._sims: dict[tuple[str, str], ServiceSim] = {}
        self._fleets: list[FleetSim] = []  # the ECS agent of EC2 clusters, ticked first
        self._built: list[BuiltService] = []
        self._ticker: threading.Thread | None = None
        self._halt = threading.Event()
        self.endpoint_url = f"http://{HOST}:{port}"

    @classmethod
    def start(cls, scenarios: Sequence[str], *, port: int = 0, warmup_s: float = 600.0) -> Lab:
        """Serve moto on loopback, build each scenario's account, simulate `warmup_s` seconds."""
        loaded = _placed([load_scenario(name) for name in scenarios])
        lock = threading.RLock()
        with _live_lock:
            account = _free_account()
            _moto.reset_and_patch(account)
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

    def _build(self, scenarios: list[Scenario]) -> None:
        builder = AccountBuilder(self.endpoint_url, self.region, prefixed=len(scenarios) > 1)
        if builder.account_id != self.account_id:
            raise LabError(f"the lab answers as {builder.account_id}, not {self.account_id}")
        for index, scenario in enumerate(scenarios):
            built = builder.build(scenario, index)
            self._built.append(built)
            sim = ServiceSim(self._scope, built.cluster, built.service, dict(scenario.app))
            self._sims[(built.cluster, built.service)] = sim
            if scenario.ec2 is not None:
                waiting = self._waiting(built.cluster)
                self._fleets.append(FleetSim(self._scope, built.cluster, scenario.ec2, waiting))
        _moto.add_update_listener(self._on_update)

    def _waiting(self, cluster: str) -> Callable[[], int]:
        """Tasks the services of a cluster could not place on their last try (managed scaling)."""
        return lambda: sum(s.unplaced for (c, _), s in self._sims.items() if c == cluster)

    def _apply_changes(self) -> bool:
        """Make each scenario's `change:` (a release, a push, a scale) through the AWS API."""
        from ecs_medic.lab.changes import change_steps  # noqa: PLC0415 - steps import boto3 models
        from ecs_medic.lab.steps import Target, apply_steps  # noqa: PLC0415

        changed = False
        for built in self._built:
            change = built.scenario.change
            if change is not None:
                target = Target.connect(self.env(), built.cluster, built.service)
                apply_steps(target, change_steps(change))
                changed = True
        return changed

    # --- what callers read ----------------------------------------------------------------

    @property
    def targets(self) -> list[tuple[str, str, str]]:
        """(scenario name, cluster, service) for every service the lab runs."""
        return [(b.scenario.name, b.cluster, b.service) for b in self._built]

    @property
    def now(self) -> float:
        """The simulated time, seconds since the epoch."""
        return self._now

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3, the AWS CLI and the MCP servers at the lab."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    # --- the clock ------------------------------------------------------------------------

    def advance(self, seconds: float) -> None:
        """Advance simulated time by `seconds`, running a reconciler tick every TICK_S."""
        end = self._now + seconds
        while self._now < end:
            step = min(TICK_S, end - self._now)
            with self._lock:
                self._now += step
                for fleet in self._fleets:
                    fleet.tick(self._now)
                for sim in self._sims.values():
                    sim.tick(self._now)

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

    def _on_update(self, scope: _moto.Scope, cluster: str, service: str, forced: bool) -> None:
        sim = self._sims.get((cluster, service))
        if scope == self._scope and sim is not None:
            sim.on_update(self._now, forced)

    # --- shutdown -------------------------------------------------------------------------

    def inject(self, fault: str | Fault) -> Fault:
        """Make one operation fail from now on, e.g. "elbv2:DescribeTargetHealth" (a deny)."""
        parsed = fault if isinstance(fault, Fault) else Fault.parse(fault)
        self._server.faults.append(parsed)
        return parsed

    def mutating_calls(self) -> list[tuple[str, str]]:
        """Every (service, operation) that changed something, in the order they arrived."""
        return [(svc, op) for svc, op in self._server.requests if is_mutating(op)]

    def clear_faults(self) -> None:
        """Let every operation through again."""
        self._server.faults.clear()

    def stop(self) -> None:
        """Stop the ticker and the server."""
        self._halt.set()
        if self._ticker is not None:
            self._ticker.join(timeout=5)
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


def _placed(scenarios: list[Scenario]) -> list[Scenario]:
    """One scenario keeps its cluster; several get a cluster named after each scenario."""
    if len(scenarios) <= 1:
        return scenarios
    names = [s.name for s in scenarios]
    if len(set(names)) != len(names):
        raise LabError(f"each scenario may be started once: {', '.join(names)}")
    return [s.in_cluster(s.name) for s in scenarios]

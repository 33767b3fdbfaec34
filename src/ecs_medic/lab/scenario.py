"""Scenario files: what a lab service is configured with and what its application needs.

A scenario never says which failure to show. It declares the AWS configuration the account
builder creates and the application profile the simulation compares that configuration with;
the failure (or health) follows from the comparison.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from importlib import resources
from typing import Any, TypeVar

import yaml

from ecs_medic.catalogue import AUTO_LEVELS, failure_mode
from ecs_medic.lab.account_spec import AccountSpec, parse_account
from ecs_medic.lab.ec2_spec import Ec2Spec
from ecs_medic.lab.errors import ScenarioError, UnknownScenarioError
from ecs_medic.lab.scaling_spec import AutoscalingSpec, parse_autoscaling
from ecs_medic.lab.spec_checks import mapping, only_keys

_PACKAGE = "ecs_medic.lab.scenarios"
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class AppProfile:
    """What one container's application needs and does; no AWS API can show this."""

    memory_mib: int = 256
    port: int = 8080
    health_path: str = "/health"
    other_status: int = 404  # what the app answers on any other path
    startup_s: int = 20  # from process start until it answers on its port
    oom_after_s: int = 90  # how long the heap takes to grow to memory_mib
    requires_env: tuple[str, ...] = ()  # variables it refuses to start without
    handles_sigterm: bool = True
    log_lines: tuple[str, ...] = ()  # extra startup lines after the defaults
    executables: tuple[str, ...] = ()  # programs in the image ($PATH); empty: any command works
    tools: tuple[str, ...] = ("sh", "curl", "wget")  # what a container health check may call
    crash_tags: tuple[str, ...] = ()  # image tags whose native code crashes after start
    crash_exit: int = 139  # exit code of that crash: 139 SIGSEGV, 134 SIGABRT
    crash_after_s: float = 30.0
    sigterm_exit: int = 0  # exit code when it handles SIGTERM (0, or 143 when it re-raises)
    aws_calls: tuple[str, ...] = ()  # "<action> <resource ARN>" it calls at start (task role)
    protects_task_min: int = 0  # on start it sets scale-in protection for this long (minutes)
    cpu_units: int = 0  # CPU its load needs in all, spread over the running tasks (AWS/ECS metric)


@dataclass(frozen=True, slots=True)
class ContainerSpec:
    """One container of the scenario's task definition."""

    name: str
    image: str  # "repository:tag" in the lab account's ECR
    port: int = 8080
    environment: tuple[tuple[str, str], ...] = ()
    essential: bool = True
    command: tuple[str, ...] = ()
    entry_point: tuple[str, ...] = ()
    health_check: tuple[str, ...] = ()  # the container healthCheck command, e.g. CMD-SHELL ...


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    """The ECS service the account builder creates."""

    cluster: str = "prod"
    name: str = "web"
    desired: int = 2
    cpu: int = 256
    memory: int = 512
    health_check_path: str = "/health"
    launch_type: str = "FARGATE"  # FARGATE or EC2 (capacity from the scenario's `ec2:` section)
    load_balancer: bool = True  # an ALB with a listener and an ip target group
    alb_ingress: bool = True  # the task SG admits the ALB SG on the container port
    listener: bool = True  # the ALB's listener forwards to the target group
    health_check_port: str = "traffic-port"
    grace_period_s: int | None = None
    min_healthy_percent: int = 100
    max_percent: int = 200
    circuit_breaker: bool = True
    rollback: bool = True
    platform_version: str = "1.4.0"  # Fargate only


@dataclass(frozen=True, slots=True)
class Change:
    """What happened after the service first settled, made through the AWS API like CI would."""

    images: tuple[tuple[str, str], ...] = ()  # container -> image: a new revision is deployed
    push: tuple[tuple[str, tuple[str, ...]], ...] = ()  # container -> tags re-pushed, new digest
    desired: int | None = None  # update_service(desiredCount=...)
    pipeline: tuple[Step, ...] = ()  # CI's deploy job: it stops at the first call AWS refuses


@dataclass(frozen=True, slots=True)
class Step:
    """One AWS API change of a fix or wrong fix (lab/steps.py applies it), e.g. update_service."""

    action: str
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of the catalogue's evidence the scenario must show, e.g. an event substring."""

    kind: str  # event, stopped_reason, container_reason, exit_code, target_reason, ...
    value: Any


@dataclass(frozen=True, slots=True)
class ScenarioInfo:
    """A scenario as `lab list` shows it."""

    name: str
    category: str
    expected: str | None  # a catalogue code, or None for a healthy service
    summary: str
    cluster: str
    service: str
    auto_level: str | None = None  # how automatable the fix is here (see Scenario.auto_level)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One scenario file, parsed."""

    name: str
    category: str
    expected: str | None
    summary: str
    service: ServiceSpec
    containers: tuple[ContainerSpec, ...]
    registry: tuple[tuple[str, tuple[str, ...]], ...]  # repository -> tags pushed
    app: tuple[tuple[str, AppProfile], ...]  # container name -> profile
    fix: tuple[str, ...] = ()
    wrong_fix: tuple[str, ...] = ()
    change: Change | None = None
    fix_steps: tuple[Step, ...] = ()
    wrong_fix_steps: tuple[Step, ...] = ()
    evidence: tuple[Evidence, ...] = ()
    account: AccountSpec = dataclasses.field(default_factory=AccountSpec)  # account_spec.py
    ec2: Ec2Spec | None = None  # EC2 capacity (ec2_spec.py); None for a Fargate service
    autoscaling: AutoscalingSpec | None = None  # scaling_spec.py
    # The level the catalogue gives this scenario's fix when it depends on the situation, e.g.
    # "A1 to roll back to the last COMPLETED revision, A3 otherwise"; None: the code's level.
    fix_level: str | None = None

    @property
    def auto_level(self) -> str | None:
        """The auto level the diagnosis must give the root cause here (None when healthy)."""
        if self.expected is None:
            return None
        return self.fix_level or failure_mode(self.expected).auto_level

    @property
    def info(self) -> ScenarioInfo:
        """The summary `list_scenarios` returns."""
        return ScenarioInfo(
            self.name,
            self.category,
            self.expected,
            self.summary,
            self.service.cluster,
            self.service.name,
            self.auto_level,
        )

    def profile(self, container: str) -> AppProfile:
        """The application profile of a container (defaults when the file has none)."""
        return dict(self.app).get(container, AppProfile())

    def in_cluster(self, cluster: str) -> Scenario:
        """The same scenario with its service placed in another cluster."""
        return dataclasses.replace(self, service=dataclasses.replace(self.service, cluster=cluster))


def list_scenarios() -> list[ScenarioInfo]:
    """Every built-in scenario, sorted by name."""
    return [load_scenario(name).info for name in scenario_names()]


def scenario_names() -> list[str]:
    """Names of the built-in scenario files."""
    files = resources.files(_PACKAGE).iterdir()
    return sorted(f.name.removesuffix(".yaml") for f in files if f.name.endswith(".yaml"))


def load_scenario(name: str) -> Scenario:
    """Load a built-in scenario by name; UnknownScenarioError lists the known names."""
    known = scenario_names()
    if name not in known:
        raise UnknownScenarioError(name, known)
    text = resources.files(_PACKAGE).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    return parse_scenario(yaml.safe_load(text), source=f"{name}.yaml")


def parse_scenario(data: Any, source: str = "<scenario>") -> Scenario:
    """Build a Scenario from a parsed YAML mapping, rejecting unknown keys."""
    doc = mapping(data, source)
    only_keys(doc, {"name", "category", "expected", "summary", "service", "containers",
                    "registry", "app", "fix", "wrong_fix", "account", "ec2", "autoscaling",
                    "fix_level", *_STEPS_KEYS}, source)  # fmt: skip
    containers = tuple(
        _container(name, spec, source) for name, spec in mapping(doc["containers"], source).items()
    )
    service = _build(ServiceSpec, doc.get("service", {}), f"{source}: service")
    return Scenario(
        name=str(doc["name"]),
        category=str(doc["category"]),
        expected=None if doc.get("expected") is None else str(doc["expected"]),
        summary=str(doc["summary"]),
        service=service,
        containers=containers,
        registry=tuple(
            (str(repo), tuple(str(t) for t in tags))
            for repo, tags in mapping(doc.get("registry", {}), source).items()
        ),
        app=tuple(
            (str(name), _build(AppProfile, spec, f"{source}: app.{name}"))
            for name, spec in mapping(doc.get("app", {}), source).items()
        ),
        fix=tuple(str(s) for s in doc.get("fix") or ()),
        wrong_fix=tuple(str(s) for s in doc.get("wrong_fix") or ()),
        **_steps_part(doc, source),
        account=parse_account(doc.get("account") or {}, f"{source}: account"),
        ec2=_ec2(doc.get("ec2"), service, f"{source}: ec2"),
        autoscaling=parse_autoscaling(doc.get("autoscaling"), f"{source}: autoscaling"),
        fix_level=_fix_level(doc.get("fix_level"), source),
    )


def _fix_level(value: Any, source: str) -> str | None:
    """The `fix_level:` key: one of the catalogue's auto levels, when given."""
    if value is None:
        return None
    if value not in AUTO_LEVELS:
        raise ScenarioError(f"{source}: fix_level must be one of {', '.join(AUTO_LEVELS)}")
    return str(value)


def _ec2(data: Any, service: ServiceSpec, where: str) -> Ec2Spec | None:
    """The `ec2:` section; an EC2 service without one gets the default capacity."""
    if service.launch_type not in ("FARGATE", "EC2"):
        raise ScenarioError(f"{where}: launch_type must be FARGATE or EC2")
    if service.launch_type != "EC2":
        if data is not None:
            raise ScenarioError(f"{where}: an `ec2:` section needs launch_type EC2")
        return None
    spec = _build(Ec2Spec, data or {}, where)
    if spec.network_mode not in ("awsvpc", "bridge"):
        raise ScenarioError(f"{where}: network_mode must be awsvpc or bridge")
    return spec


_STEPS_KEYS = ("change", "fix_steps", "wrong_fix_steps", "evidence")


def _steps_part(doc: dict[str, Any], source: str) -> dict[str, Any]:
    """The optional change, fix steps and evidence sections."""
    change = doc.get("change")
    return {
        "change": None if change is None else _change(change, f"{source}: change"),
        "fix_steps": _steps(doc.get("fix_steps"), f"{source}: fix_steps"),
        "wrong_fix_steps": _steps(doc.get("wrong_fix_steps"), f"{source}: wrong_fix_steps"),
        "evidence": tuple(
            Evidence(*_single(item, f"{source}: evidence")) for item in doc.get("evidence") or ()
        ),
    }


def _change(data: Any, where: str) -> Change:
    fields = mapping(data, where)
    only_keys(fields, {"images", "push", "desired", "pipeline"}, where)
    push = mapping(fields.get("push", {}), where)
    return Change(
        images=tuple((str(k), str(v)) for k, v in mapping(fields.get("images", {}), where).items()),
        push=tuple((str(k), tuple(str(t) for t in v)) for k, v in push.items()),
        desired=None if fields.get("desired") is None else int(fields["desired"]),
        pipeline=_steps(fields.get("pipeline"), f"{where}.pipeline"),
    )


def _steps(data: Any, where: str) -> tuple[Step, ...]:
    """`- action: {params}` items; an action without parameters may be a bare string."""
    steps = []
    for item in data or ():
        if isinstance(item, str):
            steps.append(Step(item, {}))
            continue
        action, params = _single(item, where)
        steps.append(Step(action, mapping(params or {}, f"{where}: {action}")))
    return tuple(steps)


def _single(item: Any, where: str) -> tuple[str, Any]:
    """The one key and value of a single-key mapping."""
    entry = mapping(item, where)
    if len(entry) != 1:
        raise ScenarioError(f"{where}: expected one key per item, got {', '.join(entry) or 'none'}")
    return next(iter(entry.items()))


def _container(name: str, spec: Any, source: str) -> ContainerSpec:
    fields = dict(mapping(spec, f"{source}: containers.{name}"))
    env = mapping(fields.pop("environment", {}), source)
    fields["environment"] = tuple((str(k), str(v)) for k, v in env.items())
    return _build(ContainerSpec, {"name": name, **fields}, f"{source}: containers.{name}")


def _build(cls: type[_T], data: Any, where: str) -> _T:
    """Instantiate a spec dataclass from a mapping; lists become tuples."""
    fields = mapping(data, where)
    only_keys(fields, {f.name for f in dataclasses.fields(cls)}, where)  # type: ignore[arg-type]
    values = {k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()}
    return cls(**values)

"""Provision each pinned AWS MCP server into its own virtual environment with uv.

The servers cannot share one environment (the AWS API server needs mcp<2, the ECS server
mcp>=2), and neither may share ecs-medic's. The first use creates `<root>/<package>-<version>`
with `uv venv` + `uv pip install <package>==<version>` (PyPI only); later runs find the
finished environment and start at once. A file lock makes parallel first uses (pytest -n 2,
two terminals) provision once. `python -m ecs_medic.aws.mcp_provision` provisions ahead of
time, which is what `make install` does.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

_DONE = ".ecs-medic-provisioned"


class ProvisionError(RuntimeError):
    """A server environment could not be created; the message says what uv answered."""


@dataclass(frozen=True, slots=True)
class Pin:
    """One server package at one version, and the console script it installs."""

    package: str
    version: str
    script: str

    @property
    def dirname(self) -> str:
        """The environment's directory name, e.g. `awslabs.ecs-mcp-server-0.1.37`."""
        return f"{self.package}-{self.version}"


def servers_root(explicit: Path | None, env: Mapping[str, str]) -> Path:
    """`explicit` ($ECS_MEDIC_MCP_DIR), else beside ecs-medic's environment, else the cache.

    Beside the environment (`<sys.prefix>/share/ecs-medic/mcp-servers`) keeps a provisioned
    server with the ecs-medic installation that provisioned it, whatever HOME says.
    """
    if explicit is not None:
        return explicit
    if os.access(sys.prefix, os.W_OK):
        return Path(sys.prefix) / "share" / "ecs-medic" / "mcp-servers"
    cache = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "ecs-medic" / "mcp-servers"


def venv_dir(pin: Pin, root: Path) -> Path:
    """Where the pinned server's environment lives."""
    return root / pin.dirname


def is_provisioned(pin: Pin, root: Path) -> bool:
    """Whether the environment was finished (a half-made one does not count)."""
    return (venv_dir(pin, root) / _DONE).is_file()


def ensure(pin: Pin, root: Path, timeout_s: float = 600.0) -> Path:
    """The pinned server's environment, created on first use; raises ProvisionError."""
    target = venv_dir(pin, root)
    if is_provisioned(pin, root):
        return target
    root.mkdir(parents=True, exist_ok=True)
    with _lock(root / f".{pin.dirname}.lock"):
        if not is_provisioned(pin, root):
            _create(pin, target, timeout_s)
    return target


def _create(pin: Pin, target: Path, timeout_s: float) -> None:
    """`uv venv` + `uv pip install` into a fresh directory, marked done only at the end."""
    shutil.rmtree(target, ignore_errors=True)
    sys.stderr.write(f"ecs-medic: installing {pin.package}=={pin.version} (first use only)\n")
    python = target / "bin" / "python"
    _uv(["venv", "--quiet", "--python", sys.executable, str(target)], timeout_s)
    requirement = f"{pin.package}=={pin.version}"
    _uv(["pip", "install", "--quiet", "--python", str(python), requirement], timeout_s)
    (target / _DONE).write_text(f"{requirement}\n")


def _uv(args: list[str], timeout_s: float) -> None:
    try:
        from uv import find_uv_bin  # noqa: PLC0415 - uv is only needed to provision

        uv = find_uv_bin()
    except (ImportError, FileNotFoundError) as exc:
        raise ProvisionError("uv is not installed; pip install uv") from exc
    try:
        done = subprocess.run(  # noqa: S603 - fixed argv, no shell
            [uv, *args], capture_output=True, text=True, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise ProvisionError(f"uv {args[0]} took longer than {timeout_s:.0f} s") from exc
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no output"])[-1]
        raise ProvisionError(f"uv {args[0]} failed: {last}")


@contextmanager
def _lock(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def main() -> int:
    """Provision every pinned server now; print where they are."""
    from ecs_medic.aws.mcp_servers import PINS  # noqa: PLC0415 - avoids an import cycle
    from ecs_medic.config import load_settings  # noqa: PLC0415

    root = servers_root(load_settings().mcp.servers_dir, os.environ)
    for pin in PINS:
        try:
            path = ensure(pin, root)
        except ProvisionError as exc:
            sys.stderr.write(f"ecs-medic: could not provision {pin.package}: {exc}\n")
            return 1
        sys.stdout.write(f"{pin.package}=={pin.version}: {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

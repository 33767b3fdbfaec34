"""A throwaway PostgreSQL server on loopback for checkpointer tests (initdb + pg_ctl)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_owner(command: list[str]) -> list[str]:
    """Postgres refuses to run as root: run it as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@contextmanager
def postgres() -> Iterator[str]:
    """Start a server in a fresh directory the server's user can reach, yield its DSN, stop it."""
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        raise RuntimeError("initdb/pg_ctl are not installed; the Postgres tests need them")
    base = Path(tempfile.mkdtemp(prefix="ecs-medic-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres")
    data, port = base / "data", _free_port()
    subprocess.run(_as_owner(["initdb", "-D", str(data), "-A", "trust", "-U", "medic"]),
                   check=True, capture_output=True)  # fmt: skip
    options = f"-h 127.0.0.1 -p {port} -k {base}"
    start = ["pg_ctl", "-D", str(data), "-o", options, "-w", "-l", str(base / "log"), "start"]
    subprocess.run(_as_owner(start), check=True, capture_output=True)
    try:
        yield f"postgresql://medic@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_owner(["pg_ctl", "-D", str(data), "-m", "fast", "stop"]),
            capture_output=True,
            check=False,
        )

"""`python -m ecs_medic.lab.planton STORE.json KEY`: the stand-in over stdio.

Like `mcp-server-planton` in stdio mode, it reads PLANTON_API_KEY from its environment once;
KEY is the key it accepts.
"""

from __future__ import annotations

import sys

from ecs_medic.lab.planton.records import load_store
from ecs_medic.lab.planton.server import PlantonServer


def main(argv: list[str]) -> int:
    """Serve the saved store over stdio; exit 2 on bad usage."""
    if len(argv) != 2:
        sys.stderr.write("usage: python -m ecs_medic.lab.planton STORE.json KEY\n")
        return 2
    PlantonServer(load_store(argv[0]), argv[1]).serve_stdio()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

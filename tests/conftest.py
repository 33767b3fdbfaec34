"""Suite-wide collection rules."""

from __future__ import annotations

import pytest


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Keep each module that has a module-scoped fixture on one xdist worker.

    Such fixtures start a lab or the MCP servers once for the module; spread over two workers
    they would start twice. `make test` runs with `--dist loadgroup`.
    """
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        if info is None or item.get_closest_marker("xdist_group"):
            continue
        scopes = {defs[-1].scope for defs in info.name2fixturedefs.values() if defs}
        if "module" in scopes and item.module is not None:
            item.add_marker(pytest.mark.xdist_group(item.module.__name__))

"""Fixtures for lab-backed tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from lab_client import LabAws

from ecs_medic.lab import Lab


@pytest.fixture
def lab_factory() -> Iterator[Callable[[str], LabAws]]:
    """Start a lab for one scenario inside a test; it is stopped when the test ends."""
    labs: list[Lab] = []

    def start(scenario: str) -> LabAws:
        lab = Lab.start([scenario])
        labs.append(lab)
        return LabAws.connect(lab)

    yield start
    for lab in labs:
        lab.stop()

"""The people tests' world: a fresh database, a fake clock and the service (see
``tests/people/people_fixtures.py``)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.people.people_fixtures import World, make_world


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    made = await make_world(tmp_path / "people.sqlite3")
    yield made
    await made.close()

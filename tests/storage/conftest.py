"""The storage tests' database: each test runs on SQLite and on the real PostgreSQL server."""

from __future__ import annotations

import pytest

from bot.storage import Database


@pytest.fixture
def db(each_engine: Database) -> Database:
    """The core tables, once on each engine (``each_engine`` in tests/conftest.py)."""
    return each_engine

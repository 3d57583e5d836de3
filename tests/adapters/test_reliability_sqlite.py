"""RELIABILITY R-03 … R-06 on a SQLite file, and the backend agreement of memory and SQLite.

R-03 runs once, with the partial unique index: SQLite has no SERIALIZABLE mode apart from its
single writer, and a unit of work reads (in autocommit) before ``BEGIN IMMEDIATE`` takes the write
lock, so without the index nothing would stop two processes that both read "no open application"
before either wrote. The index is the guard on SQLite; PostgreSQL runs the SERIALIZABLE variant.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from reliability import SqlReliabilityContract

from mdreg.adapters.sql import migrate
from mdreg.testing.stateful import BackendAgreement

AGREEMENT = settings(
    max_examples=int(os.environ.get("MDREG_AGREEMENT_EXAMPLES", "20")), stateful_step_count=20,
    derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


class TestSqliteReliability(SqlReliabilityContract):
    backend = "sqlite"
    open_processes = 4  # R-03 on SQLite: 4 processes (one writer at a time)

    @pytest.fixture
    def url(self, tmp_path: Path) -> str:
        url = f"sqlite:///{tmp_path / 'mdreg.db'}"
        migrate.upgrade(url)
        return url


def test_memory_and_sqlite_agree() -> None:
    """STYLE §E.3: the same random commands on memory and a SQLite file, the same results."""
    run_state_machine_as_test(BackendAgreement, settings=AGREEMENT)

"""RELIABILITY R-03 … R-06 on PostgreSQL (``MDREG_TEST_POSTGRES_URL``), R-03 also under
SERIALIZABLE without the partial unique index, and the backend agreement with PostgreSQL.

Each pytest-xdist worker gets two databases: ``mdreg_rel_<worker>_<run>`` (migrated once,
truncated before each test) and ``mdreg_serial_<worker>_<run>`` (migrated, then the
``open_application`` index dropped); both are dropped at the end of the session. ``<run>`` keeps
two test runs on one server (two checkouts, say) out of each other's databases.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test
from reliability import OPEN_PAIRS, SqlReliabilityContract, describe_retries
from sqlalchemy import text

import mdreg
from mdreg.adapters.sql import SqlStore, migrate
from mdreg.testing.databases import scratch_postgres
from mdreg.testing.race import open_race
from mdreg.testing.stateful import BackendAgreement, truncate

pytestmark = pytest.mark.postgres

BASE_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
if not BASE_URL:
    pytest.skip("PostgreSQL tests need MDREG_TEST_POSTGRES_URL, e.g. "
                "postgresql+psycopg://postgres@127.0.0.1:5432/test", allow_module_level=True)

AGREEMENT = settings(
    max_examples=int(os.environ.get("MDREG_PG_AGREEMENT_EXAMPLES", "10")), stateful_step_count=20,
    derandomize=True, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="session")
def reliability_databases() -> Iterator[dict[str, str]]:
    with scratch_postgres(BASE_URL, "mdreg_rel") as test, \
            scratch_postgres(BASE_URL, "mdreg_serial") as serial:
        for url in (test, serial):
            migrate.upgrade(url)
        store = SqlStore.connect(serial)
        with store.engine.begin() as conn:
            conn.execute(text("DROP INDEX open_application"))
        store.close()
        yield {"test": test, "serial": serial}


class TestPostgresReliability(SqlReliabilityContract):
    backend = "postgresql"

    @pytest.fixture
    def url(self, reliability_databases: dict[str, str]) -> str:
        truncate(reliability_databases["test"])
        return reliability_databases["test"]

    def test_r03_serializable_alone_keeps_one_open_application(
            self, reliability_databases: dict[str, str],
            figures: Callable[[str], None]) -> None:
        """R-03 without the partial unique index: only the repository's own check when an
        application is added ("no open application of this type and target", a read) under
        SERIALIZABLE stands between the writers;
        the losers' 40001 failures are retried and then see the winner."""
        url = reliability_databases["serial"]
        truncate(url)
        store = SqlStore.connect(url)
        with store.engine.connect() as conn:
            indexes = conn.execute(text("SELECT indexname FROM pg_indexes "
                                        "WHERE tablename = 'applications'")).scalars().all()
        store.close()
        assert "open_application" not in indexes
        result = open_race(url, processes=self.open_processes, pairs=OPEN_PAIRS,
                           isolation_level="SERIALIZABLE")
        self.assert_one_open_per_pair(result, self.open_processes)
        assert set(result.retry.transient) <= {"40001", "40P01"}
        figures(f"R-03 SERIALIZABLE, no index: {self.open_processes} processes x {OPEN_PAIRS} "
                f"pairs -> 1 open application in 100% of pairs; {describe_retries(result.retry)}")


def test_memory_sqlite_and_postgres_agree(reliability_databases: dict[str, str]) -> None:
    """STYLE §E.3 with PostgreSQL: the same random commands on the three backends."""
    machine = type("WithPostgres", (BackendAgreement,),
                   {"postgres_url": reliability_databases["test"]})
    run_state_machine_as_test(machine, settings=AGREEMENT)


def test_a_store_can_run_its_units_serializable(reliability_databases: dict[str, str]) -> None:
    store = SqlStore.connect(reliability_databases["serial"], isolation_level="SERIALIZABLE")
    with store.unit_of_work() as uow:
        assert uow.audit.next_seq("A1") == 1
        level = uow.driver_sql("SHOW transaction_isolation")[0][0]
    store.close()
    assert level == "serializable"


@pytest.mark.parametrize(("isolation", "expected"), [("serializable", "serializable"),
                                                     ("read committed", "read committed")])
def test_mdreg_open_selects_the_isolation_level(reliability_databases: dict[str, str],
                                                isolation: Any, expected: str) -> None:
    registry = mdreg.open(reliability_databases["serial"], isolation=isolation)
    with registry.services.uow() as uow:
        uow.idempotency.get(isolation)  # a read first: at READ COMMITTED in a read-only snapshot
        uow.idempotency.put(isolation, "fingerprint", "result")  # the unit's transaction
        level = uow.driver_sql("SHOW transaction_isolation")[0][0]
    registry.release()
    assert level == expected

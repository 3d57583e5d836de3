"""O-01 (healthy, and with one killed): four dispatcher processes on one outbox, on SQLite and
on PostgreSQL.

Each dispatcher's sender appends the ids it is given to a file of its own
(:mod:`mdreg.testing.race_delivery`); the deliveries are counted per id across the files.
CI sizes by default (1,000 messages); ``MDREG_STRESS=1`` runs 10,000, and
``MDREG_DELIVERY_MESSAGES`` sets the count.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from mdreg.adapters.sql import migrate
from mdreg.testing.databases import migrated_postgres
from mdreg.testing.race_delivery import DeliveryRace, delivery_race
from mdreg.testing.stateful import truncate

STRESS = os.environ.get("MDREG_STRESS") == "1"
MESSAGES = int(os.environ.get("MDREG_DELIVERY_MESSAGES", "10000" if STRESS else "1000"))
PROCESSES = 4
BATCH = 100
POSTGRES_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")


@pytest.fixture(scope="module")
def postgres() -> Iterator[str]:
    with migrated_postgres(POSTGRES_URL, "mdreg_delivery") as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "postgresql":
        if not POSTGRES_URL:
            pytest.skip("PostgreSQL tests need MDREG_TEST_POSTGRES_URL")
        found: str = request.getfixturevalue("postgres")
        truncate(found)
        return found
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    migrate.upgrade(url)
    return url


@pytest.fixture
def figures(record_property: Callable[[str, object], None], url: str
            ) -> Callable[[str], None]:
    backend = url.split(":", 1)[0].split("+", 1)[0]
    return lambda line: record_property("figures", f"{line} [{backend}]")


def describe(race: DeliveryRace) -> str:
    counts = sorted(set(race.deliveries.values()))
    return (f"{race.messages - race.missing}/{race.messages} delivered, deliveries per id "
            f"{'/'.join(map(str, counts))}, {len(race.repeated)} repeated, "
            f"{race.per_second:,.0f} msg/s")


def test_d01_healthy_dispatchers_deliver_each_message_exactly_once(
        url: str, tmp_path: Path, figures: Callable[[str], None]) -> None:
    race = delivery_race(url, tmp_path, processes=PROCESSES, messages=MESSAGES, batch=BATCH)
    assert race.exit_codes == (0,) * PROCESSES
    assert race.missing == 0
    assert set(race.deliveries.values()) == {1}
    figures(f"O-01: {PROCESSES} dispatchers x {MESSAGES} messages (batches of {BATCH}) -> "
            f"{describe(race)}")


def test_d02_a_killed_dispatcher_loses_nothing_and_repeats_only_its_lease(
        url: str, tmp_path: Path, figures: Callable[[str], None]) -> None:
    kill_after = BATCH // 2
    race = delivery_race(url, tmp_path, processes=PROCESSES, messages=MESSAGES, batch=BATCH,
                         kill_after=kill_after, lease=timedelta(seconds=2))
    assert race.exit_codes == (3,) + (0,) * (PROCESSES - 1)
    assert race.missing == 0
    assert len(race.unreported) == kill_after
    assert race.repeated == race.unreported
    assert max(race.deliveries.values()) == 2
    figures(f"O-01 killed: {PROCESSES} dispatchers x {MESSAGES} messages, one killed (os._exit) after "
            f"{kill_after} sends of a batch of {BATCH} -> {describe(race)}; the repeated are "
            f"exactly its {len(race.unreported)} sent, unreported messages")

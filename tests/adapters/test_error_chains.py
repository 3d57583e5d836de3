"""No mdreg error carries a driver message quoting row values: a duplicate ID number refused by
the database names the constraint, and nothing in its chain or its traceback holds the number
(PostgreSQL's ``DETAIL: Key (id_number)=(…)`` included)."""

from __future__ import annotations

import contextlib
import os
import traceback
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest

import mdreg
from mdreg import Category, Level, Physician, Qualification, ResidentId, UniquenessConflict
from mdreg.testing.databases import migrated_postgres

NUMBER = "11010519491231002X"
PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")


def physician(n: int) -> Physician:
    return Physician(f"P{n}", "张三", ResidentId.parse(NUMBER),
                     (Qualification(f"Q{n}", Level.PHYSICIAN, Category.CLINICAL,
                                    date(2020, 1, 1)),))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A SQLite file, or a migrated scratch PostgreSQL database."""
    if request.param == "postgres" and not PG_URL:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    with contextlib.ExitStack() as stack:
        yield (stack.enter_context(migrated_postgres(PG_URL, "mdreg_chains"))
               if request.param == "postgres" else f"sqlite:///{tmp_path / 'chains.db'}")


LOADS: dict[str, Callable[[mdreg.Registry], object]] = {
    "load": lambda registry: registry.load(physicians=[physician(2)]),
    "import_registry": lambda registry: registry.import_registry(physicians=[physician(2)]),
}


@pytest.mark.parametrize("how", sorted(LOADS))
def test_a_duplicate_id_number_is_refused_without_quoting_it(url: str, how: str) -> None:
    registry = mdreg.open(url)
    registry.load(physicians=[physician(1)])
    with pytest.raises(UniquenessConflict) as refused:
        LOADS[how](registry)
    error = refused.value
    chain: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and len(chain) < 10:
        chain.append(link)
        link = link.__cause__ or link.__context__
    text = "".join(traceback.format_exception(error)) + "".join(map(repr, chain))
    assert NUMBER not in text
    assert error.constraint == "physician_id_number"
    registry.release()

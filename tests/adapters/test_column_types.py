"""The timestamp column type read back on SQLite: UTC whatever offset the text carries; dates
and timestamps bound on SQLite as SQLAlchemy's own processors bind them."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Date, DateTime, bindparam, select
from sqlalchemy.dialects import postgresql, sqlite

from mdreg.adapters.sql.driver import compile_plan
from mdreg.adapters.sql.tables import deadlines
from mdreg.adapters.sql.types import UTCDateTime
from mdreg.errors import ValidationError


@pytest.mark.parametrize(("stored", "expected"), [
    ("2026-03-02 01:30:15.123456", datetime(2026, 3, 2, 1, 30, 15, 123456, tzinfo=UTC)),
    ("2026-03-02 01:30:15", datetime(2026, 3, 2, 1, 30, 15, tzinfo=UTC)),
    # text written with an offset (by hand, or by another tool) converts to UTC
    ("2026-03-02 09:30:15.000001+08:00", datetime(2026, 3, 2, 1, 30, 15, 1, tzinfo=UTC)),
    ("2026-03-02T01:30:15-01:00", datetime(2026, 3, 2, 2, 30, 15, tzinfo=UTC)),
])
def test_sqlite_text_reads_as_aware_utc(stored: str, expected: datetime) -> None:
    process = UTCDateTime().dialect_impl(sqlite.dialect()).result_processor(sqlite.dialect(), None)
    assert process is not None
    value = process(stored)
    assert value == expected
    assert value.tzinfo is UTC
    assert process(None) is None


def test_sqlite_text_that_is_no_timestamp_is_refused() -> None:
    process = UTCDateTime().dialect_impl(sqlite.dialect()).result_processor(sqlite.dialect(), None)
    assert process is not None
    with pytest.raises(ValueError, match="Invalid isoformat"):
        process("2 March 2026")


def test_postgresql_values_convert_to_utc() -> None:
    dialect = postgresql.psycopg.dialect()  # type: ignore[attr-defined]
    process = UTCDateTime().dialect_impl(dialect).result_processor(dialect, None)
    shanghai = datetime(2026, 3, 2, 9, tzinfo=timezone(timedelta(hours=8)))
    converted = process(shanghai) if process else UTCDateTime().process_result_value(shanghai, dialect)
    assert converted == shanghai
    assert converted is not None and converted.utcoffset() == timedelta(0)


# -- binding on SQLite: the text SQLAlchemy's own processors make, in one call ------------------

SQLITE = sqlite.dialect()


def _sqlalchemy_timestamp(value: datetime) -> str:
    """What SQLAlchemy's chain makes of a timestamp: the type's conversion, then DATETIME's."""
    process = DateTime(timezone=True).dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None
    return str(process(UTCDateTime().process_bind_param(value, SQLITE)))


@given(st.datetimes(min_value=datetime(2, 1, 1), max_value=datetime(9998, 12, 30),
                    timezones=st.timezones()).filter(lambda v: v.utcoffset() is not None))
def test_a_timestamp_binds_on_sqlite_as_sqlalchemy_formats_it(value: datetime) -> None:
    process = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None
    assert process(value) == _sqlalchemy_timestamp(value)


def test_a_naive_timestamp_or_none_binds_as_before_on_sqlite() -> None:
    process = UTCDateTime().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert process is not None and process(None) is None
    with pytest.raises(ValidationError):
        process(datetime(2026, 3, 2, 9, 30))


@given(st.one_of(st.dates(), st.datetimes()))
def test_a_date_parameter_binds_on_sqlite_as_sqlalchemy_formats_it(value: date) -> None:
    plan = compile_plan(select(deadlines.c.id).where(deadlines.c.due < bindparam("on", type_=Date())),
                        SQLITE)
    general = Date().dialect_impl(SQLITE).bind_processor(SQLITE)
    assert general is not None
    (bound,) = plan.parameters({"on": value})
    assert bound == general(value)


def test_a_date_parameter_that_is_no_date_is_refused_as_before() -> None:
    plan = compile_plan(select(deadlines.c.id).where(deadlines.c.due < bindparam("on", type_=Date())),
                        SQLITE)
    with pytest.raises(TypeError, match="SQLite Date type only accepts"):
        plan.parameters({"on": "2026-03-02"})

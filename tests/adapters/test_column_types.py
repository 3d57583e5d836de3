"""The timestamp column type read back on SQLite: UTC whatever offset the text carries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import postgresql, sqlite

from mdreg.adapters.sql.types import UTCDateTime


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

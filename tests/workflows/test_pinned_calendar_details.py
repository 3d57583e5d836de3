"""An override file is read as UTF-8 whatever the process locale says: a server whose locale is
not UTF-8 (ASCII ``C``, or GB18030 on many Chinese hosts) still reads the notice's Chinese name
as written."""

from __future__ import annotations

import locale
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from mdreg.domain.calendar import CalendarOverrides, YearOverride

NOTICE = "国务院办公厅关于2027年部分节假日安排的通知"


@pytest.fixture
def ascii_locale() -> Iterator[None]:
    """The process's character type locale switched to ``C`` (ASCII) for the test, then back."""
    before = locale.setlocale(locale.LC_CTYPE)
    locale.setlocale(locale.LC_CTYPE, "C")
    try:
        yield
    finally:
        locale.setlocale(locale.LC_CTYPE, before)


def test_an_override_file_is_read_as_utf8_under_a_locale_that_is_not(
        tmp_path: Path, ascii_locale: None) -> None:
    path = tmp_path / "2027.toml"
    path.write_bytes(f'[years.2027]\nnotice = "{NOTICE}"\nholidays = ["2027-01-01"]\n'
                     .encode())
    overrides = CalendarOverrides.from_toml(path)
    assert overrides.years[2027] == YearOverride(2027, frozenset({date(2027, 1, 1)}),
                                                 notice=NOTICE)
    assert overrides.source == str(path)

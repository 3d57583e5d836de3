"""The documentation covers the public API, and cites and links only what exists."""

from __future__ import annotations

import re
from pathlib import Path

import mdreg

DOCS = Path(__file__).resolve().parent.parent / "docs"


def documented(text: str) -> set[str]:
    """The objects the autodoc directives of ``text`` document."""
    return set(re.findall(r"^\.\. auto(?:class|function|exception|data|module)::\s+(\S+)", text,
                          flags=re.MULTILINE))


def test_every_export_has_an_entry_in_the_api_reference() -> None:
    entries = documented((DOCS / "api.md").read_text(encoding="utf-8"))
    assert sorted(f"mdreg.{name}" for name in mdreg.__all__ if f"mdreg.{name}" not in entries) == []


def test_the_export_check_reads_directives_only() -> None:
    assert documented(".. autoclass:: mdreg.Registry\n   :members:\nsee mdreg.Physician\n"
                      ".. autoexception:: mdreg.errors.PersistenceError\n") == {
        "mdreg.Registry", "mdreg.errors.PersistenceError"}

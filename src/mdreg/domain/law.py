"""法律依据 — legal instruments, citations of their articles, and violations of the rules that cite them.

A rule (:mod:`mdreg.rules`) cites the articles it applies; a failed rule reports a
:class:`Violation` carrying those citations, which errors, notices and reports show.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import attrs


@attrs.frozen
class Instrument:
    """A legal instrument (法律、规章、规范性文件) with the period it was in force."""

    key: str
    title: str
    english: str
    effective_from: date
    effective_until: date | None = None
    url: str = ""

    def article(self, article: str, source: str = "") -> Citation:
        """A citation of one article of this instrument; ``source`` tags the text it was checked
        against (S1…, listed on the generated sources page)."""
        return Citation(self, article, source)


@attrs.frozen
class Citation:
    """《instrument》article; ``source`` is kept as data, not shown."""

    instrument: Instrument
    article: str
    source: str = ""

    def __str__(self) -> str:
        return f"《{self.instrument.title}》{self.article}"


@attrs.frozen
class Violation:
    """One failed rule: which rule, why (Chinese and English), under which law, how to fix.

    ``facts`` holds the values the rule looked at, already masked where personal.
    """

    rule_id: str
    label: str
    message: str
    message_en: str
    citations: tuple[Citation, ...]
    facts: Mapping[str, str] = attrs.field(factory=dict)
    fix: str = ""

    def __str__(self) -> str:
        cited = "; ".join(str(c) for c in self.citations)
        return f"[{self.rule_id}] {self.message} ({self.message_en}) — {cited}"

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
    """A legal instrument (法律、规章、规范性文件) with the period it was in force.

    Attributes:
        key: a stable id (``physicians_law_2021``).
        title: the Chinese title, without 《》.
        english: an English title.
        effective_from: the first day in force (施行).
        effective_until: the last day in force (``None``: still in force); the day before the
            successor took effect when one replaced it.
        url: where the text was published, when known (empty otherwise: never guessed).
        document_no: the document number (文号: 主席令第九十四号, 国家卫生计生委令第13号 …),
            empty when not established.
        replaced_by: the key of the instrument that repealed or replaced it.
        note: what is known about the period or the text, when it needs saying.
    """

    key: str
    title: str
    english: str
    effective_from: date
    effective_until: date | None = None
    url: str = ""
    document_no: str = ""
    replaced_by: str = ""
    note: str = ""

    def article(self, article: str, source: str = "") -> Citation:
        """A citation of one article of this instrument; ``source`` tags the text it was checked
        against (S1…, listed on the generated sources page)."""
        return Citation(self, article, source)

    def in_force(self, on: date) -> bool:
        """Whether the instrument was in force on ``on``."""
        return self.effective_from <= on and (
            self.effective_until is None or on <= self.effective_until)

    @property
    def period(self) -> str:
        """``1999-05-01 – 2022-02-28``; an open end reads ``…``."""
        until = self.effective_until.isoformat() if self.effective_until else "…"
        return f"{self.effective_from.isoformat()} – {until}"


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

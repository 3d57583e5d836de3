"""Notices in SQL: one row per notice; the documents live in the row's JSON ``doc``."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import bindparam, func, select

from mdreg.adapters.sql import mapping, tables
from mdreg.adapters.sql.repositories import Executor
from mdreg.adapters.sql.statements import by_key, insert_new
from mdreg.adapters.sql.translation import Subject
from mdreg.domain.notices import Notice
from mdreg.errors import UniquenessConflict
from mdreg.ports import NoticeRepository

_NOTICES = tables.notices
_MAPPER = mapping.NOTICES
_GET = by_key(_MAPPER)
_OF_SUBJECT = (select(*_MAPPER.selected)
               .where(_NOTICES.c.subject_id == bindparam("subject_id"))
               .order_by(_NOTICES.c.issued_at, _NOTICES.c.id))
_COUNTS = (select(_NOTICES.c.kind, func.count()).group_by(_NOTICES.c.kind)
           .order_by(_NOTICES.c.kind))


class SqlNotices(NoticeRepository):
    def __init__(self, db: Executor, dialect: str) -> None:
        self._db = db
        self._add = insert_new(_NOTICES, dialect)

    def add(self, notice: Notice) -> None:
        if not self._db.write(self._add, _MAPPER.to_row(notice), Subject("notice", notice.id)):
            raise UniquenessConflict("notice_id", f"notice {notice.id} exists")

    def get(self, notice_id: str) -> Notice | None:
        rows = self._db.read(_GET, {"key": notice_id})
        return _MAPPER.from_row(rows[0]) if rows else None

    def for_subject(self, subject_id: str) -> tuple[Notice, ...]:
        return tuple(_MAPPER.from_row(row)
                     for row in self._db.read(_OF_SUBJECT, {"subject_id": subject_id}))

    def counts(self) -> Mapping[str, int]:
        return {str(kind): int(count) for kind, count in self._db.read(_COUNTS, {})}

"""Notices in memory: an overlay over the store's table, merged at commit."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping

from mdreg.adapters.memory.tables import Overlay
from mdreg.domain.notices import Notice
from mdreg.errors import UniquenessConflict
from mdreg.ports import NoticeRepository


class MemoryNotices(NoticeRepository):
    def __init__(self, overlay: Overlay[Notice]) -> None:
        self._rows = overlay

    def add(self, notice: Notice) -> None:
        if self._rows.get(notice.id) is not None:
            raise UniquenessConflict("notice_id", f"notice {notice.id} exists")
        self._rows.put(notice)

    def get(self, notice_id: str) -> Notice | None:
        return self._rows.get(notice_id)

    def for_subject(self, subject_id: str) -> tuple[Notice, ...]:
        found = self._rows.lookup("subject", subject_id)
        return tuple(sorted(found, key=lambda n: (n.issued_at, n.id)))

    def counts(self) -> Mapping[str, int]:
        rows = {**self._rows.table.rows, **self._rows.pending}
        return dict(sorted(Counter(n.kind.value for n in rows.values()).items()))

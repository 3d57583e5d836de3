"""Tables of the in-memory backend: committed rows with secondary indexes, and the overlay a
unit of work writes into before it commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

from mdreg.errors import (
    ConcurrencyConflict,
    UniquenessConflict,
)
from mdreg.ports import (
    Repository,
)

V = TypeVar("V")
K = TypeVar("K", bound=Hashable)


class Table(Generic[V]):
    """Committed rows by key, plus secondary indexes key → set of primary keys."""

    def __init__(self, key: Callable[[V], str], indexes: dict[str, Callable[[V], Hashable]]):
        self.key = key
        self.rows: dict[str, V] = {}
        self.index_fns = indexes
        self.indexes: dict[str, defaultdict[Hashable, set[str]]] = {
            name: defaultdict(set) for name in indexes
        }

    def write(self, row: V) -> None:
        pk = self.key(row)
        old = self.rows.get(pk)
        for name, fn in self.index_fns.items():
            if old is not None:
                self.indexes[name][fn(old)].discard(pk)
            self.indexes[name][fn(row)].add(pk)
        self.rows[pk] = row


class Overlay(Generic[V]):
    """A unit of work's pending writes over a committed table."""

    def __init__(self, table: Table[V]) -> None:
        self.table = table
        self.pending: dict[str, V] = {}

    def get(self, key: str) -> V | None:
        return self.pending.get(key, self.table.rows.get(key))

    def put(self, row: V) -> None:
        self.pending[self.table.key(row)] = row

    def lookup(self, index: str, value: Hashable) -> list[V]:
        fn = self.table.index_fns[index]
        keys = set(self.table.indexes[index].get(value, ()))
        keys.update(k for k, row in self.pending.items() if fn(row) == value)
        rows = (self.get(k) for k in sorted(keys))
        return [r for r in rows if r is not None and fn(r) == value]



class Keyed(Repository[V]):
    def __init__(self, overlay: Overlay[V]) -> None:
        self._rows = overlay

    def get(self, key: str) -> V | None:
        return self._rows.get(key)

    def put(self, entity: V) -> None:
        self._rows.put(entity)



class Versioned(Generic[V]):
    """Add/save with optimistic concurrency over an overlay; ``expected`` is checked at commit."""

    def __init__(self, overlay: Overlay[V], kind: str) -> None:
        self._rows = overlay
        self.kind = kind
        self.expected: dict[str, int] = {}

    def get(self, key: str) -> V | None:
        return self._rows.get(key)

    def add(self, row: V) -> None:
        key = self._rows.table.key(row)
        if self._rows.get(key) is not None:
            raise UniquenessConflict(f"{self.kind}_id", f"{self.kind} {key} exists")
        self.expected[key] = 0
        self._rows.put(row)

    def save(self, row: V, expected_version: int) -> None:
        key = self._rows.table.key(row)
        current = self._rows.get(key)
        actual: int = getattr(current, "version", 0) if current is not None else 0
        if actual != expected_version:
            raise ConcurrencyConflict(self.kind, key, expected_version, actual)
        self.expected.setdefault(key, expected_version)
        self._rows.put(row)

    def check_versions(self) -> None:
        for key, expected in self.expected.items():
            current = self._rows.table.rows.get(key)
            actual: int = getattr(current, "version", 0) if current is not None else 0
            if actual != expected:
                raise ConcurrencyConflict(self.kind, key, expected, actual)

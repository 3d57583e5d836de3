"""``mdreg.open`` on a SQLite file whose write lock another connection holds: a database at head
opens at once (the schema version is read without a lock); one that must be migrated waits for
the lock with the retry policy of commands, past one busy timeout."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mdreg
from mdreg.adapters.sql import migrate
from mdreg.adapters.sql.engine import BUSY_TIMEOUT_MS


@contextmanager
def write_locked(path: Path, seconds: float | None = None) -> Iterator[None]:
    """Another connection holds the write lock (``BEGIN IMMEDIATE``) for ``seconds``, or while
    the block runs."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("PRAGMA journal_mode = WAL")
    holder.execute("BEGIN IMMEDIATE")
    release = threading.Timer(seconds or 0.0, holder.rollback)
    if seconds is not None:
        release.start()
    try:
        yield
    finally:
        if seconds is None:
            holder.rollback()
        else:
            release.join()
        holder.close()


def test_a_database_at_head_opens_while_another_connection_writes(tmp_path: Path) -> None:
    path = tmp_path / "mdreg.db"
    url = f"sqlite:///{path}"
    mdreg.open(url).release()  # migrated, and its revisions published
    with write_locked(path):
        started = time.monotonic()
        registry = mdreg.open(url)
        opened = time.monotonic() - started
        registry.release()
    assert opened < BUSY_TIMEOUT_MS / 1000 / 2, f"open waited {opened:.1f} s for a lock"


def test_an_open_that_migrates_waits_for_the_lock_past_one_busy_timeout(tmp_path: Path) -> None:
    path = tmp_path / "mdreg.db"
    url = f"sqlite:///{path}"
    held = BUSY_TIMEOUT_MS / 1000 + 2  # longer than one busy timeout: open must try again
    with write_locked(path, seconds=held):
        started = time.monotonic()
        registry = mdreg.open(url)
        waited = time.monotonic() - started
    assert waited >= held - 0.5
    assert migrate.at_head(url)
    registry.release()

"""A key rotation whose process dies in the middle of a batch, on a SQL database.

The parent stores physicians, each with a portal account holding a phone, under an old key; a
spawned child rotates them to a new key (:func:`mdreg.adapters.sql.keys.rotate`: physicians
first, then accounts) and ends itself with ``os._exit`` (no cleanup, no rollback of its own)
after writing ``kill_after`` rows. The parent then reads every row: each must be wholly under
one key — a physician's index and sealed number, an account's sealed phone and the key its
document names, made by the same key — and the rows under the new key are exactly the batches
that committed. Running the rotation again finishes it; every physician and account then reads
back as stored.
"""

from __future__ import annotations

import json
import multiprocessing
import os

import attrs
from sqlalchemy import select

import mdreg
from mdreg.adapters.sql import keys, tables
from mdreg.adapters.sql.keys import ResealReport
from mdreg.adapters.sql.mapping import PROTECTED_BY, SEALED_ID_NUMBER
from mdreg.adapters.sql.store import SqlStore
from mdreg.domain.account import Account
from mdreg.domain.identifiers import Phone
from mdreg.infra.protection import IdProtection
from mdreg.testing.builders import World

#: The exit status the child ends itself with.
KILLED = 9
OLD_KEY = b"killed-rotation-old-key-32-bytes!"
NEW_KEY = b"killed-rotation-new-key-32-bytes!"


@attrs.frozen
class KilledRotation:
    """What the parent found after the child died, and after rotating again.

    Attributes:
        exit_code: the child's exit status (:data:`KILLED` when it died where it should).
        rows: how many protected rows the database holds (physicians and accounts).
        rotated_before: rows wholly under the new key when the child died.
        half_rotated: rows whose parts name different keys (must be empty).
        finished: the report of rotating again.
        read_back: whether every physician then reads back as it was stored.
    """

    exit_code: int | None
    rows: int
    rotated_before: int
    half_rotated: tuple[str, ...]
    finished: ResealReport
    read_back: bool


def killed_rotation(url: str, *, physicians: int = 10, batch_size: int = 4,
                    kill_after: int = 6, timeout: float = 120.0) -> KilledRotation:
    """Run the scenario of the module on ``url`` (an empty, migrated SQL database)."""
    old = IdProtection(OLD_KEY)
    ring = IdProtection(NEW_KEY, previous=(OLD_KEY,))
    registry = mdreg.open(url, protection=old)
    world = World(registry)
    stored = [world.physician(account=False) for _ in range(physicians)]
    accounts = [Account.imported(f"U{p.id}", p.id, f"login-{p.id}", at=registry.clock.now(),
                                 phone=Phone.parse(f"138{n:08d}"))
                for n, p in enumerate(stored)]
    registry.load(accounts=accounts)
    registry.release()
    child = multiprocessing.get_context("spawn").Process(
        target=_child, args=(url, batch_size, kill_after), daemon=True)
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
    rotated, half = _inspect(url, ring)
    finished = keys.rotate(url, ring, batch_size=batch_size)
    registry = mdreg.open(url, protection=ring)
    read_back = all(registry.physician(p.id) == p for p in stored)
    with registry.services.uow() as uow:
        read_back = read_back and all(uow.accounts.get(a.id) == a for a in accounts)
    registry.release()
    return KilledRotation(child.exitcode, 2 * physicians, rotated, half, finished, read_back)


def key_ids(url: str) -> dict[str, tuple[str, str]]:
    """Each physician's (index key id, sealing key id) and each account's (key id its document
    names, sealing key id of its phone), from the rows themselves."""
    store = SqlStore.connect(url)
    physicians, accounts = tables.physicians, tables.accounts
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(select(physicians.c.id, physicians.c.id_number,
                                       physicians.c.doc)).all()
            account_docs = conn.execute(select(accounts.c.id, accounts.c.doc)).all()
    finally:
        store.close()
    found = {str(id_): (str(index).split(":")[1],
                        json.loads(doc)[SEALED_ID_NUMBER].split(":")[1])
             for id_, index, doc in rows}
    for id_, text in account_docs:
        doc = json.loads(text)
        found[str(id_)] = (doc.get(PROTECTED_BY, ""), str(doc["phone"]).split(":")[1])
    return found


def _inspect(url: str, ring: IdProtection) -> tuple[int, tuple[str, ...]]:
    found = key_ids(url)
    half = tuple(sorted(id_ for id_, (index, sealed) in found.items() if index != sealed))
    return sum(1 for index, _ in found.values() if index == ring.key_id), half


def _child(url: str, batch_size: int, kill_after: int) -> None:
    """Rotate and die after ``kill_after`` rows, in the middle of a batch."""
    count = [0]

    def dying(_physician_id: str) -> None:
        count[0] += 1
        if count[0] > kill_after:  # this row's write is in the batch, uncommitted
            os._exit(KILLED)

    keys.rotate(url, IdProtection(NEW_KEY, previous=(OLD_KEY,)), batch_size=batch_size,
                on_row=dying)
    os._exit(0)  # fewer rows than kill_after

"""Turning ID protection on for a database in clear, and rotating its key: counts before and
after, lookups and one-person-one-record while a rotation is half done, the old format read
only to convert it; on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select, update

import mdreg
from mdreg import IdProtection
from mdreg.adapters.sql import SqlStore, keys, migrate, tables
from mdreg.adapters.sql.mapping import SEALED_ID_NUMBER
from mdreg.errors import SerializationError, UniquenessConflict, ValidationError
from mdreg.testing import World
from mdreg.testing import contract_portal as portal
from mdreg.testing.contract import physician as contract_physician
from mdreg.testing.databases import scratch_postgres
from mdreg.testing.killed_rotation import key_ids

PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
OLD_KEY = b"rotation-test-old-key-32-bytes!!"
NEW_KEY = b"rotation-test-new-key-32-bytes!!"
OLD = IdProtection(OLD_KEY)
RING = IdProtection(NEW_KEY, previous=(OLD_KEY,))


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'keys.db'}"
        migrate.upgrade(url)
        yield url
        return
    if not PG_URL:
        pytest.skip("PostgreSQL needs MDREG_TEST_POSTGRES_URL")
    with scratch_postgres(PG_URL, "mdreg_keys") as scratch:
        migrate.upgrade(scratch)
        yield scratch


def stored(url: str, protection: IdProtection | None, count: int = 5) -> list[mdreg.Physician]:
    registry = mdreg.open(url, protection=protection)
    world = World(registry)
    physicians = [world.physician(account=False) for _ in range(count)]
    registry.release()
    return physicians


def dump(url: str) -> str:
    store = SqlStore.connect(url)
    with store.engine.connect() as conn:
        rows = conn.execute(select(tables.physicians)).all()
    store.close()
    return "\n".join(str(row) for row in rows)


def progress(url: str, protection: IdProtection) -> tuple[int, int]:
    store = SqlStore.connect(url, protection=protection)
    try:
        found = keys.key_progress(store)
    finally:
        store.close()
    return found.done, found.remaining


def by_number(registry: mdreg.Registry, physician: mdreg.Physician) -> mdreg.Physician | None:
    with registry.services.uow() as uow:
        return uow.physicians.by_id_number(physician.id_number)


def half_rotated(url: str, batch_size: int = 2) -> None:
    """Rotate, and stop with an error in the second batch: the first one stays committed."""
    written = [0]

    def stop(_: str) -> None:
        written[0] += 1
        if written[0] > batch_size:
            raise RuntimeError("stopped")

    with pytest.raises(RuntimeError):
        keys.rotate(url, RING, batch_size=batch_size, on_row=stop)


def test_protect_converts_a_database_in_clear(url: str) -> None:
    physicians = stored(url, None)
    assert progress(url, OLD) == (0, 5)
    report = keys.protect(url, OLD, batch_size=2)
    assert (report.converted, report.progress.done, report.progress.remaining) == (5, 5, 0)
    text = dump(url)
    assert all(p.id_number.value not in text for p in physicians)
    registry = mdreg.open(url, protection=OLD)
    assert all(registry.physician(p.id) == p for p in physicians)
    assert all(by_number(registry, p) == p for p in physicians)
    registry.release()
    assert keys.protect(url, OLD).converted == 0  # a rerun finds nothing left


def test_rotate_moves_every_row_to_the_new_key(url: str) -> None:
    physicians = stored(url, OLD)
    assert progress(url, RING) == (0, 5)
    report = keys.rotate(url, RING, batch_size=3)
    assert (report.converted, report.progress.done, report.progress.remaining) == (5, 5, 0)
    assert set(key_ids(url).values()) == {(RING.key_id, RING.key_id)}
    registry = mdreg.open(url, protection=IdProtection(NEW_KEY))  # the old key is not needed
    assert all(registry.physician(p.id) == p for p in physicians)
    assert all(by_number(registry, p) == p for p in physicians)
    registry.release()
    old_only = mdreg.open(url, protection=OLD)
    with pytest.raises(SerializationError, match="another key"):
        old_only.physician(physicians[0].id)
    old_only.release()


def test_a_half_done_rotation_keeps_lookups_and_one_person_one_record(url: str) -> None:
    physicians = stored(url, OLD)
    half_rotated(url)
    assert progress(url, RING) == (2, 3)
    under = key_ids(url)
    old_rows = [p for p in physicians if under[p.id][0] == OLD.key_id]
    assert len(old_rows) == 3
    registry = mdreg.open(url, protection=RING)
    assert all(registry.physician(p.id) == p for p in physicians)
    assert all(by_number(registry, p) == p for p in physicians)
    twin = attrs.evolve(old_rows[0], id="P-twin")  # same person, new record, new key's index
    with pytest.raises(UniquenessConflict) as refused:
        registry.load(physicians=[twin])
    assert refused.value.constraint == "physician_id_number"
    with pytest.raises(UniquenessConflict):
        registry.import_registry(physicians=[attrs.evolve(old_rows[1], id="P-twin-2")])
    registry.load(physicians=[old_rows[2]])  # the same record again: an update, not a twin
    registry.import_registry(physicians=[old_rows[1]])
    registry.release()
    assert progress(url, RING) == (4, 1)  # written again: under the new key
    assert keys.rotate(url, RING).converted == 1
    assert progress(url, RING) == (5, 0)


def test_rotate_needs_the_previous_key_and_refuses_rows_in_clear(url: str) -> None:
    stored(url, OLD, count=2)
    with pytest.raises(SerializationError, match="another key"):
        keys.rotate(url, IdProtection(NEW_KEY))
    assert progress(url, RING) == (0, 2)
    stored(url, None, count=1)
    with pytest.raises(SerializationError, match="without protection"):
        keys.rotate(url, RING)
    assert keys.protect(url, RING).progress.remaining == 0


def test_a_store_without_protection_or_a_bad_batch_is_refused(url: str) -> None:
    store = SqlStore.connect(url)
    with pytest.raises(ValidationError):
        keys.key_progress(store)
    store.close()
    with pytest.raises(ValidationError, match="batch"):
        keys.rotate(url, RING, batch_size=0)


def _legacy(key: bytes, number: str) -> tuple[str, str]:
    """The index and sealed number the first releases wrote."""
    index_key = hmac.new(key, b"mdreg-protection:index", hashlib.sha256).digest()
    seal_key = hmac.new(key, b"mdreg-protection:seal", hashlib.sha256).digest()
    nonce = hmac.new(seal_key, number.encode(), hashlib.sha256).digest()[:12]
    sealed = AESGCM(seal_key).encrypt(nonce, number.encode(), b"mdreg:id_number")
    return ("hmac-sha256:" + hmac.new(index_key, number.encode(), hashlib.sha256).hexdigest(),
            "aes-256-gcm:" + base64.b64encode(nonce + sealed).decode())


def test_rotate_converts_the_old_format(url: str) -> None:
    physicians = stored(url, OLD, count=3)
    store = SqlStore.connect(url)
    rows = tables.physicians
    with store.engine.begin() as conn:
        for physician in physicians:
            index, sealed = _legacy(OLD_KEY, physician.id_number.value)
            doc = json.loads(conn.execute(select(rows.c.doc).where(
                rows.c.id == physician.id)).scalar_one())
            doc[SEALED_ID_NUMBER] = sealed
            conn.execute(update(rows).where(rows.c.id == physician.id).values(
                id_number=index, doc=json.dumps(doc)))
    store.close()
    registry = mdreg.open(url, protection=RING)
    assert all(by_number(registry, p) == p for p in physicians)  # read while not converted
    registry.release()
    assert keys.rotate(url, RING).converted == 3
    assert set(key_ids(url).values()) == {(RING.key_id, RING.key_id)}
    registry = mdreg.open(url, protection=IdProtection(NEW_KEY))
    assert all(registry.physician(p.id) == p for p in physicians)
    registry.release()


def portal_rows(url: str, protection: IdProtection | None) -> None:
    """An account with a phone and an e-mail address, three codes sent to the phone, and the
    SMS messages that carry them."""
    store = SqlStore.connect(url, protection=protection)
    with store.unit_of_work() as uow:
        uow.physicians.put(physician_for(portal.account()))
        uow.accounts.add(portal.account())
        for n in range(3):
            uow.codes.add(portal.code(n))
            uow.outbox.add(portal.message(n))
        uow.commit()
    store.close()


def physician_for(account: mdreg.Account) -> mdreg.Physician:
    return attrs.evolve(contract_physician(1), id=account.physician_id)


def test_phones_are_protected_then_rotated_and_the_quota_counts_throughout(url: str) -> None:
    portal_rows(url, None)
    raw = dump_all(url)
    assert "13800138000" in raw and "d1@" in raw
    assert keys.protect(url, OLD, batch_size=2).progress == keys.KeyProgress(OLD.key_id, 8, 0)
    raw = dump_all(url)
    assert "13800138000" not in raw and "d1@" not in raw
    half_rotated(url, batch_size=4)  # the physician, the account, two of three codes
    since = portal.AT - timedelta(days=1)
    store = SqlStore.connect(url, protection=RING)
    with store.unit_of_work() as uow:
        assert uow.accounts.get("U1") == portal.account()
        assert uow.codes.sent_since("13800138000", since) == 3  # under both keys
        assert [m.to for m in uow.outbox.pending(10)] == ["13800138000"] * 3
    store.close()
    assert keys.rotate(url, RING).progress == keys.KeyProgress(RING.key_id, 8, 0)
    store = SqlStore.connect(url, protection=IdProtection(NEW_KEY))
    with store.unit_of_work() as uow:
        latest = uow.codes.latest("U1", portal.code(0).purpose)
        assert latest is not None and (latest.id, latest.destination) == ("C2", "13800138000")
        assert uow.codes.sent_since("13800138000", since) == 3
    store.close()


def dump_all(url: str) -> str:
    store = SqlStore.connect(url)
    with store.engine.connect() as conn:
        rows = [str(row) for table in tables.METADATA.sorted_tables
                for row in conn.execute(table.select()).all()]
    store.close()
    return "\n".join(rows)


def test_a_rotation_runs_while_the_registry_writes(url: str) -> None:
    """Online: a reference-data load renames every physician while a rotation runs, one
    physician per batch; every rename survives and every row ends under the new key."""
    physicians = stored(url, OLD, count=12)
    renamed = [attrs.evolve(p, name=f"{p.name}改") for p in physicians]
    registry = mdreg.open(url, protection=RING)
    errors: list[BaseException] = []

    def load() -> None:
        try:
            for physician in renamed:
                registry.load(physicians=[physician])
        except BaseException as error:  # reported by the test below
            errors.append(error)

    writer = threading.Thread(target=load)
    writer.start()
    keys.rotate(url, RING, batch_size=1)
    writer.join()
    assert errors == []
    assert keys.rotate(url, RING).progress.remaining == 0
    assert all(registry.physician(p.id) == p for p in renamed)
    registry.release()

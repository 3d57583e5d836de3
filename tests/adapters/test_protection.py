"""S-11: resident ID numbers are not stored in clear when a registry is opened with protection."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import attrs
import pytest

import mdreg
from mdreg import Actor, IdProtection, RegistrationRequest
from mdreg.adapters.sql import SqlStore, migrate
from mdreg.adapters.sql.tables import METADATA
from mdreg.adapters.sql.unit_of_work import SqlUnitOfWork
from mdreg.errors import SerializationError, UniquenessConflict
from mdreg.infra.security import SecuritySettings
from mdreg.service.accounts import Accounts
from mdreg.testing import World
from mdreg.testing.builders import make_id_number
from mdreg.testing.contract import UnitOfWorkContract
from mdreg.testing.databases import scratch_postgres

PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
KEY = b"s11-protection-key-for-the-tests!"
PROTECTION = IdProtection(KEY)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'protected.db'}"
        return
    if not PG_URL:
        pytest.skip("PostgreSQL needs MDREG_TEST_POSTGRES_URL")
    with scratch_postgres(PG_URL, "mdreg_s11") as scratch:
        yield scratch


def dump(url: str) -> str:
    """Every row of every mdreg table, as text."""
    store = SqlStore.connect(url)
    with store.engine.connect() as conn:
        rows = [str(row) for table in METADATA.sorted_tables
                for row in conn.execute(table.select()).all()]
    store.close()
    return "\n".join(rows)


def populated(url: str) -> tuple[mdreg.Registry, list[mdreg.Physician]]:
    """Physicians through load and bulk import, a sign-up matched by ID number, a 注册 checked
    against its rules and approved."""
    registry = mdreg.open(url, protection=PROTECTION)
    world = World(registry)
    hospital = world.institution("110105")
    doctors = [world.physician() for _ in range(3)]
    imported = [attrs.evolve(world.physician(), id=f"PX{n}",
                             id_number=make_id_number("310104", date(1985, 5, 6), n))
                for n in range(1, 4)]
    registry.import_registry(physicians=imported)
    newcomer = world.physician(account=False)
    Accounts(registry, settings=SecuritySettings.for_tests()).sign_up(
        name=newcomer.name, id_number=newcomer.id_number, login_name="s11-newcomer",
        password="Zs9#kq2!vm-s11", phone="13800138000")
    doctor = doctors[0]
    app = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
        hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
    assert registry.check(app.id, "confirm").passed
    return registry, [*doctors, *imported, newcomer]


def test_s11_no_id_number_is_stored_in_clear(url: str) -> None:
    registry, physicians = populated(url)
    stored = dump(url)
    for physician in physicians:
        number = physician.id_number.value
        assert number not in stored
        assert number[:17] not in stored
        assert registry.physician(physician.id) == physician  # read back whole
    registry.release()


def test_s11_uniqueness_goes_through_the_blind_index(url: str) -> None:
    registry, physicians = populated(url)
    twin = attrs.evolve(physicians[0], id="P-twin")
    with pytest.raises(UniquenessConflict) as refused:
        registry.load(physicians=[twin])
    assert refused.value.constraint == "physician_id_number"
    with pytest.raises(UniquenessConflict):
        registry.import_registry(physicians=[attrs.evolve(physicians[1], id="P-twin-2")])
    registry.release()


def test_s11_another_key_or_no_key_cannot_read_protected_rows(url: str) -> None:
    registry, physicians = populated(url)
    registry.release()
    other = mdreg.open(url, protection=IdProtection(b"another-key-another-key-another!!"))
    with pytest.raises(SerializationError, match="another key"):
        other.physician(physicians[0].id)
    other.release()


def test_s11_rows_stored_without_protection_are_refused(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plain.db'}"
    plain = mdreg.open(url)
    doctor = World(plain).physician()
    plain.release()
    protected = mdreg.open(url, protection=PROTECTION)
    with pytest.raises(SerializationError, match="without protection"):
        protected.physician(doctor.id)
    protected.release()


def test_s11_blind_indexes_of_100000_numbers_never_collide() -> None:
    start = date(1940, 1, 1)
    numbers = {make_id_number("110105", start + timedelta(days=n % 20_000), n // 20_000).value
               for n in range(100_000)}
    indexes = {PROTECTION.index(number) for number in numbers}
    assert len(indexes) == len(numbers) == 100_000
    assert PROTECTION.index(next(iter(numbers))) == IdProtection(KEY).index(next(iter(numbers)))


def test_the_key_is_never_shown() -> None:
    assert repr(PROTECTION) == f"IdProtection(key=***, key_ids=['{PROTECTION.key_id}'])"
    assert KEY.decode() not in repr(PROTECTION)
    ring = IdProtection(b"n" * 32, previous=(KEY,))
    assert KEY.decode() not in repr(ring) and "n" * 32 not in repr(ring)


class TestProtectedSqliteUnitOfWork(UnitOfWorkContract):
    """The unit-of-work contract (portal and outbox included) with ID numbers, phones and
    e-mail addresses protected, under a keyring."""

    @pytest.fixture
    def make_uow(self, tmp_path: Path) -> Iterator[Callable[[], SqlUnitOfWork]]:
        url = f"sqlite:///{tmp_path / 'protected.db'}"
        migrate.upgrade(url)
        store = SqlStore.connect(url, protection=IdProtection(b"n" * 32, previous=(KEY,)))
        yield store.unit_of_work
        store.close()


def test_s11_phones_and_addresses_are_not_stored_in_clear(url: str) -> None:
    registry, physicians = populated(url)
    accounts = Accounts(registry, settings=SecuritySettings.for_tests())
    accounts.send_phone_code(Actor.physician(physicians[-1].id))
    with registry.services.uow() as uow:
        account = uow.accounts.by_login("s11-newcomer")
    assert account is not None and account.phone is not None
    stored = dump(url)
    assert "13800138000" not in stored
    with registry.services.uow() as uow:
        assert uow.accounts.get(account.id) == account
        assert uow.codes.sent_since("13800138000", datetime(2000, 1, 1, tzinfo=UTC)) == 1
        assert [m.to for m in uow.outbox.pending(10)] == ["13800138000"]
    registry.release()

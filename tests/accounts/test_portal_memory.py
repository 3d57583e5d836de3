"""The in-memory backend's personal-portal repositories, including what only it can show in
one thread: two units holding conflicting writes until the second commits."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.domain.account import (
    Account,
    Assessment,
    AssessmentResult,
    ChangeKind,
    Channel,
    CodeHash,
    CodePurpose,
    CodeStatus,
    Email,
    OneTimeCode,
    OutboxMessage,
    PersonalChange,
    PhotoRef,
    PracticeInfo,
)
from mdreg.domain.identifiers import Phone
from mdreg.domain.model import Category, Level, Physician, Qualification
from mdreg.errors import ConcurrencyConflict, NotFoundError, UniquenessConflict
from mdreg.ports import UnitOfWork
from mdreg.testing.builders import chinese_name, make_id_number

MakeUow = Callable[[], UnitOfWork]
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def physician(n: int) -> Physician:
    return Physician(f"P{n}", chinese_name(n), make_id_number("110105", date(1990, 1, 2), n),
                     (Qualification(f"Q{n}", Level.PHYSICIAN, Category.CLINICAL, date(2020, 9, 1)),))


def account(n: int, login: str = "", physician_id: str = "") -> Account:
    return Account(f"U{n}", physician_id or f"P{n}", login or f"user{n}", "$argon2id$x",
                   Phone.parse("13912340001"), Email.parse("a@example.com"), "registered", 1,
                   T0, T0)


def code(n: int, account_id: str = "U1", *, at: datetime = T0,
         status: CodeStatus = CodeStatus.ACTIVE, to: str = "13912340001") -> OneTimeCode:
    return OneTimeCode(f"C{n}", account_id, CodePurpose.VERIFY_PHONE, Channel.SMS, to,
                       CodeHash("hmac-sha256", "00" * 16, "11" * 32), at,
                       at + timedelta(minutes=10), status=status)


def change(n: int, kind: ChangeKind = ChangeKind.PHOTO, physician_id: str = "P1") -> PersonalChange:
    return PersonalChange(f"PC{n}", physician_id, kind, "I1", "pending", 1, T0, T0,
                          photo=PhotoRef(f"k{n}.jpg", "ab" * 32, 2048, "jpeg"))


class TestInMemoryPortal:
    """The in-memory backend checks a unit's writes when it commits, so two units may hold
    conflicting writes at once and the second commit is refused (a SQL backend refuses, or
    waits, at the write itself: the all-backend contract is
    :class:`mdreg.testing.contract.UnitOfWorkContract`)."""

    @pytest.fixture
    def make_uow(self) -> MakeUow:
        store = MemoryStore()
        return lambda: InMemoryUnitOfWork(store)

    @pytest.fixture
    def seeded(self, make_uow: MakeUow) -> MakeUow:
        with make_uow() as uow:
            for n in (1, 2, 3):
                uow.physicians.put(physician(n))
            uow.commit()
        return make_uow

    def test_accounts_round_trip_and_lookups(self, seeded: MakeUow) -> None:
        with seeded() as uow:
            uow.accounts.add(account(1, "ZhangSan"))
            uow.commit()
        with seeded() as uow:
            stored = uow.accounts.get("U1")
            assert stored == account(1, "ZhangSan")
            assert uow.accounts.by_login("zhangsan") == stored
            assert uow.accounts.for_physician("P1") == stored
            assert uow.accounts.by_login("nobody") is None
            assert uow.accounts.get("U9") is None

    def test_uncommitted_accounts_are_rolled_back(self, seeded: MakeUow) -> None:
        with seeded() as uow:
            uow.accounts.add(account(1))
        with seeded() as uow:
            assert uow.accounts.get("U1") is None

    @pytest.mark.parametrize(("second", "constraint"), [
        (account(2, "USER1"), "account_login_name"),
        (account(2, "other", physician_id="P1"), "account_physician"),
    ], ids=["login_name_case_folded", "one_account_per_physician"])
    def test_account_uniqueness_across_units(self, seeded: MakeUow, second: Account,
                                             constraint: str) -> None:
        first_uow, second_uow = seeded(), seeded()
        with first_uow, second_uow:
            first_uow.accounts.add(account(1))
            second_uow.accounts.add(second)
            first_uow.commit()
            with pytest.raises(UniquenessConflict) as err:
                second_uow.commit()
        assert err.value.constraint == constraint

    def test_stale_account_version_is_a_conflict(self, seeded: MakeUow) -> None:
        with seeded() as uow:
            uow.accounts.add(account(1))
            uow.commit()
        one, two = seeded(), seeded()
        with one, two:
            for uow in (one, two):
                current = uow.accounts.get("U1")
                assert current is not None
                uow.accounts.save(attrs.evolve(current, version=2), 1)
            one.commit()
            with pytest.raises(ConcurrencyConflict):
                two.commit()
        with seeded() as uow, pytest.raises(ConcurrencyConflict):
            uow.accounts.save(account(1), 1)

    def test_codes_latest_and_quota_window(self, seeded: MakeUow) -> None:
        with seeded() as uow:
            uow.codes.add(code(1, status=CodeStatus.SUPERSEDED))
            uow.codes.add(code(2))
            uow.codes.add(code(3, at=T0 - timedelta(hours=2), status=CodeStatus.USED))
            uow.codes.add(code(4, account_id="U2", to="13912340002"))
            uow.commit()
        with seeded() as uow:
            latest = uow.codes.latest("U1", CodePurpose.VERIFY_PHONE)
            assert latest is not None
            assert latest.id == "C2"
            assert uow.codes.latest("U1", CodePurpose.RECOVERY) is None
            assert uow.codes.sent_since("13912340001", T0 - timedelta(hours=1)) == 2
            assert uow.codes.sent_since("13912340001", T0) == 0  # strictly after
            assert uow.codes.sent_since("13912340001", T0 - timedelta(days=1)) == 3

    def test_stale_code_version_is_a_conflict(self, seeded: MakeUow) -> None:
        with seeded() as uow:
            uow.codes.add(code(1))
            uow.commit()
        one, two = seeded(), seeded()
        with one, two:
            for uow in (one, two):
                uow.codes.save(attrs.evolve(code(1), attempts=1, version=2), 1)
            one.commit()
            with pytest.raises(ConcurrencyConflict):
                two.commit()

    def test_outbox_pending_order_limit_and_delivery(self, seeded: MakeUow) -> None:
        with seeded() as uow:
            for n, minutes in ((1, 5), (2, 1), (3, 3)):
                uow.outbox.add(OutboxMessage(f"M{n}", Channel.SMS, "13912340001", "verify_phone",
                                             f"body {n}", "U1", T0 + timedelta(minutes=minutes)))
            uow.commit()
        with seeded() as uow:
            assert [m.id for m in uow.outbox.pending(2)] == ["M2", "M3"]
            uow.outbox.mark_sent("M2", T0 + timedelta(hours=1))
            with pytest.raises(NotFoundError):
                uow.outbox.mark_sent("M9", T0)
            uow.commit()
        with seeded() as uow:
            assert [m.id for m in uow.outbox.pending(10)] == ["M3", "M1"]
            sent = uow.outbox.get("M2")
            assert sent is not None
            assert (sent.body, sent.sent_at) == ("", T0 + timedelta(hours=1))

    def test_one_pending_change_per_physician_and_kind(self, seeded: MakeUow) -> None:
        with seeded() as uow:
            uow.personal_changes.add(change(1))
            uow.personal_changes.add(change(2, ChangeKind.INFO))
            uow.commit()
        with seeded() as uow:
            assert uow.personal_changes.pending_for("P1", ChangeKind.PHOTO) == change(1)
            assert [c.id for c in uow.personal_changes.inbox("I1", "pending")] == ["PC1", "PC2"]
            assert len(uow.personal_changes.for_physician("P1")) == 2
            uow.personal_changes.add(change(3))
            with pytest.raises(UniquenessConflict) as err:
                uow.commit()
        assert err.value.constraint == "pending_personal_change"

    def test_practice_info_is_versioned(self, seeded: MakeUow) -> None:
        info = PracticeInfo("P1", title="主治医师", departments=(("I1", "内科"),), version=1)
        one, two = seeded(), seeded()
        with one, two:
            one.practice_info.save(info, 0)
            two.practice_info.save(info, 0)
            one.commit()
            with pytest.raises(ConcurrencyConflict):
                two.commit()
        with seeded() as uow:
            assert uow.practice_info.get("P1") == info
            assert uow.practice_info.get("P2") is None

    def test_assessments_per_physician(self, seeded: MakeUow) -> None:
        results = [Assessment(f"AS{n}", "P1", cycle, AssessmentResult.PASSED, date(year, 12, 1),
                              "I1") for n, (cycle, year) in enumerate([("2021-2023", 2023),
                                                                      ("2018-2020", 2020)])]
        with seeded() as uow:
            for result in results:
                uow.assessments.put(result)
            uow.commit()
        with seeded() as uow:
            assert uow.assessments.for_physician("P1") == (results[1], results[0])
            assert uow.assessments.get("AS0") == results[0]

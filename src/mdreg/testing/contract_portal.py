"""The unit-of-work contract for the personal portal's repositories (accounts, one-time codes,
outbox, personal changes, practice info, assessments); part of
:class:`mdreg.testing.contract.UnitOfWorkContract`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

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
from mdreg.errors import ConcurrencyConflict, NotFoundError, UniquenessConflict
from mdreg.infra.serialization import unstructure
from mdreg.ports import UnitOfWork

MakeUow = Callable[[], UnitOfWork]
AT = datetime(2026, 3, 2, 1, 2, 3, 456000, tzinfo=UTC)


def account(n: int = 1, *, login: str = "", physician_id: str = "") -> Account:
    return Account(f"U{n}", physician_id or f"P{n}", login or f"Doctor{n}", "$argon2id$v=19$x",
                   Phone.parse("13800138000"), Email.parse(f"d{n}@Example.org"), "active", 1, AT,
                   AT, phone_verified=True)


def code(n: int, *, at: datetime = AT, status: CodeStatus = CodeStatus.ACTIVE,
         destination: str = "13800138000") -> OneTimeCode:
    return OneTimeCode(f"C{n}", "U1", CodePurpose.RECOVERY, Channel.SMS, destination,
                       CodeHash("hmac-sha256", "73616c74", f"{n:064x}"), at,
                       at + timedelta(minutes=10), status=status)


def message(n: int, *, at: datetime = AT) -> OutboxMessage:
    return OutboxMessage(f"M{n}", Channel.SMS, "13800138000", "recovery_code", "验证码 123456",
                         "U1", at)


def change(n: int, *, kind: ChangeKind = ChangeKind.INFO, state: str = "pending",
           at: datetime = AT, institution_id: str = "I1") -> PersonalChange:
    return PersonalChange(f"X{n}", "P1", kind, institution_id, state, 1, at, at,
                          education="硕士", photo=PhotoRef("p1.jpg", "0" * 64, 2048, "jpeg"))


def assessment(n: int, on: date) -> Assessment:
    return Assessment(f"E{n}", "P1", "2023-2025", AssessmentResult.PASSED, on, "I1")


def _same(loaded: object, saved: object) -> bool:
    return bool(unstructure(loaded) == unstructure(saved))


class PortalContract:
    """Accounts, codes, outbox, personal changes, practice info and assessments."""

    @staticmethod
    def commit(make_uow: MakeUow, *steps: Callable[[UnitOfWork], object]) -> None:
        with make_uow() as uow:
            for step in steps:
                step(uow)
            uow.commit()

    def test_portal_entities_load_back_equal(self, make_uow: MakeUow) -> None:
        info = PracticeInfo("P1", "本科", "某医学院", "主治医师", None, (("I1", "内科"),), 1)
        self.commit(make_uow, lambda u: u.accounts.add(account()),
                    lambda u: u.codes.add(code(1)), lambda u: u.outbox.add(message(1)),
                    lambda u: u.personal_changes.add(change(1)),
                    lambda u: u.practice_info.save(info, 0),
                    lambda u: u.assessments.put(assessment(1, date(2025, 6, 30))))
        with make_uow() as uow:
            pairs = [(uow.accounts.get("U1"), account()), (uow.codes.get("C1"), code(1)),
                     (uow.outbox.get("M1"), message(1)),
                     (uow.personal_changes.get("X1"), change(1)),
                     (uow.practice_info.get("P1"), info),
                     (uow.assessments.get("E1"), assessment(1, date(2025, 6, 30)))]
        for loaded, saved in pairs:  # a code's hash compares by value only when unstructured
            assert loaded is not None, type(saved).__name__
            assert _same(loaded, saved), type(saved).__name__

    def test_login_names_are_unique_case_insensitively(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, lambda u: u.accounts.add(account(1, login="ZhangSan")))
        with make_uow() as uow:
            assert uow.accounts.by_login("zhangsan") is not None
            assert uow.accounts.for_physician("P1") is not None
            assert uow.accounts.by_login("lisi") is None
        with pytest.raises(UniquenessConflict) as raised:
            self.commit(make_uow, lambda u: u.accounts.add(account(2, login="ZHANGSAN")))
        assert raised.value.constraint == "account_login_name"

    def test_a_physician_has_one_account(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, lambda u: u.accounts.add(account(1)))
        with pytest.raises(UniquenessConflict) as raised:
            self.commit(make_uow, lambda u: u.accounts.add(account(2, physician_id="P1")))
        assert raised.value.constraint == "account_physician"

    def test_a_stale_account_is_refused(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, lambda u: u.accounts.add(account()))
        self.commit(make_uow, lambda u: u.accounts.save(attrs.evolve(account(), version=2), 1))
        with pytest.raises(ConcurrencyConflict) as raised:
            self.commit(make_uow, lambda u: u.accounts.save(attrs.evolve(account(), version=2), 1))
        assert (raised.value.kind, raised.value.actual) == ("account", 2)

    def test_the_latest_code_wins_ties_by_status_then_id(self, make_uow: MakeUow) -> None:
        later = AT + timedelta(minutes=1)
        self.commit(make_uow, lambda u: u.codes.add(code(1)),
                    lambda u: u.codes.add(code(2, at=later, status=CodeStatus.SUPERSEDED)),
                    lambda u: u.codes.add(code(3, at=later, status=CodeStatus.USED)),
                    lambda u: u.codes.add(code(4, at=later, status=CodeStatus.ACTIVE)),
                    lambda u: u.codes.add(code(5, at=later, status=CodeStatus.EXHAUSTED)))
        with make_uow() as uow:
            latest = uow.codes.latest("U1", CodePurpose.RECOVERY)
            assert uow.codes.latest("U1", CodePurpose.ACTIVATION) is None
        assert latest is not None
        assert latest.id == "C4"

    def test_codes_sent_to_a_destination_after_a_time_are_counted(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, *(lambda u, n=n: u.codes.add(code(n, at=AT + timedelta(hours=n)))
                                for n in range(1, 5)),
                    lambda u: u.codes.add(code(9, destination="13900139000")))
        with make_uow() as uow:
            assert uow.codes.sent_since("13800138000", AT + timedelta(hours=2)) == 2  # after
            assert uow.codes.sent_since("13900139000", AT) == 0
            assert uow.codes.sent_since("13900139000", AT - timedelta(seconds=1)) == 1
            assert uow.codes.sent_since("13700137000", AT) == 0

    def test_the_outbox_hands_out_unsent_messages_oldest_first(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, lambda u: u.outbox.add(message(3, at=AT)),
                    lambda u: u.outbox.add(message(1, at=AT + timedelta(seconds=5))),
                    lambda u: u.outbox.add(message(2, at=AT)))
        self.commit(make_uow, lambda u: u.outbox.mark_sent("M2", AT + timedelta(minutes=1)))
        with make_uow() as uow:
            assert [m.id for m in uow.outbox.pending(10)] == ["M3", "M1"]
            assert [m.id for m in uow.outbox.pending(1)] == ["M3"]
            sent = uow.outbox.get("M2")
        assert sent is not None
        assert (sent.body, sent.sent_at) == ("", AT + timedelta(minutes=1))

    def test_the_outbox_refuses_unknown_and_repeated_messages(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, lambda u: u.outbox.add(message(1)))
        with pytest.raises(NotFoundError):
            self.commit(make_uow, lambda u: u.outbox.mark_sent("M9", AT))
        with pytest.raises(UniquenessConflict) as raised:
            self.commit(make_uow, lambda u: u.outbox.add(message(1)))
        assert raised.value.constraint == "outbox_id"

    def test_one_pending_change_per_kind(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, lambda u: u.personal_changes.add(change(1)),
                    lambda u: u.personal_changes.add(change(2, state="approved")),
                    lambda u: u.personal_changes.add(change(3, kind=ChangeKind.PHOTO)))
        with pytest.raises(UniquenessConflict) as raised:
            self.commit(make_uow, lambda u: u.personal_changes.add(change(4)))
        assert raised.value.constraint == "pending_personal_change"
        with make_uow() as uow:
            pending = uow.personal_changes.pending_for("P1", ChangeKind.INFO)
            assert uow.personal_changes.pending_for("P1", ChangeKind.DEPARTMENT) is None
        assert pending is not None
        assert pending.id == "X1"

    def test_personal_changes_by_physician_and_inbox(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, lambda u: u.personal_changes.add(change(3, at=AT)),
                    lambda u: u.personal_changes.add(
                        change(1, kind=ChangeKind.PHOTO, at=AT + timedelta(seconds=1))),
                    lambda u: u.personal_changes.add(
                        change(2, kind=ChangeKind.DEPARTMENT, at=AT, institution_id="I2")))
        with make_uow() as uow:
            assert [c.id for c in uow.personal_changes.for_physician("P1")] == ["X2", "X3", "X1"]
            assert [c.id for c in uow.personal_changes.inbox("I1", "pending")] == ["X3", "X1"]
            assert uow.personal_changes.inbox("I1", "approved") == ()

    def test_practice_info_is_inserted_at_version_zero(self, make_uow: MakeUow) -> None:
        info = PracticeInfo("P1", version=1)
        self.commit(make_uow, lambda u: u.practice_info.save(info, 0))
        with pytest.raises(ConcurrencyConflict):
            self.commit(make_uow, lambda u: u.practice_info.save(info, 0))
        self.commit(make_uow, lambda u: u.practice_info.save(attrs.evolve(info, title="主任医师",
                                                                          version=2), 1))
        with make_uow() as uow:
            stored = uow.practice_info.get("P1")
        assert stored is not None
        assert (stored.title, stored.version) == ("主任医师", 2)

    def test_assessments_per_physician_oldest_first(self, make_uow: MakeUow) -> None:
        self.commit(make_uow, lambda u: u.assessments.put(assessment(1, date(2025, 6, 30))),
                    lambda u: u.assessments.put(assessment(2, date(2022, 6, 30))))
        with make_uow() as uow:
            assert [a.id for a in uow.assessments.for_physician("P1")] == ["E2", "E1"]

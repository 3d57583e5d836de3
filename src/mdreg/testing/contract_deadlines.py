"""The unit-of-work contract for deadlines (:class:`mdreg.ports.DeadlineRepository`); part of
:class:`mdreg.testing.contract.UnitOfWorkContract`, so memory, SQLite and PostgreSQL all run it.

The claim tests use threads and no sleeps: what they assert holds whichever thread gets there
first, so they are exact on backends that skip locked rows and on those that serialize claims.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from mdreg.domain.application import BusinessType
from mdreg.domain.deadlines import (
    PROVISIONAL,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    PeriodUnit,
)
from mdreg.errors import ConcurrencyConflict, UniquenessConflict
from mdreg.infra.serialization import unstructure
from mdreg.ports import NO_DUE_DATE, UnitOfWork, WorkQuery
from mdreg.testing.entities import application

MakeUow = Callable[[], UnitOfWork]
OPENED = datetime(2026, 2, 13, 9, 30, 15, 123456, tzinfo=timezone(timedelta(hours=8)))
DUE = date(2026, 3, 19)


def deadline(n: int, *, subject: str = "", kind: DeadlineKind = DeadlineKind.DECISION,
             due: date = DUE, status: DeadlineStatus = DeadlineStatus.OPEN,
             flagged_on: date | None = None, opened: datetime = OPENED) -> Deadline:
    closed = status is not DeadlineStatus.OPEN
    return Deadline(f"DL{n}", kind, subject or f"A{n}", "P1", date(2026, 2, 13), due, 20,
                    PeriodUnit.WORKING_DAYS, "chinesecalendar", opened, status=status,
                    closed_on=due if closed else None, closed_by="approve" if closed else "",
                    flagged_on=flagged_on)


def _ids(rows: tuple[Deadline, ...]) -> list[str]:
    return [d.id for d in rows]


class DeadlineContract:
    """Deadlines: round trips, versions, the open-deadline invariant, queries and claims."""

    @staticmethod
    def add(make_uow: MakeUow, *deadlines: Deadline) -> None:
        with make_uow() as uow:
            for row in deadlines:
                uow.deadlines.add(row)
            uow.commit()

    def test_deadlines_load_back_equal(self, make_uow: MakeUow) -> None:
        rows = [deadline(1), deadline(2, status=DeadlineStatus.MET, flagged_on=date(2026, 3, 20))]
        self.add(make_uow, *rows)
        with make_uow() as uow:
            loaded = [uow.deadlines.get("DL1"), uow.deadlines.get("DL2")]
            assert uow.deadlines.get("DL9") is None
        assert [unstructure(d) for d in loaded] == [unstructure(d) for d in rows]
        assert loaded[0] is not None
        assert loaded[0].opened_at == OPENED  # the same instant
        assert loaded[0].opened_at.tzinfo is not None

    def test_uncommitted_deadlines_are_rolled_back(self, make_uow: MakeUow) -> None:
        with make_uow() as uow:
            uow.deadlines.add(deadline(1))
            assert _ids(uow.deadlines.open_for("A1")) == ["DL1"]
        with make_uow() as uow:
            assert uow.deadlines.get("DL1") is None
            assert uow.deadlines.overdue(date(2030, 1, 1)) == ()

    def test_adding_an_existing_deadline_is_refused(self, make_uow: MakeUow) -> None:
        self.add(make_uow, deadline(1))
        with pytest.raises(UniquenessConflict) as raised:
            self.add(make_uow, attrs.evolve(deadline(1), subject_id="A2"))
        assert raised.value.constraint == "deadline_id"

    @pytest.mark.parametrize("same_unit", [True, False], ids=["same_unit", "later_unit"])
    def test_one_open_deadline_per_subject_and_kind(self, make_uow: MakeUow,
                                                    same_unit: bool) -> None:
        first, second = deadline(1, subject="A1"), deadline(2, subject="A1")
        if not same_unit:
            self.add(make_uow, first)
        with pytest.raises(UniquenessConflict) as raised:
            self.add(make_uow, *([first] if same_unit else []), second)
        assert raised.value.constraint == "open_deadline"

    def test_closed_and_other_kinds_coexist_with_an_open_deadline(self, make_uow: MakeUow) -> None:
        self.add(make_uow, deadline(1, subject="A1", status=DeadlineStatus.MISSED),
                 deadline(2, subject="A1"),
                 deadline(3, subject="A1", kind=DeadlineKind.CORRECTION_WINDOW))
        with make_uow() as uow:
            assert _ids(uow.deadlines.for_subject("A1")) == ["DL1", "DL2", "DL3"]
            assert sorted(_ids(uow.deadlines.open_for("A1"))) == ["DL2", "DL3"]

    def test_deadlines_are_counted_per_subject_and_kind(self, make_uow: MakeUow) -> None:
        self.add(make_uow, deadline(1, subject="A1", status=DeadlineStatus.MISSED),
                 deadline(2, subject="A1"), deadline(4, subject="A2"),
                 deadline(3, subject="A1", kind=DeadlineKind.CORRECTION_WINDOW))
        with make_uow() as uow:
            uow.deadlines.add(deadline(5, subject="A1", status=DeadlineStatus.MET))  # pending
            counts = [uow.deadlines.count(subject, kind.value) for subject, kind in (
                ("A1", DeadlineKind.DECISION), ("A1", DeadlineKind.CORRECTION_WINDOW),
                ("A2", DeadlineKind.DECISION), ("A3", DeadlineKind.DECISION))]
        assert counts == [3, 1, 1, 0]

    def test_stale_deadline_version_is_a_conflict(self, make_uow: MakeUow) -> None:
        self.add(make_uow, deadline(1))
        first, second = make_uow(), make_uow()
        with first, second:
            mine, theirs = first.deadlines.get("DL1"), second.deadlines.get("DL1")
            assert mine is not None
            assert theirs is not None
            second.deadlines.save(theirs.close(date(2026, 3, 1), "approve"), theirs.version)
            second.commit()

            def late_save() -> None:  # a backend may refuse at the write or at the commit
                first.deadlines.save(mine.fire(date(2026, 3, 20)), mine.version)
                first.commit()

            with pytest.raises(ConcurrencyConflict) as raised:
                late_save()
        assert (raised.value.kind, raised.value.key) == ("deadline", "DL1")
        with make_uow() as uow:
            stored = uow.deadlines.get("DL1")
        assert stored is not None
        assert (stored.status, stored.version) == (DeadlineStatus.MET, 2)

    def test_overdue_and_due_between_read_open_deadlines_by_due_date(self,
                                                                    make_uow: MakeUow) -> None:
        self.add(make_uow, deadline(1, due=date(2026, 3, 10)),
                 deadline(2, due=date(2026, 3, 5), flagged_on=date(2026, 3, 6)),
                 deadline(3, due=date(2026, 3, 12)), deadline(4, due=date(2026, 3, 10)),
                 deadline(5, due=date(2026, 3, 1), status=DeadlineStatus.MISSED))
        with make_uow() as uow:
            assert _ids(uow.deadlines.overdue(date(2026, 3, 12))) == ["DL2", "DL1", "DL4"]
            assert _ids(uow.deadlines.overdue(date(2026, 3, 5))) == []
            assert _ids(uow.deadlines.due_between(date(2026, 3, 5), date(2026, 3, 10))) == [
                "DL2", "DL1", "DL4"]
            assert _ids(uow.deadlines.due_between(date(2026, 3, 11), date(2026, 3, 31))) == ["DL3"]

    def test_provisional_reads_open_provisional_deadlines_from_a_day(self,
                                                                     make_uow: MakeUow) -> None:
        def provisional(n: int, due: date, **kw: Any) -> Deadline:
            return attrs.evolve(deadline(n, due=due, **kw), source=PROVISIONAL)

        self.add(make_uow, provisional(1, date(2027, 3, 10)), deadline(2, due=date(2027, 3, 9)),
                 provisional(3, date(2027, 3, 1)), provisional(4, date(2025, 12, 31)),
                 provisional(5, date(2027, 3, 2), status=DeadlineStatus.MET))
        with make_uow() as uow:
            assert _ids(uow.deadlines.provisional(date(2026, 1, 1))) == ["DL3", "DL1"]
            assert _ids(uow.deadlines.provisional(date(2027, 3, 5))) == ["DL1"]

    def test_claim_takes_passed_unflagged_deadlines_oldest_first(self, make_uow: MakeUow) -> None:
        self.add(make_uow, deadline(1, due=date(2026, 3, 10)), deadline(2, due=date(2026, 3, 9)),
                 deadline(3, due=date(2026, 3, 9), flagged_on=date(2026, 3, 10)),
                 deadline(4, due=date(2026, 3, 8), status=DeadlineStatus.MET),
                 deadline(5, due=date(2026, 3, 11)), deadline(6, due=date(2026, 3, 1)))
        with make_uow() as uow:
            assert _ids(uow.deadlines.claim(date(2026, 3, 11), 2)) == ["DL6", "DL2"]
        with make_uow() as uow:  # the rollback released the claim
            assert _ids(uow.deadlines.claim(date(2026, 3, 11), 10)) == ["DL6", "DL2", "DL1"]
            assert uow.deadlines.claim(date(2026, 3, 1), 10) == ()

    def test_claim_skips_the_excluded_ids(self, make_uow: MakeUow) -> None:
        self.add(make_uow, *(deadline(n, due=date(2026, 3, n)) for n in (1, 2, 3)))
        with make_uow() as uow:
            assert _ids(uow.deadlines.claim(date(2026, 3, 20), 5, exclude={"DL1", "DL3"})) == [
                "DL2"]
        with make_uow() as uow:
            assert _ids(uow.deadlines.claim(date(2026, 3, 20), 5, exclude=())) == [
                "DL1", "DL2", "DL3"]

    def test_what_a_claimer_committed_is_not_claimed_again(self, make_uow: MakeUow) -> None:
        self.add(make_uow, deadline(1, due=date(2026, 3, 1)), deadline(2, due=date(2026, 3, 2)))
        with make_uow() as uow:
            (claimed,) = uow.deadlines.claim(date(2026, 3, 20), 1)
            uow.deadlines.save(claimed.fire(date(2026, 3, 20)), claimed.version)
            uow.commit()
        with make_uow() as uow:
            (flagged,) = uow.deadlines.claim(date(2026, 3, 20), 5)
            uow.deadlines.save(flagged.flag(date(2026, 3, 20)), flagged.version)
            uow.commit()
        with make_uow() as uow:
            assert uow.deadlines.claim(date(2026, 3, 20), 5) == ()
            assert _ids(uow.deadlines.overdue(date(2026, 3, 20))) == ["DL2"]  # still open

    def test_a_concurrent_claim_never_gets_a_claimed_row(self, make_uow: MakeUow) -> None:
        """Backends that skip locked rows answer at once; one that serializes claims (SQLite)
        answers once the first claimer committed. Either way the second gets only DL3."""
        self.add(make_uow, *(deadline(n, due=date(2026, 3, n)) for n in (1, 2, 3)))
        got: list[list[str]] = []
        failures: list[BaseException] = []

        def second() -> None:
            try:
                with make_uow() as other:
                    got.append(_ids(other.deadlines.claim(date(2026, 3, 20), 10)))
            except BaseException as error:  # pragma: no cover - reported below
                failures.append(error)

        with make_uow() as uow:
            claimed = uow.deadlines.claim(date(2026, 3, 20), 2)
            assert _ids(claimed) == ["DL1", "DL2"]
            thread = threading.Thread(target=second)
            thread.start()
            for row in claimed:
                uow.deadlines.save(row.fire(date(2026, 3, 20)), row.version)
            uow.commit()
        thread.join(30)
        assert failures == []
        assert got == [["DL3"]]

    def test_racing_claimers_fire_every_deadline_exactly_once(self, make_uow: MakeUow) -> None:
        self.add(make_uow, *(deadline(n, due=date(2026, 3, 1) + timedelta(days=n % 7))
                             for n in range(1, 41)))
        fired: list[str] = []
        failures: list[BaseException] = []
        start = threading.Barrier(4)

        def worker() -> None:
            try:
                start.wait(10)
                while True:
                    with make_uow() as uow:
                        claimed = uow.deadlines.claim(date(2026, 3, 20), 3)
                        for row in claimed:
                            uow.deadlines.save(row.fire(date(2026, 3, 20)), row.version)
                        uow.commit()
                    if not claimed:
                        return
                    fired.extend(_ids(claimed))
            except BaseException as error:  # pragma: no cover - reported below
                failures.append(error)

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        assert failures == []
        assert sorted(fired) == sorted(f"DL{n}" for n in range(1, 41))
        with make_uow() as uow:
            assert uow.deadlines.overdue(date(2030, 1, 1)) == ()

    def test_a_work_list_pages_by_due_date_and_filters(self, make_uow: MakeUow) -> None:
        """Applications routed to one department, by earliest open deadline (none: last),
        then id; filtered by state, type and due date; paged by ``(due, id)``."""
        apps = [application(n, f"P{n}", state=state, department_id=department)
                for n, state, department in [
                    (1, "under_review", "D1"), (2, "pending_acceptance", "D1"),
                    (3, "under_review", "D1"), (4, "under_review", "D2"),
                    (5, "approved", "D1"), (6, "under_review", "D1")]]
        apps[2] = attrs.evolve(apps[2], type=BusinessType.CANCELLATION)
        with make_uow() as uow:
            for app in apps:
                uow.applications.add(app)
            uow.commit()
        self.add(make_uow, deadline(1, due=date(2026, 3, 20)), deadline(2, due=date(2026, 3, 10)),
                 deadline(3, due=date(2026, 3, 10)), deadline(4, due=date(2026, 3, 1)),
                 deadline(7, subject="A1", kind=DeadlineKind.CORRECTION_WINDOW, due=date(2026, 3, 30)),
                 deadline(8, subject="A6", status=DeadlineStatus.MET))
        states = ("pending_acceptance", "under_review")
        with make_uow() as uow:
            first = uow.work_list(WorkQuery("department", "D1", states, limit=2))
            assert [(a.id, due) for a, due in first] == [("A2", date(2026, 3, 10)),
                                                         ("A3", date(2026, 3, 10))]
            rest = uow.work_list(WorkQuery("department", "D1", states, limit=9,
                                           after=(first[-1][1], first[-1][0].id)))
            assert [(a.id, due) for a, due in rest] == [("A1", date(2026, 3, 20)),
                                                        ("A6", NO_DUE_DATE)]
            only = uow.work_list(WorkQuery("department", "D1", states, limit=9,
                                           types=("cancellation",)))
            assert [a.id for a, _ in only] == ["A3"]
            soon = uow.work_list(WorkQuery("department", "D1", ("under_review",), limit=9,
                                           due_by=date(2026, 3, 15)))
            assert [a.id for a, _ in soon] == ["A3"]
            # a closed application waits for no one: a work list of its state lists nothing
            assert uow.work_list(WorkQuery("department", "D1", ("approved",), limit=9)) == ()
            assert uow.state_counts("department", "D1", (*states, "approved")) == {
                "pending_acceptance": 1, "under_review": 3, "approved": 1}
            assert uow.state_counts("institution", "I9", states) == {}
            assert [a.id for a in uow.applications.of_physician("P3")] == ["A3"]

"""Contract suites every persistence backend must pass, as pytest base classes.

Subclass in a module named ``test_*.py`` and provide the fixture hook:

* :class:`UnitOfWorkContract` — ``make_uow``: a zero-argument factory of fresh units of work
  over one shared, empty store;
* :class:`RegistryContract` — ``registry_url``: a URL :func:`mdreg.open` accepts, naming an empty
  store.

The class names do not start with ``Test``, so pytest collects them only through subclasses.
Entities are compared through the converter (``unstructure``), since attrs entities compare by
value but stored ones must come back *exactly* (time zones, tuples, payload classes).

:func:`mdreg.testing.race.race` is the concurrency check for backends that processes share.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from mdreg.domain.application import AuditEvent, BusinessType
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import (
    FilingStatus,
    Level,
    RegistrationStatus,
)
from mdreg.errors import (
    ConcurrencyConflict,
    PersistenceError,
    UniquenessConflict,
)
from mdreg.testing.contract_deadlines import DeadlineContract
from mdreg.testing.contract_notices import NoticeContract
from mdreg.testing.contract_outbox import OutboxContract
from mdreg.testing.contract_portal import PortalContract
from mdreg.testing.contract_registry import FailingIds, RegistryContract, Scene
from mdreg.testing.contract_throttle import ThrottleContract
from mdreg.testing.entities import (
    T0,
    MakeUow,
    application,
    audit_event,
    commit_after,
    department,
    filing,
    institution,
    legacy_site,
    physician,
    registration,
    same,
    store_and_commit,
)

# -- the unit-of-work contract --------------------------------------------------------------


class UnitOfWorkContract(PortalContract, OutboxContract, DeadlineContract, NoticeContract,
                         ThrottleContract):
    """What every backend's units of work promise (:mod:`mdreg.ports`)."""

    @pytest.fixture
    def make_uow(self) -> MakeUow:
        raise NotImplementedError("return a factory of units of work over one empty store")

    @staticmethod
    def seed(make_uow: MakeUow, *entities: object) -> None:
        """Commit reference data and applications in one unit."""
        with make_uow() as uow:
            store_and_commit(uow, entities)

    # round trips ----------------------------------------------------------------------------

    def test_committed_entities_load_back_equal(self, make_uow: MakeUow) -> None:
        entities: list[Any] = [department(), institution(1), institution(2), physician(1),
                               registration(1), filing(1), legacy_site(1), application(1)]
        self.seed(make_uow, *entities)
        with make_uow() as uow:
            loaded = [uow.departments.get("D110105"), uow.institutions.get("I1"),
                      uow.institutions.get("I2"), uow.physicians.get("P1"),
                      uow.registrations.get("R1"), uow.filings.get("F1"), uow.legacy.get("L1"),
                      uow.applications.get("A1")]
        for got, saved in zip(loaded, entities, strict=True):
            assert got is not None, type(saved).__name__
            assert same(got, saved), type(saved).__name__

    def test_timestamps_come_back_as_the_same_aware_instant(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1), application(1))
        with make_uow() as uow:
            app = uow.applications.get("A1")
        assert app is not None
        assert app.created_at == T0
        assert app.created_at.tzinfo is not None

    def test_put_replaces_an_entity(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1))
        renamed = attrs.evolve(physician(1), name="改名")
        self.seed(make_uow, renamed)
        with make_uow() as uow:
            found = uow.physicians.get("P1")
        assert found is not None
        assert same(found, renamed)

    def test_missing_keys_are_none(self, make_uow: MakeUow) -> None:
        with make_uow() as uow:
            assert uow.physicians.get("nobody") is None
            assert uow.physicians.by_id_number(physician(9).id_number) is None
            assert uow.institutions.get("nowhere") is None
            assert uow.departments.get("none") is None
            assert uow.registrations.get("R9") is None
            assert uow.applications.get("A9") is None
            assert uow.idempotency.get("key") is None
            assert uow.audit.for_aggregate("A9") == ()
            assert uow.registrations.for_physician("nobody") == ()

    def test_a_unit_reads_its_own_pending_writes(self, make_uow: MakeUow) -> None:
        with make_uow() as uow:
            uow.physicians.put(physician(1))
            uow.applications.add(application(1))
            uow.audit.append(audit_event("A1", 1))
            assert uow.physicians.get("P1") is not None
            assert [a.id for a in uow.applications.open_for("P1")] == ["A1"]
            assert [e.seq for e in uow.audit.for_aggregate("A1")] == [1]
            assert uow.audit.count() == 1

    # rollback and single use ------------------------------------------------------------------

    def test_uncommitted_work_is_rolled_back(self, make_uow: MakeUow) -> None:
        with make_uow() as uow:
            uow.physicians.put(physician(1))
            uow.applications.add(application(1))
            uow.audit.append(audit_event("A1", 1))
            uow.idempotency.put("key", "fingerprint", "result")
        self.assert_empty(make_uow)

    def test_an_error_inside_the_block_rolls_back(self, make_uow: MakeUow) -> None:
        def fail() -> None:
            with make_uow() as uow:
                uow.physicians.put(physician(1))
                uow.applications.add(application(1))
                raise RuntimeError("boom")

        with pytest.raises(RuntimeError, match="boom"):
            fail()
        self.assert_empty(make_uow)

    def test_explicit_rollback_discards_pending_writes(self, make_uow: MakeUow) -> None:
        uow = make_uow()
        with uow:
            uow.physicians.put(physician(1))
            uow.rollback()
        self.assert_empty(make_uow)

    def test_a_committed_unit_cannot_be_reused(self, make_uow: MakeUow) -> None:
        uow = make_uow()
        with uow:
            uow.physicians.put(physician(1))
            uow.commit()
        with pytest.raises(PersistenceError):
            uow.commit()
        with pytest.raises(PersistenceError), uow:
            pass

    def test_a_committed_unit_still_reads_committed_data(self, make_uow: MakeUow) -> None:
        uow = make_uow()
        with uow:
            uow.physicians.put(physician(1))
            uow.applications.add(application(1))
            uow.commit()
            self.seed(make_uow, physician(2))
            assert uow.physicians.get("P2") is not None
            assert [a.id for a in uow.applications.open_for("P1")] == ["A1"]

    def test_a_rolled_back_unit_cannot_be_reused(self, make_uow: MakeUow) -> None:
        uow = make_uow()
        with uow:
            uow.physicians.put(physician(1))
        with pytest.raises(PersistenceError), uow:
            pass
        with pytest.raises(PersistenceError):
            uow.commit()

    @staticmethod
    def assert_empty(make_uow: MakeUow) -> None:
        with make_uow() as uow:
            assert uow.physicians.get("P1") is None
            assert uow.applications.get("A1") is None
            assert uow.audit.count() == 0
            assert uow.idempotency.get("key") is None

    # optimistic concurrency --------------------------------------------------------------------

    def test_stale_version_raises_concurrency_conflict(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1), application(1))
        first, second = make_uow(), make_uow()
        with first, second:
            mine, theirs = first.applications.get("A1"), second.applications.get("A1")
            assert mine is not None
            assert theirs is not None
            second.applications.save(attrs.evolve(theirs, state="returned", version=2), 1)
            second.commit()
            with pytest.raises(ConcurrencyConflict) as raised:
                commit_after(first, lambda: first.applications.save(
                    attrs.evolve(mine, state="withdrawn", version=2), 1))
        assert (raised.value.kind, raised.value.key, raised.value.expected) == ("application",
                                                                                "A1", 1)
        assert raised.value.actual == 2
        with make_uow() as uow:
            stored = uow.applications.get("A1")
        assert stored is not None
        assert (stored.state, stored.version) == ("returned", 2)

    def test_saving_with_a_wrong_expected_version_is_refused(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1), application(1))
        with make_uow() as uow, pytest.raises(ConcurrencyConflict):
            commit_after(uow, lambda: uow.applications.save(attrs.evolve(application(1),
                                                                         version=6), 5))

    def test_successive_saves_in_one_unit(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1), application(1))
        with make_uow() as uow:
            uow.applications.save(attrs.evolve(application(1), state="returned", version=2), 1)
            uow.applications.save(attrs.evolve(application(1), state="withdrawn", version=3), 2)
            uow.commit()
        with make_uow() as uow:
            stored = uow.applications.get("A1")
        assert stored is not None
        assert (stored.state, stored.version) == ("withdrawn", 3)

    def test_adding_an_existing_application_is_refused(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1), application(1))
        with make_uow() as uow, pytest.raises(UniquenessConflict) as raised:
            commit_after(uow, lambda: uow.applications.add(application(1, state="draft")))
        assert raised.value.constraint == "application_id"

    # uniqueness invariants ------------------------------------------------------------------------

    @pytest.mark.parametrize(
        ("constraint", "first", "second"),
        [
            ("registration_location", registration(1), registration(2)),
            ("assistant_single_registration",
             registration(1, location="110105", level=Level.ASSISTANT),
             registration(2, location="110108", level=Level.ASSISTANT)),
            ("open_application", application(1), application(2, state="draft")),
            ("physician_id_number", physician(1), attrs.evolve(physician(1), id="P2")),
            ("active_filing", filing(1), filing(2)),
        ],
        ids=["second_valid_registration_at_a_location", "second_valid_assistant_registration",
             "second_open_application_for_a_target", "second_physician_with_an_id_number",
             "second_active_filing_at_an_institution"],
    )
    @pytest.mark.parametrize("same_unit", [True, False], ids=["same_unit", "later_unit"])
    def test_uniqueness_invariants(self, make_uow: MakeUow, constraint: str, first: object,
                                   second: object, same_unit: bool) -> None:
        self.seed(make_uow, physician(1))
        if not same_unit:
            self.seed(make_uow, first)
        writes = [audit_event("X1", 1), *([first] if same_unit else []), second]
        with make_uow() as uow, pytest.raises(UniquenessConflict) as raised:
            store_and_commit(uow, writes)
        assert raised.value.constraint == constraint
        with make_uow() as uow:
            assert uow.audit.count() == 0  # the whole unit was rolled back

    @pytest.mark.parametrize(
        ("first", "second"),
        [
            (registration(1, status=RegistrationStatus.CANCELLED), registration(2)),
            (registration(1, location="110105", level=Level.ASSISTANT),
             registration(2, location="110108")),
            (application(1, state="approved"), application(2)),
            (application(1), application(2, target="310000")),
            (attrs.evolve(filing(1), status=FilingStatus.CANCELLED), filing(2)),
        ],
        ids=["cancelled_and_valid_at_one_location", "assistant_and_physician_registrations",
             "closed_and_open_application", "open_applications_for_two_targets",
             "cancelled_and_active_filing"],
    )
    def test_rows_outside_the_invariants_coexist(self, make_uow: MakeUow, first: object,
                                                 second: object) -> None:
        self.seed(make_uow, physician(1), first, second)

    # audit ------------------------------------------------------------------------------------------

    def test_audit_events_are_numbered_without_gaps(self, make_uow: MakeUow) -> None:
        events = [audit_event("A1", seq) for seq in (1, 2, 3)]
        self.seed(make_uow, *events[:2], audit_event("A2", 1))
        self.seed(make_uow, events[2])
        with make_uow() as uow:
            loaded = uow.audit.for_aggregate("A1")
            assert uow.audit.count() == 4
        assert [e.seq for e in loaded] == [1, 2, 3]
        assert all(same(got, saved) for got, saved in zip(loaded, events, strict=True))

    def test_applications_of_one_type_page_by_id(self, make_uow: MakeUow) -> None:
        other = attrs.evolve(application(3, "P3"), type=BusinessType.CANCELLATION)
        self.seed(make_uow, application(2, "P2", state="approved"), other,
                  application(1, "P1"))
        with make_uow() as uow:
            uow.applications.add(application(4, "P4"))  # pending writes are seen too
            first = uow.applications.of_type("registration", limit=2)
            rest = uow.applications.of_type("registration", after=first[-1].id, limit=2)
            assert [a.id for a in first + rest] == ["A1", "A2", "A4"]
            assert uow.applications.of_type("registration", after="A4", limit=2) == ()
            assert [a.id for a in uow.applications.of_type("cancellation", limit=9)] == ["A3"]

    def test_the_audit_tail_pages_by_position(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, audit_event("A1", 1), audit_event("A2", 1))
        with make_uow() as uow:  # rolled back: never in the tail
            uow.audit.append(audit_event("A3", 1))
        self.seed(make_uow, audit_event("A1", 2))
        # pages of two, each in a unit of its own as a follower reads them; on PostgreSQL a
        # page may come back short while a transaction of another database is ending (the tail
        # waits for what it cannot tell apart), so a follower asks again
        pages: list[tuple[tuple[int, AuditEvent], ...]] = []
        position = 0
        for _ in range(200):
            with make_uow() as uow:
                page = uow.audit.since(position, 2)
            if page:
                pages.append(page)
                position = page[-1][0]
            elif sum(map(len, pages)) >= 3:
                break
        found = [entry for page in pages for entry in page]
        positions = [p for p, _ in found]
        assert positions == sorted(set(positions))
        assert [(e.aggregate_id, e.seq) for _, e in found] == [("A1", 1), ("A2", 1), ("A1", 2)]
        assert same(found[-1][1], audit_event("A1", 2))
        with make_uow() as uow:
            assert uow.audit.since(position, 10) == ()

    def test_next_seq_follows_committed_and_own_events(self, make_uow: MakeUow) -> None:
        with make_uow() as uow:
            assert uow.audit.next_seq("A1") == 1
        self.seed(make_uow, audit_event("A1", 1), audit_event("A1", 2), audit_event("A2", 1))
        with make_uow() as uow:
            assert [uow.audit.next_seq(a) for a in ("A1", "A2", "A3")] == [3, 2, 1]
            uow.audit.append(audit_event("A1", 3))
            uow.audit.append(audit_event("A3", 1))
            assert [uow.audit.next_seq(a) for a in ("A1", "A2", "A3")] == [4, 2, 2]
        with make_uow() as uow:  # rolled back: the committed numbers again
            assert [uow.audit.next_seq(a) for a in ("A1", "A2", "A3")] == [3, 2, 1]

    def test_next_seq_sees_what_a_concurrent_unit_committed(self, make_uow: MakeUow) -> None:
        late = make_uow()
        with late:
            assert late.audit.next_seq("A1") == 1
            self.seed(make_uow, audit_event("A1", 1))
            late.audit.append(audit_event("A2", 1))  # writing, the unit reads the latest commit
            assert late.audit.next_seq("A1") == 2

    @pytest.mark.parametrize("seq", [1, 2, 4], ids=["duplicate", "duplicate_last", "gap"])
    def test_audit_refuses_a_wrong_sequence_number(self, make_uow: MakeUow, seq: int) -> None:
        self.seed(make_uow, audit_event("A1", 1), audit_event("A1", 2))
        with make_uow() as uow, pytest.raises(ConcurrencyConflict):
            commit_after(uow, lambda: uow.audit.append(audit_event("A1", seq)))

    def test_audit_refuses_a_number_a_concurrent_unit_took(self, make_uow: MakeUow) -> None:
        late = make_uow()
        with late:
            assert late.audit.for_aggregate("A1") == ()
            self.seed(make_uow, audit_event("A1", 1))
            with pytest.raises(ConcurrencyConflict):
                commit_after(late, lambda: late.audit.append(audit_event("A1", 1)))
        with make_uow() as uow:
            assert [e.actor for e in uow.audit.for_aggregate("A1")] == [audit_event("A1", 1).actor]

    # idempotency ------------------------------------------------------------------------------------

    def test_idempotency_results_round_trip(self, make_uow: MakeUow) -> None:
        with make_uow() as uow:
            uow.idempotency.put("key-1", "f" * 64, '{"state": "已提交"}')
            uow.commit()
        with make_uow() as uow:
            assert uow.idempotency.get("key-1") == ("f" * 64, '{"state": "已提交"}')
            assert uow.idempotency.get("key-2") is None

    def test_a_key_a_concurrent_unit_stored_is_refused(self, make_uow: MakeUow) -> None:
        late = make_uow()
        with late:
            assert late.idempotency.get("key-1") is None
            with make_uow() as first:
                first.idempotency.put("key-1", "f" * 64, "first")
                first.commit()
            with pytest.raises(ConcurrencyConflict):
                commit_after(late, lambda: late.idempotency.put("key-1", "f" * 64, "second"))
        with make_uow() as uow:
            assert uow.idempotency.get("key-1") == ("f" * 64, "first")

    # queries ----------------------------------------------------------------------------------------

    def test_physicians_by_id_number(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1), physician(2))
        with make_uow() as uow:
            found = uow.physicians.by_id_number(physician(2).id_number)
        assert found is not None
        assert found.id == "P2"

    def test_departments_by_division(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, department("110105"), department("110108"), department("110000"))
        with make_uow() as uow:
            assert [d.id for d in uow.departments.by_division(DivisionCode("110108"))] == [
                "D110108"]
            assert uow.departments.by_division(DivisionCode("310104")) == ()

    def test_registrations_and_filings_per_physician(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1), physician(2), registration(3),
                  registration(1, status=RegistrationStatus.CANCELLED),
                  registration(2, "P2"), filing(1), legacy_site(1))
        with make_uow() as uow:
            assert [r.id for r in uow.registrations.for_physician("P1")] == ["R1", "R3"]
            assert [f.id for f in uow.filings.for_physician("P1")] == ["F1"]
            assert [s.id for s in uow.legacy.for_physician("P1")] == ["L1"]
            assert uow.filings.for_physician("P2") == ()

    def test_lapsed_filings_are_the_active_ones_past_their_last_day(self, make_uow: MakeUow
                                                                     ) -> None:
        ended = attrs.evolve(filing(3, institution_id="I4"), valid_to=date(2026, 4, 1),
                             status=FilingStatus.CANCELLED)
        self.seed(make_uow, physician(1), registration(1),
                  attrs.evolve(filing(1), valid_to=date(2026, 5, 1)),
                  attrs.evolve(filing(2, institution_id="I3"), valid_to=date(2026, 4, 1)),
                  ended, filing(4, institution_id="I5"))
        with make_uow() as uow:
            assert uow.filings.lapsed(date(2026, 4, 1), 10) == ()  # the last day still counts
            assert [f.id for f in uow.filings.lapsed(date(2026, 6, 1), 10)] == ["F2", "F1"]
            assert [f.id for f in uow.filings.lapsed(date(2026, 6, 1), 1)] == ["F2"]

    def test_a_published_revision_is_stored_once(self, make_uow: MakeUow) -> None:
        at = datetime(2026, 3, 2, 1, tzinfo=UTC)
        with make_uow() as uow:
            assert uow.revisions.get("base@0123") is None
            assert uow.revisions.publish("base@0123", {"name": "base", "rules": {}}, at)
            uow.commit()
        with make_uow() as uow:
            assert not uow.revisions.publish("base@0123", {"name": "other"}, at)
            uow.commit()
        with make_uow() as uow:
            stored = uow.revisions.get("base@0123")
            assert stored is not None
            assert stored["name"] == "base"
            assert stored["published_at"] == at.isoformat()
        with make_uow() as uow:  # a rolled-back publication leaves nothing
            uow.revisions.publish("base@4567", {"name": "base"}, at)
        with make_uow() as uow:
            assert uow.revisions.get("base@4567") is None

    def test_rule_inputs_are_what_the_repositories_return(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, department(), institution(1), institution(2), physician(1),
                  physician(2), registration(3), registration(1, location="310000"),
                  registration(2, "P2"), filing(1), legacy_site(1))
        with make_uow() as uow:
            found = uow.rule_inputs("P1", "I1", "D110105")
        with make_uow() as uow:
            one_by_one = (uow.physicians.get("P1"), uow.institutions.get("I1"),
                          uow.departments.get("D110105"), uow.registrations.for_physician("P1"),
                          uow.filings.for_physician("P1"), uow.legacy.for_physician("P1"))
        assert [r.id for r in found.registrations] == ["R1", "R3"]
        assert same(attrs.astuple(found, recurse=False), one_by_one)
        with make_uow() as uow:
            missing = uow.rule_inputs("P9", "I9", "D9")
        assert attrs.astuple(missing, recurse=False) == (None, None, None, (), (), ())

    def test_an_application_read_for_its_rules(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, department(), institution(1), institution(2), physician(1),
                  registration(3), registration(1, location="310000"), filing(1),
                  legacy_site(1), application(1))
        with make_uow() as uow:
            app = uow.application_for_rules("A1")
            assert app is not None
            assert same(app, application(1))
            held = uow.rule_inputs(app.physician_id, app.institution_id, app.department_id)
            assert uow.application_for_rules("A9") is None
        with make_uow() as uow:
            fresh = uow.rule_inputs("P1", "I1", "D110105")
        assert same(attrs.astuple(held, recurse=False), attrs.astuple(fresh, recurse=False))
        assert [r.id for r in held.registrations] == ["R1", "R3"]

    def test_rows_a_unit_read_follow_its_own_writes(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, department(), institution(1), institution(2), physician(1),
                  registration(3))
        with make_uow() as uow:
            before = uow.rule_inputs("P1", "I1", "D110105")
            uow.registrations.put(attrs.evolve(registration(3), status=RegistrationStatus.INVALID))
            uow.registrations.put(registration(1))
            uow.filings.put(filing(1))
            assert [r.id for r in before.registrations] == ["R3"]
            after = [(r.id, r.status) for r in uow.registrations.for_physician("P1")]
            assert after == [("R1", RegistrationStatus.VALID), ("R3", RegistrationStatus.INVALID)]
            assert [f.id for f in uow.filings.for_physician("P1")] == ["F1"]
            assert same(uow.rule_inputs("P1", "I1", "D110105").registrations,
                        uow.registrations.for_physician("P1"))

    def test_open_applications_of_a_physician(self, make_uow: MakeUow) -> None:
        self.seed(make_uow, physician(1), physician(2), application(3, target="310000"),
                  application(1, state="approved"), application(2, state="needs_correction"),
                  application(4, "P2"))
        with make_uow() as uow:
            assert [a.id for a in uow.applications.open_for("P1")] == ["A2", "A3"]

    def test_inboxes_by_institution_and_department(self, make_uow: MakeUow) -> None:
        self.seed(
            make_uow, physician(1), physician(2), physician(3),
            application(3, "P3"), application(1),
            application(2, "P2", state="pending_acceptance"),
            application(4, "P1", state="pending_acceptance", target="310000",
                        institution_id="I2", department_id="D310104"),
        )
        with make_uow() as uow:
            apps = uow.applications
            assert [a.id for a in apps.inbox(institution_id="I1", state="pending_institution")] \
                == ["A1", "A3"]
            assert [a.id for a in apps.inbox(department_id="D110105",
                                             state="pending_acceptance")] == ["A2"]
            assert [a.id for a in apps.inbox(department_id="D310104",
                                             state="pending_acceptance")] == ["A4"]
            assert apps.inbox(institution_id="I2", state="pending_institution") == ()


__all__ = ["FailingIds", "MakeUow", "RegistryContract", "Scene", "UnitOfWorkContract", "application",
           "audit_event", "commit_after", "department", "filing", "institution", "legacy_site",
           "physician", "registration", "same", "store_and_commit"]

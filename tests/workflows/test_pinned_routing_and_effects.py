"""Pinned details of routing and registry effects: the target each business type's application
is opened on (one open application per physician, type and target), who confirms and who
decides it, the exact refusal when the filing, legacy record or registration named is missing
or another physician's, what a person-wide 注销 ends, a provisional deadline counted again in
its own unit, and the hint a calendar without chinesecalendar gives."""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime

import attrs
import pytest

import mdreg
from mdreg import Actor, FakeClock, NotFoundError, Registry
from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.domain.application import (
    BusinessType,
    CancellationGround,
    CancellationRequest,
    ChangeRequest,
    FilingCancelRequest,
    MultisiteCancelRequest,
    UpgradeRequest,
)
from mdreg.domain.calendar import ChineseCalendar, TableCalendar, WeekendFallback
from mdreg.domain.deadlines import (
    PROVISIONAL,
    Deadline,
    DeadlineKind,
    DecisionPeriod,
    PeriodStart,
    PeriodUnit,
    new_deadline,
    recomputed,
)
from mdreg.domain.model import (
    Category,
    FilingStatus,
    Level,
    Qualification,
    RegistrationStatus,
)
from mdreg.errors import CalendarDataMissing
from mdreg.service.ids import SequentialIds
from mdreg.testing import World
from mdreg.workflows import BASE_POLICY, declaration_for
from mdreg.workflows.effects import Effect

TODAY = date(2026, 3, 2)  # the plugin's clock: 2026-03-02 09:00 Beijing time
KNOWN = date(2026, 2, 20)
OPENED = datetime(2026, 3, 2, 1, tzinfo=UTC)


# -- the target, who confirms, who decides -----------------------------------------------------

def test_a_cancellation_targets_its_registration_so_each_registration_has_its_own(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    beijing, shanghai = world.institution("110105"), world.institution("310104")
    one = world.registration(doctor, beijing)
    two = world.registration(doctor, shanghai)
    first = registry.apply(Actor.physician(doctor.id),
                           CancellationRequest(one.id, CancellationGround.OWN_REQUEST, KNOWN))
    second = registry.apply(Actor.physician(doctor.id),
                            CancellationRequest(two.id, CancellationGround.OWN_REQUEST, KNOWN))
    assert (first.target, first.institution_id, first.department_id) == (
        one.id, beijing.id, "D110105")
    assert (second.target, second.institution_id, second.department_id) == (
        two.id, shanghai.id, "D310104")
    assert {first.state, second.state} == {"pending_institution"}


def test_an_upgrade_targets_the_assistant_registration(world: World, registry: Registry) -> None:
    qualification = Qualification("Q-UP", Level.PHYSICIAN, Category.CLINICAL, date(2025, 9, 1))
    assistant = world.physician(level=Level.ASSISTANT, extra_qualifications=(qualification,))
    beijing = world.institution("110105")
    old = world.registration(assistant, beijing)
    app = registry.apply(Actor.physician(assistant.id), UpgradeRequest(old.id, "Q-UP"))
    assert (app.target, app.institution_id, app.department_id) == (old.id, beijing.id, "D110105")


def test_a_change_to_a_new_institution_targets_the_registration_and_is_decided_by_the_new_department(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    haidian = world.institution("110108")
    app = registry.apply(Actor.physician(doctor.id),
                         ChangeRequest(registration.id, haidian.id, registration.scopes))
    assert (app.target, app.institution_id, app.department_id) == (
        registration.id, haidian.id, "D110108")


def test_a_change_decided_by_the_granting_department_targets_the_registration(
        clock: FakeClock) -> None:
    policy = BASE_POLICY.with_changes("granting", change_decided_by_new_department=False)
    world = World(mdreg.open("memory://", clock=clock, policy=policy, ids=SequentialIds()))
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    haidian = world.institution("110108")
    app = world.registry.apply(Actor.physician(doctor.id),
                               ChangeRequest(registration.id, haidian.id, registration.scopes))
    assert (app.target, app.institution_id, app.department_id) == (
        registration.id, haidian.id, "D110105")


def test_a_change_at_the_same_institution_targets_the_registration(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    beijing = world.institution("110105")
    registration = world.registration(doctor, beijing)
    app = registry.apply(Actor.physician(doctor.id),
                         ChangeRequest(registration.id, beijing.id, ("外科专业",)), submit=False)
    assert (app.target, app.institution_id, app.department_id) == (
        registration.id, beijing.id, "D110105")


def test_a_filing_cancellation_targets_the_filing(world: World, registry: Registry) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    haidian = world.institution("110108")
    filing = world.filing(registration, haidian)
    app = registry.apply(Actor.physician(doctor.id), FilingCancelRequest(filing.id))
    assert (app.target, app.institution_id, app.department_id) == (
        filing.id, haidian.id, filing.approved_by)
    assert filing.approved_by == "D110108"


def test_a_multisite_cancellation_targets_the_legacy_record(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    beijing = world.institution("110105")
    registration = world.registration(doctor, beijing)
    site = world.legacy_site(registration, world.institution("110108"))
    app = registry.apply(Actor.physician(doctor.id), MultisiteCancelRequest(site.id))
    assert (app.target, app.institution_id, app.department_id) == (
        site.id, beijing.id, registration.approved_by)


# -- what is not the applicant's ---------------------------------------------------------------

def test_a_filing_of_another_physician_or_none_is_not_found_as_the_applicants(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    world.registration(doctor, world.institution("110105"))
    stranger = world.physician()
    theirs = world.filing(world.registration(stranger, world.institution("110101")),
                          world.institution("110108"))
    for filing_id in (theirs.id, "F-NONE"):
        with pytest.raises(NotFoundError) as missing:
            registry.apply(Actor.physician(doctor.id), FilingCancelRequest(filing_id))
        assert (missing.value.kind, missing.value.key) == ("filing of this physician", filing_id)
        assert str(missing.value) == f"no filing of this physician with key {filing_id}"
        assert missing.value.describe() == (
            f"对象不存在: no filing of this physician with key {filing_id}")
    assert registry.filings(stranger.id) == (theirs,)


def test_a_legacy_record_of_another_physician_or_none_is_not_found_as_the_applicants(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    world.registration(doctor, world.institution("110105"))
    stranger = world.physician()
    theirs = world.legacy_site(world.registration(stranger, world.institution("110101")),
                               world.institution("110108"))
    kind = "legacy multi-site record of this physician"
    for legacy_id in (theirs.id, "L-NONE"):
        with pytest.raises(NotFoundError) as missing:
            registry.apply(Actor.physician(doctor.id), MultisiteCancelRequest(legacy_id))
        assert (missing.value.kind, missing.value.key) == (kind, legacy_id)
        assert str(missing.value) == f"no {kind} with key {legacy_id}"
    assert registry.legacy_sites(stranger.id) == (theirs,)


# -- an approval whose registration disappeared ------------------------------------------------

@pytest.mark.parametrize("business", [BusinessType.CANCELLATION, BusinessType.UPGRADE],
                         ids=["cancellation", "upgrade"])
def test_approving_an_application_whose_registration_is_gone_names_the_registration(
        world: World, registry: Registry, business: BusinessType) -> None:
    qualification = Qualification("Q-UP", Level.PHYSICIAN, Category.CLINICAL, date(2025, 9, 1))
    doctor = world.physician(level=Level.ASSISTANT, extra_qualifications=(qualification,))
    registration = world.registration(doctor, world.institution("110105"))
    payload = (CancellationRequest(registration.id, CancellationGround.OWN_REQUEST, KNOWN)
               if business is BusinessType.CANCELLATION else UpgradeRequest(registration.id, "Q-UP"))
    app = registry.apply(Actor.physician(doctor.id), payload)
    effect = Effect(InMemoryUnitOfWork(MemoryStore()), SequentialIds(), TODAY, BASE_POLICY)
    with pytest.raises(NotFoundError) as missing:
        declaration_for(business).effects["approve"](effect, app, app.payload)
    assert (missing.value.kind, missing.value.key) == ("registration", registration.id)
    assert str(missing.value) == f"no registration with key {registration.id}"
    assert effect.done == {"created": [], "ended": [], "changed": []}


# -- a person-wide 注销 ------------------------------------------------------------------------

def test_a_person_wide_cancellation_ends_what_an_earlier_ended_registration_left_active(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    first = world.registration(doctor, world.institution("110105"))
    second = world.registration(doctor, world.institution("310104"))
    filing = world.filing(first, world.institution("110108"))
    site = world.legacy_site(first, world.institution("110101"))
    # migrated data: the first registration ended before, its filing and legacy record did not
    with registry.services.uow() as uow:
        uow.registrations.put(attrs.evolve(first, status=RegistrationStatus.INVALID,
                                           ended_on=TODAY))
        uow.commit()
    ended = registry.cancel_ex_officio(Actor.authority(second.approved_by), second.id,
                                       CancellationGround.DEATH, "死亡医学证明")
    assert [r.id for r in ended] == [second.id]
    assert [(f.id, f.status, f.ended_on) for f in registry.filings(doctor.id)] == [
        (filing.id, FilingStatus.INVALID, TODAY)]
    assert [(s.id, s.status, s.ended_on) for s in registry.legacy_sites(doctor.id)] == [
        (site.id, FilingStatus.INVALID, TODAY)]
    (event,) = registry.trail(second.id)
    assert event.data["ended"] == [second.id, filing.id, site.id]


# -- a provisional deadline counted again --------------------------------------------------------

def test_a_provisional_deadline_is_counted_again_in_its_own_unit() -> None:
    """A report period opened in working days (not its kind's calendar days) through a year
    without data is counted again in working days once the year's data arrives."""
    period = DecisionPeriod(10, PeriodUnit.WORKING_DAYS, PeriodStart.RECEIPT, "test basis")
    opened = new_deadline("DL1", DeadlineKind.CANCELLATION_REPORT, "A1", "P1", date(2099, 1, 2),
                          OPENED, ChineseCalendar(fallback=WeekendFallback()),
                          BASE_POLICY.parameters, period)
    assert (opened.unit, opened.source, opened.due) == (
        PeriodUnit.WORKING_DAYS, PROVISIONAL, date(2099, 1, 16))
    known = TableCalendar(holidays=[date(2099, 1, 5)], years=[2099])
    again = recomputed(opened, known)
    assert again is not None
    assert (again.due, again.source, again.unit, again.length, again.version) == (
        date(2099, 1, 19), "table", PeriodUnit.WORKING_DAYS, 10, 2)


def test_recomputing_without_a_calendar_names_the_kind_that_counts_working_days() -> None:
    provisional = Deadline("DL1", DeadlineKind.CORRECTION_WINDOW, "A1", "P1", date(2099, 1, 2),
                           date(2099, 1, 9), 5, PeriodUnit.WORKING_DAYS, PROVISIONAL, OPENED)
    with pytest.raises(ValueError, match=r"^a period of correction_window counts working days: "
                                         r"give a calendar$"):
        recomputed(provisional, None)  # type: ignore[arg-type]


# -- the calendar's hint -------------------------------------------------------------------------

def test_without_chinesecalendar_the_hint_says_to_install_it_or_add_a_table(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)  # import now fails
    with pytest.raises(CalendarDataMissing) as missing:
        ChineseCalendar().is_workday(date(2026, 1, 5))
    assert missing.value.year == 2026
    assert str(missing.value) == (
        "no working-day data for 2026; add the State Council holiday notice for 2026 to the "
        "calendar override table (install chinesecalendar (an mdreg dependency) or put a "
        "[years.2026] table (holidays, workdays) in a TOML file and load it with "
        "ChineseCalendar.from_toml(path); see docs/calendar.md)")


def test_with_chinesecalendar_the_hint_only_asks_for_a_table() -> None:
    with pytest.raises(CalendarDataMissing) as missing:
        ChineseCalendar().is_workday(date(2099, 1, 5))
    assert str(missing.value) == (
        "no working-day data for 2099; add the State Council holiday notice for 2099 to the "
        "calendar override table (put a [years.2099] table (holidays, workdays) in a TOML file "
        "and load it with ChineseCalendar.from_toml(path); see docs/calendar.md)")

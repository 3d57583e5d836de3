"""Pinned details of deadlines and routing: the policy parameter ``provisional_deadlines`` (on
when absent; off, a working-day period reaching a year without data is refused naming the first
such year), the basis and kind a new deadline carries, the citations a decision period names,
and the refusal of an application routed to an institution or department that does not exist."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import pytest

from mdreg import Actor, NotFoundError, Registry
from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.domain.application import RegistrationRequest
from mdreg.domain.calendar import (
    CalendarOverrides,
    ChineseCalendar,
    WeekendFallback,
    YearOverride,
)
from mdreg.domain.deadlines import (
    PROVISIONAL,
    Deadline,
    DeadlineKind,
    PeriodUnit,
    checked_due_date,
    new_deadline,
)
from mdreg.errors import CalendarDataMissing
from mdreg.testing import World
from mdreg.workflows import BASE_POLICY
from mdreg.workflows.periods import MILITARY_IN_PERIOD
from mdreg.workflows.routing import Routing

OPENED = datetime(2026, 3, 2, 1, tzinfo=UTC)
#: chinesecalendar 1.11 has data up to 2026: 2027 and 2028 have none.
LAST_DECEMBER = date(2026, 12, 1)


def _fallback() -> ChineseCalendar:
    return ChineseCalendar(fallback=WeekendFallback())


def _with_2027() -> ChineseCalendar:
    """2027 from an override table (1 January a holiday), 2028 without data."""
    table = CalendarOverrides({2027: YearOverride(2027, frozenset({date(2027, 1, 1)}))})
    return ChineseCalendar(overrides=table, fallback=WeekendFallback())


def _refusal(year: int) -> str:
    return (
        f"no working-day data for {year}; add the State Council holiday notice for {year} to "
        "the calendar override table (the policy refuses provisional deadlines "
        "(provisional_deadlines=False): import the year's schedule (mdreg calendar import FILE "
        f"with a [years.{year}] table) or configure ChineseCalendar.from_toml)")


# -- provisional_deadlines ---------------------------------------------------------------------

def test_the_base_policy_allows_provisional_deadlines() -> None:
    assert BASE_POLICY.parameters["provisional_deadlines"] is True


@pytest.mark.parametrize("parameters", [{}, {"provisional_deadlines": True}],
                         ids=["absent", "on"])
def test_a_provisional_deadline_is_allowed_unless_the_policy_turns_it_off(
        parameters: dict[str, object]) -> None:
    # 22 working days left in December 2026 (chinesecalendar), 261 Monday–Fridays in 2027,
    # the 17th of 2028 is 25 January
    assert checked_due_date(DeadlineKind.DECISION, LAST_DECEMBER, 300, _fallback(),
                            parameters) == (date(2028, 1, 25), PROVISIONAL)
    # 2027's override drops 1 January: one day later
    assert checked_due_date(DeadlineKind.DECISION, LAST_DECEMBER, 300, _with_2027(),
                            parameters) == (date(2028, 1, 26), PROVISIONAL)


def test_a_refused_period_names_the_first_year_without_data_not_the_start_or_the_end() -> None:
    """From December 2026 into January 2028: 2027 and 2028 lack data, 2027 is named."""
    with pytest.raises(CalendarDataMissing) as missing:
        checked_due_date(DeadlineKind.DECISION, LAST_DECEMBER, 300, _fallback(),
                         {"provisional_deadlines": False})
    assert missing.value.year == 2027
    assert str(missing.value) == _refusal(2027)


def test_a_refused_period_skips_a_year_the_override_table_covers() -> None:
    """2026 from chinesecalendar, 2027 from the table: 2028, the due date's year, is named."""
    with pytest.raises(CalendarDataMissing) as missing:
        checked_due_date(DeadlineKind.DECISION, LAST_DECEMBER, 300, _with_2027(),
                         {"provisional_deadlines": False})
    assert missing.value.year == 2028
    assert str(missing.value) == _refusal(2028)


def test_a_refused_period_crossing_one_new_year_names_that_year() -> None:
    with pytest.raises(CalendarDataMissing) as missing:
        checked_due_date(DeadlineKind.CORRECTION_WINDOW, date(2026, 12, 21), 20, _fallback(),
                         {"provisional_deadlines": False}, PeriodUnit.WORKING_DAYS)
    assert missing.value.year == 2027
    assert str(missing.value) == _refusal(2027)


def test_a_period_within_years_with_data_is_not_refused_when_provisional_is_off() -> None:
    assert checked_due_date(DeadlineKind.DECISION, date(2026, 12, 1), 20, _fallback(),
                            {"provisional_deadlines": False}) == (
        date(2026, 12, 29), "chinesecalendar")


def test_a_new_deadline_is_refused_like_its_due_date() -> None:
    parameters = {**BASE_POLICY.parameters, "provisional_deadlines": False}
    with pytest.raises(CalendarDataMissing) as missing:
        new_deadline("DL1", DeadlineKind.CORRECTION_WINDOW, "A1", "P1", date(2026, 12, 28),
                     OPENED, _fallback(), parameters)
    assert missing.value.year == 2027
    assert str(missing.value) == _refusal(2027)


# -- what a new deadline carries -----------------------------------------------------------------

def test_a_deadline_without_a_period_has_no_basis() -> None:
    """A correction window: 5 working days of the policy, no decision period, so no basis."""
    opened = new_deadline("DL1", DeadlineKind.CORRECTION_WINDOW, "A1", "P1", date(2026, 9, 25),
                          OPENED, ChineseCalendar(), BASE_POLICY.parameters)
    assert opened == Deadline("DL1", DeadlineKind.CORRECTION_WINDOW, "A1", "P1",
                              date(2026, 9, 25), date(2026, 10, 9), 5, PeriodUnit.WORKING_DAYS,
                              "chinesecalendar", OPENED, basis="")
    assert opened.basis == ""


def test_a_new_deadline_without_a_calendar_names_its_kind() -> None:
    with pytest.raises(ValueError, match=r"^a period of correction_window counts working days: "
                                         r"give a calendar$"):
        new_deadline("DL1", DeadlineKind.CORRECTION_WINDOW, "A1", "P1", date(2026, 9, 25),
                     OPENED, None, BASE_POLICY.parameters)  # type: ignore[arg-type]


# -- citations of a decision period ----------------------------------------------------------

PLA = "《中国人民解放军实施《执业医师法》办法》第九条"


def test_a_period_resting_on_two_instruments_joins_them_with_a_chinese_semicolon() -> None:
    parameters = BASE_POLICY.parameters
    assert str(MILITARY_IN_PERIOD.on(date(2021, 6, 1), parameters)) == (
        f"30日，自收到申请之日起（{PLA}；《中华人民共和国执业医师法》第十七条、第十三条）")
    since = MILITARY_IN_PERIOD.on(date(2022, 3, 1), parameters)
    assert since.basis == f"{PLA}；《中华人民共和国医师法》第十八条、第十三条"
    assert MILITARY_IN_PERIOD.describe() == (
        f"dated before 2022-03-01: 30 days from receipt ({PLA}；《中华人民共和国执业医师法》"
        f"第十七条、第十三条); from 2022-03-01: 20 working days from acceptance ({PLA}；"
        "《中华人民共和国医师法》第十八条、第十三条)")


# -- routing to what does not exist --------------------------------------------------------------

def test_an_application_to_an_unknown_institution_is_not_found(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    number = doctor.qualifications[0].certificate_no
    before = registry.audit_count()
    with pytest.raises(NotFoundError) as missing:
        registry.apply(Actor.physician(doctor.id),
                       RegistrationRequest("I-NONE", number, ("内科专业",)))
    assert (missing.value.kind, missing.value.key) == ("institution", "I-NONE")
    assert str(missing.value) == "no institution with key I-NONE"
    assert missing.value.describe() == "对象不存在: no institution with key I-NONE"
    assert registry.audit_count() == before


def test_an_application_whose_deciding_department_is_gone_names_the_department(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    institution = world.institution("110105")
    # migrated data: the institution names a department the registry does not hold
    with registry.services.uow() as uow:
        uow.institutions.put(attrs.evolve(institution, approved_by="D-GONE"))
        uow.commit()
    before = registry.audit_count()
    with pytest.raises(NotFoundError) as missing:
        registry.apply(Actor.institution(institution.id),
                       RegistrationRequest(institution.id, doctor.qualifications[0].certificate_no,
                                           ("内科专业",)),
                       physician_id=doctor.id)
    assert (missing.value.kind, missing.value.key) == ("department", "D-GONE")
    assert str(missing.value) == "no department with key D-GONE"
    assert registry.audit_count() == before
    assert registry.inbox(Actor.institution(institution.id)) == ()


def test_routing_lookups_name_the_missing_kind_and_key() -> None:
    routing = Routing(InMemoryUnitOfWork(MemoryStore()))
    with pytest.raises(NotFoundError) as missing:
        routing.department("D999999")
    assert (missing.value.kind, missing.value.key, str(missing.value)) == (
        "department", "D999999", "no department with key D999999")
    with pytest.raises(NotFoundError) as missing:
        routing.institution("I99999")
    assert (missing.value.kind, missing.value.key, str(missing.value)) == (
        "institution", "I99999", "no institution with key I99999")

"""Pinned details of the 多执业机构备案 effect and of what ending a registration ends: the filing
an approval creates (its id and fields, and the audit listing it), which earlier filings it closes
as expired, the legacy 多地点执业 records a 注销 of one registration ends (and those it leaves
alone), the exact refusal when the registration a filing names is missing or another physician's,
and the refusal of a calendar asked to fall back without a fallback."""

from __future__ import annotations

import re
import sys
from datetime import UTC, date, datetime, timedelta

import attrs
import pytest

from mdreg import Actor, FakeClock, NotFoundError, Registry
from mdreg.domain.application import CancellationGround, CancellationRequest, FilingRequest
from mdreg.domain.calendar import ChineseCalendar, DataSource
from mdreg.domain.model import FilingStatus, Registration, RegistrationStatus
from mdreg.errors import CalendarDataMissing
from mdreg.testing import World

TODAY = date(2026, 3, 2)  # the plugin's clock: 2026-03-02 09:00 Beijing time
FILING_ID = re.compile(r"F\d{6}")  # SequentialIds: the "F" prefix, then a sequence number


def _filing_request(registration: Registration, institution_id: str, start: date) -> FilingRequest:
    return FilingRequest(registration.id, institution_id, registration.scopes[:1],
                         valid_from=start, valid_to=start + timedelta(days=364))


# -- 多执业机构备案: the filing created ------------------------------------------------------------

def test_an_approved_filing_creates_one_filing_with_the_requests_fields_and_lists_it(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    haidian = world.institution("110108")
    request = FilingRequest(registration.id, haidian.id, registration.scopes[:1],
                            valid_from=date(2026, 3, 9), valid_to=date(2027, 3, 8))
    app = world.approve(registry.apply(Actor.physician(doctor.id), request))
    (filing,) = registry.filings(doctor.id)
    assert FILING_ID.fullmatch(filing.id)
    assert (filing.registration_id, filing.physician_id, filing.institution_id, filing.scopes) == (
        registration.id, doctor.id, haidian.id, registration.scopes[:1])
    assert (filing.valid_from, filing.valid_to) == (date(2026, 3, 9), date(2027, 3, 8))
    assert (filing.approved_by, filing.application_id, filing.status, filing.ended_on) == (
        "D110108", app.id, FilingStatus.ACTIVE, None)
    decision = registry.history(app.id)[-1]
    assert decision.event == "approve"
    assert {k: decision.data[k] for k in ("created", "ended", "changed")} == {
        "created": [filing.id], "ended": [], "changed": []}


def test_a_filing_leaves_a_lapsed_filing_at_another_institution_to_the_tick(
        world: World, registry: Registry, clock: FakeClock) -> None:
    """Only an earlier filing at the institution being filed is closed by the approval; one
    elsewhere whose period ended too stays as recorded until the tick closes it."""
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    elsewhere = world.filing(registration, world.institution("110108"),
                             valid_to=TODAY + timedelta(days=10))
    clock.set(datetime(2026, 3, 16, 1, tzinfo=UTC))  # elsewhere's period ended on 03-12
    later = date(2026, 3, 16)
    assert elsewhere.lapsed_on(later)
    dongcheng = world.institution("110101")
    app = world.approve(registry.apply(Actor.physician(doctor.id),
                                       _filing_request(registration, dongcheng.id, later)))
    by_id = {f.id: f for f in registry.filings(doctor.id)}
    assert by_id.pop(elsewhere.id) == elsewhere
    (new,) = by_id.values()
    assert (new.institution_id, new.status) == (dongcheng.id, FilingStatus.ACTIVE)
    decision = registry.history(app.id)[-1]
    assert (decision.data["created"], decision.data["ended"]) == ([new.id], [])


# -- the registration a filing names ------------------------------------------------------------

def test_a_filing_under_a_registration_of_another_physician_or_none_is_not_found(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    world.registration(doctor, world.institution("110105"))
    stranger = world.physician()
    theirs = world.registration(stranger, world.institution("110101"))
    haidian = world.institution("110108")
    kind = "registration of this physician"
    for registration_id in (theirs.id, "R-NONE"):
        request = FilingRequest(registration_id, haidian.id, ("内科专业",),
                                valid_from=TODAY, valid_to=date(2027, 3, 1))
        with pytest.raises(NotFoundError) as missing:
            registry.apply(Actor.physician(doctor.id), request)
        assert (missing.value.kind, missing.value.key) == (kind, registration_id)
        assert str(missing.value) == f"no {kind} with key {registration_id}"
        assert missing.value.describe() == f"对象不存在: no {kind} with key {registration_id}"
    assert registry.filings(doctor.id) == registry.filings(stranger.id) == ()
    assert registry.registrations(stranger.id) == (theirs,)


# -- what a 注销 of one registration ends ---------------------------------------------------------

def test_cancelling_one_registration_ends_its_own_active_legacy_records_and_filings_only(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    first = world.registration(doctor, world.institution("110105"))
    second = world.registration(doctor, world.institution("310104"))
    filing = world.filing(first, world.institution("110108"))
    site = world.legacy_site(first, world.institution("110101"))
    gone = world.legacy_site(first, world.institution("110102"))
    other = world.legacy_site(second, world.institution("310101"))
    ended_before = attrs.evolve(gone, status=FilingStatus.CANCELLED, ended_on=date(2025, 6, 30))
    with registry.services.uow() as uow:  # cancelled earlier: nothing to end
        uow.legacy.put(ended_before)
        uow.commit()
    app = world.approve(registry.apply(
        Actor.physician(doctor.id),
        CancellationRequest(first.id, CancellationGround.OWN_REQUEST, TODAY)))
    rows = {r.id: r for r in registry.registrations(doctor.id)}
    assert (rows[first.id].status, rows[first.id].ended_on) == (
        RegistrationStatus.CANCELLED, TODAY)
    assert rows[second.id] == second
    assert [(f.id, f.status, f.ended_on) for f in registry.filings(doctor.id)] == [
        (filing.id, FilingStatus.INVALID, TODAY)]
    sites = {s.id: s for s in registry.legacy_sites(doctor.id)}
    assert (sites[site.id].status, sites[site.id].ended_on) == (FilingStatus.INVALID, TODAY)
    assert sites[gone.id] == ended_before
    assert sites[other.id] == other and other.is_active
    decision = registry.history(app.id)[-1]
    assert decision.event == "approve"
    assert {k: decision.data[k] for k in ("created", "ended", "changed")} == {
        "created": [], "ended": [first.id, filing.id, site.id], "changed": []}


# -- a calendar told to fall back without a fallback ---------------------------------------------

class _FallsBack(ChineseCalendar):
    """A calendar whose source for every year is the fallback, whether it has one or not."""

    def data_source(self, year: int) -> DataSource:
        return "fallback"


def test_a_year_routed_to_a_missing_fallback_is_refused_with_the_year_and_the_hint(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a fallback a year is never counted Monday–Friday: the refusal names the year and
    says how to supply its data."""
    monkeypatch.setitem(sys.modules, "chinese_calendar", None)  # the hint also says to install it
    calendar = _FallsBack()
    assert calendar.fallback is None
    with pytest.raises(CalendarDataMissing) as missing:
        calendar.is_workday(date(2099, 1, 5))
    assert missing.value.year == 2099
    assert str(missing.value) == (
        "no working-day data for 2099; add the State Council holiday notice for 2099 to the "
        "calendar override table (install chinesecalendar (an mdreg dependency) or put a "
        "[years.2099] table (holidays, workdays) in a TOML file and load it with "
        "ChineseCalendar.from_toml(path); see docs/calendar.md)")
    assert calendar.fallback_years == frozenset()

"""What approving a 变更 or a 助理医师升执业医师 does to the registry: the fields of the changed or
new registration, the filings that end or move, and what the decision's audit event lists."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

import attrs

from mdreg import (
    Actor,
    Application,
    Category,
    FakeClock,
    Institution,
    Level,
    Physician,
    Qualification,
    Registration,
    RegistrationStatus,
)
from mdreg.domain.application import ChangeRequest, ScopeEvidence, UpgradeRequest
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import FilingStatus
from mdreg.testing import World

TODAY = date(2026, 3, 2)
LATER = date(2026, 9, 1)
REGISTRATION_ID = re.compile(r"R\d{6}")  # SequentialIds: the "R" prefix, then a sequence number
CERTIFICATE_NO = re.compile(r"\d{15}")


def _change(world: World, registration: Registration, institution: Institution,
            **kw: object) -> Application:
    scopes = kw.pop("scopes", registration.scopes)
    app = world.registry.apply(Actor.physician(registration.physician_id), ChangeRequest(
        registration.id, institution.id, scopes, **kw))  # type: ignore[arg-type]
    return world.approve(app)


def _only(world: World, physician_id: str) -> Registration:
    (row,) = world.registry.registrations(physician_id)
    return row


def _approval_summary(world: World, app: Application) -> dict[str, list[str]]:
    last = world.registry.history(app.id)[-1]
    assert last.event == "approve"
    return {k: last.data[k] for k in ("created", "ended", "changed")}


def _imported(world: World, physician: Physician, institution: Institution, *,
              level: Level, qualification_no: str) -> Registration:
    """A registration from the old system, granted years ago by another department."""
    row = Registration(
        id="R-OLD-1", physician_id=physician.id, qualification_no=qualification_no, level=level,
        category=Category.CLINICAL, scopes=("内科专业",),
        location=DivisionCode("110105") if level is Level.ASSISTANT else DivisionCode("110000"),
        primary_institution_id=institution.id, approved_by="D110000",
        approved_on=date(2019, 6, 3), certificate_no="110000000009999")
    world.department("110000")
    world.registry.load(registrations=[row])
    return row


# 变更 -----------------------------------------------------------------------------------------

def test_a_change_replaces_the_scopes_and_stamps_the_decision(
        world: World, clock: FakeClock) -> None:
    beijing, haidian = world.institution("110105"), world.institution("110108")
    registration = world.registration(world.physician(), beijing, scopes=("内科专业",))
    clock.set(datetime(2026, 9, 1, 1, tzinfo=UTC))
    app = _change(world, registration, haidian, scopes=("外科专业",),
                  scope_evidence=ScopeEvidence(higher_degree=True))
    row = _only(world, registration.physician_id)
    assert row.scopes == ("外科专业",)
    assert (row.id, row.certificate_no, row.primary_institution_id) == (
        registration.id, registration.certificate_no, haidian.id)
    assert (row.approved_by, row.approved_on, row.registered_on, row.application_id) == (
        "D110108", LATER, TODAY, app.id)
    assert (row.level, row.category, row.location.code) == (
        Level.PHYSICIAN, Category.CLINICAL, "110000")
    assert _approval_summary(world, app) == {
        "created": [], "ended": [], "changed": [registration.id]}


def test_a_change_within_the_location_keeps_the_filings_at_other_institutions(
        world: World) -> None:
    beijing, haidian, dongcheng = (world.institution(c) for c in ("110105", "110108", "110101"))
    registration = world.registration(world.physician(), beijing)
    kept = world.filing(registration, haidian)
    at_new_primary = world.filing(registration, dongcheng)
    app = _change(world, registration, dongcheng)
    filings = {f.id: f for f in world.registry.filings(registration.physician_id)}
    assert filings[kept.id] == kept
    assert (filings[at_new_primary.id].status, filings[at_new_primary.id].ended_on) == (
        FilingStatus.INVALID, TODAY)
    assert _approval_summary(world, app) == {
        "created": [], "ended": [at_new_primary.id], "changed": [registration.id]}


def test_a_change_to_another_province_ends_the_filings_left_outside_the_new_location(
        world: World) -> None:
    beijing, haidian, shanghai = (world.institution(c) for c in ("110105", "110108", "310104"))
    registration = world.registration(world.physician(), beijing)
    outside = world.filing(registration, haidian)
    app = _change(world, registration, shanghai)
    row = _only(world, registration.physician_id)
    assert (row.location.code, row.primary_institution_id, row.approved_by) == (
        "310000", shanghai.id, "D310104")
    (filing,) = world.registry.filings(registration.physician_id)
    assert (filing.id, filing.status, filing.ended_on) == (outside.id, FilingStatus.INVALID, TODAY)
    assert _approval_summary(world, app) == {
        "created": [], "ended": [outside.id], "changed": [registration.id]}


def test_a_change_brings_the_level_and_location_into_line_with_the_qualification(
        world: World) -> None:
    """An imported assistant registration that rests on a 执业医师 qualification: the change
    takes the qualification's level, and the location follows it (the province)."""
    beijing, haidian = world.institution("110105"), world.institution("110108")
    doctor = world.physician(level=Level.PHYSICIAN)
    old = _imported(world, doctor, beijing, level=Level.ASSISTANT,
                    qualification_no=doctor.qualifications[0].certificate_no)
    _change(world, old, haidian)
    row = _only(world, doctor.id)
    assert (row.level, row.category, row.location.code) == (
        Level.PHYSICIAN, Category.CLINICAL, "110000")


def test_a_change_keeps_level_and_category_when_the_qualification_is_no_longer_on_file(
        world: World) -> None:
    """Registered on the exam admission number; once the certificate is issued that number
    names no qualification of the physician, and the registration keeps its own level and
    category."""
    beijing, haidian = world.institution("110105"), world.institution("110108")
    admitted = Qualification("", Level.ASSISTANT, Category.CLINICAL, date(2025, 9, 1),
                             admission_no="110126010203")
    doctor = world.physician(qualification=admitted)
    registration = world.registration(doctor, beijing, qualification_no=admitted.number)
    certified = attrs.evolve(admitted, certificate_no="220110000000001")
    world.registry.load(physicians=[attrs.evolve(doctor, qualifications=(certified,))])
    assert world.registry.physician(doctor.id).qualification(registration.qualification_no) is None
    _change(world, registration, haidian)
    row = _only(world, doctor.id)
    assert (row.qualification_no, row.level, row.category, row.location.code) == (
        "110126010203", Level.ASSISTANT, Category.CLINICAL, "110108")


# 助理医师升执业医师 -----------------------------------------------------------------------------

def test_an_upgrade_issues_a_new_registration_decided_today_by_the_institutions_department(
        world: World, clock: FakeClock) -> None:
    beijing, other = world.institution("110105"), world.institution("110105")
    qualification = Qualification("Q-UP", Level.PHYSICIAN, Category.CLINICAL, date(2026, 1, 5))
    doctor = world.physician(level=Level.ASSISTANT, extra_qualifications=(qualification,))
    old = _imported(world, doctor, beijing, level=Level.ASSISTANT,
                    qualification_no=doctor.qualifications[0].certificate_no)
    site = world.legacy_site(old, other)
    clock.set(datetime(2026, 9, 1, 1, tzinfo=UTC))
    app = world.approve(world.registry.apply(Actor.physician(doctor.id),
                                             UpgradeRequest(old.id, "Q-UP")))
    rows = {r.id: r for r in world.registry.registrations(doctor.id)}
    ended = rows.pop(old.id)
    assert (ended.status, ended.ended_on) == (RegistrationStatus.INVALID, LATER)
    (new,) = rows.values()
    assert REGISTRATION_ID.fullmatch(new.id)
    assert (new.qualification_no, new.level, new.category, new.location.code) == (
        "Q-UP", Level.PHYSICIAN, Category.CLINICAL, "110000")
    assert (new.approved_by, new.approved_on, new.application_id, new.status) == (
        "D110105", LATER, app.id, RegistrationStatus.VALID)
    assert CERTIFICATE_NO.fullmatch(new.certificate_no)
    assert new.certificate_no != old.certificate_no
    (moved,) = world.registry.legacy_sites(doctor.id)
    assert (moved.id, moved.registration_id, moved.is_active) == (site.id, new.id, True)
    assert _approval_summary(world, app) == {
        "created": [new.id], "ended": [old.id], "changed": [site.id]}


def test_an_upgrade_moves_the_active_filings_to_the_new_registration(world: World) -> None:
    beijing = world.institution("110105")
    qualification = Qualification("Q-UP", Level.PHYSICIAN, Category.CLINICAL, date(2026, 1, 5))
    doctor = world.physician(level=Level.ASSISTANT, extra_qualifications=(qualification,))
    old = world.registration(doctor, beijing)
    filing = world.filing(old, world.institution("110105"))
    site = world.legacy_site(old, world.institution("110105"))
    app = world.approve(world.registry.apply(Actor.physician(doctor.id),
                                             UpgradeRequest(old.id, "Q-UP")))
    new = next(r for r in world.registry.registrations(doctor.id) if r.is_valid)
    assert new.id != old.id and REGISTRATION_ID.fullmatch(new.id)
    (moved,) = world.registry.filings(doctor.id)
    assert (moved.id, moved.registration_id, moved.is_active) == (filing.id, new.id, True)
    assert _approval_summary(world, app) == {
        "created": [new.id], "ended": [old.id], "changed": [filing.id, site.id]}


def test_an_upgraded_registration_is_granted_on_the_upgrade_day_even_after_a_change(
        world: World, clock: FakeClock) -> None:
    """The 执业医师 registration is a new grant: its 注册日期 is the upgrade's, whether or not a
    变更 had kept the assistant registration's first day."""
    beijing = world.institution("110105")
    qualification = Qualification("Q-UP", Level.PHYSICIAN, Category.CLINICAL, date(2026, 1, 5))
    doctor = world.physician(level=Level.ASSISTANT, extra_qualifications=(qualification,))
    changed = Registration(
        id="R-OLD-2", physician_id=doctor.id,
        qualification_no=doctor.qualifications[0].certificate_no, level=Level.ASSISTANT,
        category=Category.CLINICAL, scopes=("内科专业",), location=DivisionCode("110105"),
        primary_institution_id=beijing.id, approved_by="D110105", approved_on=date(2024, 2, 1),
        certificate_no="110000000009998", registered_on=date(2019, 6, 3))
    world.registry.load(registrations=[changed])
    assert changed.granted_on == date(2019, 6, 3)
    clock.set(datetime(2026, 9, 1, 1, tzinfo=UTC))
    world.approve(world.registry.apply(Actor.physician(doctor.id),
                                       UpgradeRequest(changed.id, "Q-UP")))
    (new,) = [r for r in world.registry.registrations(doctor.id) if r.is_valid]
    assert (new.approved_on, new.granted_on, new.registered_on) == (LATER, LATER, None)

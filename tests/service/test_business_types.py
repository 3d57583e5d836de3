"""The nine business types through the service: routing, approval effects, batch, ex-officio
cancellation, 备案 and its expiry, targets, uniqueness, and bad input that changes nothing."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

import attrs
import pytest

import mdreg
from mdreg import (
    Actor,
    Application,
    Category,
    CivilCapacity,
    FakeClock,
    IneligibleError,
    Institution,
    Level,
    MdregError,
    NotFoundError,
    PermissionDenied,
    Physician,
    Qualification,
    Registration,
    RegistrationRequest,
    RegistrationStatus,
    TransitionNotAllowed,
    UniquenessConflict,
    ValidationError,
)
from mdreg.domain.application import (
    BusinessType,
    CancellationGround,
    CancellationRequest,
    ChangeRequest,
    DepartureKind,
    FilingCancelRequest,
    FilingRequest,
    MilitaryInRequest,
    MilitaryOutRequest,
    MultisiteCancelRequest,
    Payload,
    UpgradeRequest,
)
from mdreg.domain.model import FilingStatus
from mdreg.testing import World
from mdreg.workflows import BASE_POLICY

TODAY = date(2026, 3, 2)
KNOWN = date(2026, 2, 20)
CJK = re.compile(r"[\u4e00-\u9fff]")


class Scene:
    """Beijing 东城/朝阳/海淀 and Shanghai 黄浦, each approved by its own county department."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.registry = world.registry
        self.dongcheng = world.institution("110101")
        self.beijing = world.institution("110105")
        self.haidian = world.institution("110108")
        self.shanghai = world.institution("310104")
        self.people: list[Physician] = []
        self.apps: list[str] = []

    def physician(self, **kw: object) -> Physician:
        doctor = self.world.physician(**kw)  # type: ignore[arg-type]
        self.people.append(doctor)
        return doctor

    def registered(self, **kw: object) -> Registration:
        return self.world.registration(self.physician(**kw), self.beijing)

    def filing(self, registration: Registration, institution: Institution) -> FilingRequest:
        return FilingRequest(registration.id, institution.id, registration.scopes, valid_from=TODAY,
                             valid_to=date(2027, 3, 1))

    def apply(self, payload: Payload, physician_id: str, actor: Actor | None = None) -> Application:
        app = self.registry.apply(actor or Actor.physician(physician_id), payload,
                                  physician_id=physician_id)
        self.apps.append(app.id)
        return app

    def snapshot(self) -> tuple[object, ...]:
        """Everything a refused command must leave as it was."""
        rows = [(self.registry.registrations(p.id), self.registry.filings(p.id),
                 self.registry.legacy_sites(p.id)) for p in self.people]
        apps = [self.registry.application(a) for a in self.apps]
        parties = [self.dongcheng, self.beijing, self.haidian, self.shanghai]
        inboxes = [self.registry.inbox(Actor.institution(i.id)) for i in parties] + [
            self.registry.inbox(Actor.authority(i.approved_by)) for i in parties]
        return self.registry.audit_count(), rows, apps, inboxes


@pytest.fixture
def scene(world: World) -> Scene:
    return Scene(world)


# Each of the nine types end to end -------------------------------------------------------------

@attrs.frozen
class Case:
    physician: Physician
    payload: Payload
    confirms: Institution
    decides: str
    wrong_confirmer: Institution
    effect: Callable[[Application], None]


def _registration(s: Scene) -> Case:
    doctor = s.physician()

    def effect(app: Application) -> None:
        (row,) = s.registry.registrations(doctor.id)
        assert (row.status, row.location.code, row.primary_institution_id, row.approved_by) == (
            RegistrationStatus.VALID, "110000", s.haidian.id, "D110108")
        assert (row.application_id, row.approved_on, row.level) == (app.id, TODAY, Level.PHYSICIAN)

    request = RegistrationRequest(s.haidian.id, doctor.qualifications[0].certificate_no, ("内科专业",))
    return Case(doctor, request, s.haidian, "D110108", s.beijing, effect)


def _upgrade(s: Scene) -> Case:
    qualification = Qualification("Q-UP", Level.PHYSICIAN, Category.CLINICAL, date(2025, 9, 1))
    old = s.registered(level=Level.ASSISTANT, extra_qualifications=(qualification,))
    doctor = s.people[-1]

    def effect(app: Application) -> None:
        rows = {r.id: r for r in s.registry.registrations(doctor.id)}
        assert rows.pop(old.id).status is RegistrationStatus.INVALID
        (new,) = rows.values()
        assert (new.is_valid, new.level, new.location.code, new.application_id) == (
            True, Level.PHYSICIAN, "110000", app.id)

    return Case(doctor, UpgradeRequest(old.id, "Q-UP"), s.beijing, "D110105", s.haidian, effect)


def _military_in(s: Scene) -> Case:
    doctor = s.physician()

    def effect(app: Application) -> None:
        (row,) = s.registry.registrations(doctor.id)
        assert (row.is_valid, row.location.code, row.approved_by, row.application_id) == (
            True, "310000", "D310104", app.id)

    request = MilitaryInRequest(s.shanghai.id, doctor.qualifications[0].certificate_no, ("内科专业",),
                                proof_document="原军队注册机关证明",
                                military_registered_on=date(2025, 9, 1),
                                military_practice_ended_on=date(2026, 2, 1))
    return Case(doctor, request, s.shanghai, "D310104", s.beijing, effect)


def _military_out(s: Scene) -> Case:
    registration = s.registered()

    def effect(_: Application) -> None:
        (row,) = s.registry.registrations(registration.physician_id)
        assert (row.status, row.ended_on) == (RegistrationStatus.MILITARY, TODAY)

    return Case(s.people[-1], MilitaryOutRequest(registration.id, "某部队医院"), s.beijing, "D110105",
                s.haidian, effect)


def _change(s: Scene) -> Case:
    registration = s.registered()

    def effect(app: Application) -> None:
        (row,) = s.registry.registrations(registration.physician_id)
        assert (row.id, row.primary_institution_id, row.approved_by, row.application_id) == (
            registration.id, s.haidian.id, "D110108", app.id)
        assert row.certificate_no == registration.certificate_no

    return Case(s.people[-1], ChangeRequest(registration.id, s.haidian.id, registration.scopes),
                s.haidian, "D110108", s.beijing, effect)


def _cancellation(s: Scene) -> Case:
    registration = s.registered()

    def effect(_: Application) -> None:
        (row,) = s.registry.registrations(registration.physician_id)
        assert (row.status, row.ended_on) == (RegistrationStatus.CANCELLED, TODAY)

    request = CancellationRequest(registration.id, CancellationGround.OWN_REQUEST, KNOWN)
    return Case(s.people[-1], request, s.beijing, "D110105", s.haidian, effect)


def _filing(s: Scene) -> Case:
    registration = s.registered()

    def effect(app: Application) -> None:
        (row,) = s.registry.filings(registration.physician_id)
        assert (row.registration_id, row.institution_id, row.approved_by, row.application_id) == (
            registration.id, s.haidian.id, "D110108", app.id)
        assert (row.valid_from, row.valid_to, row.is_active) == (TODAY, date(2027, 3, 1), True)

    return Case(s.people[-1], s.filing(registration, s.haidian), s.haidian, "D110108", s.beijing, effect)


def _filing_cancel(s: Scene) -> Case:
    registration = s.registered()
    filing = s.world.filing(registration, s.haidian)

    def effect(_: Application) -> None:
        (row,) = s.registry.filings(registration.physician_id)
        assert (row.id, row.status, row.ended_on) == (filing.id, FilingStatus.CANCELLED, TODAY)

    return Case(s.people[-1], FilingCancelRequest(filing.id), s.haidian, "D110108", s.beijing, effect)


def _multisite_cancel(s: Scene) -> Case:
    registration = s.registered()
    site = s.world.legacy_site(registration, s.haidian)

    def effect(_: Application) -> None:
        (row,) = s.registry.legacy_sites(registration.physician_id)
        assert (row.id, row.status, row.ended_on) == (site.id, FilingStatus.CANCELLED, TODAY)
        assert s.registry.registrations(registration.physician_id) == (registration,)

    return Case(s.people[-1], MultisiteCancelRequest(site.id), s.beijing, "D110105", s.haidian, effect)


CASES: dict[BusinessType, Callable[[Scene], Case]] = {
    BusinessType.REGISTRATION: _registration,
    BusinessType.UPGRADE: _upgrade,
    BusinessType.MILITARY_IN: _military_in,
    BusinessType.MILITARY_OUT: _military_out,
    BusinessType.CHANGE: _change,
    BusinessType.CANCELLATION: _cancellation,
    BusinessType.FILING: _filing,
    BusinessType.FILING_CANCEL: _filing_cancel,
    BusinessType.MULTISITE_CANCEL: _multisite_cancel,
}


def test_every_business_type_has_an_end_to_end_case() -> None:
    assert set(CASES) == set(BusinessType)


@pytest.mark.parametrize("business", list(CASES), ids=[b.value for b in CASES])
def test_business_type_end_to_end(scene: Scene, business: BusinessType) -> None:
    case = CASES[business](scene)
    registry = scene.registry
    app = scene.apply(case.payload, case.physician.id)
    assert (app.type, app.state, app.institution_id, app.department_id) == (
        business, "pending_institution", case.confirms.id, case.decides)
    assert [a.id for a in registry.inbox(Actor.institution(case.confirms.id))] == [app.id]
    before = scene.snapshot()
    with pytest.raises(PermissionDenied):
        registry.fire(app.id, "confirm", Actor.institution(case.wrong_confirmer.id))
    assert scene.snapshot() == before
    registry.fire(app.id, "confirm", Actor.institution(case.confirms.id))
    assert [a.id for a in registry.inbox(Actor.authority(case.decides))] == [app.id]
    registry.fire(app.id, "accept", Actor.authority(case.decides))
    approved = registry.fire(app.id, "approve", Actor.authority(case.decides))
    assert (approved.state, approved.version) == ("approved", 5)
    history = registry.history(app.id)
    assert [e.event for e in history] == ["create", "submit", "confirm", "accept", "approve"]
    assert history[-1].actor == Actor.authority(case.decides)
    case.effect(approved)


def test_a_change_may_be_decided_by_the_granting_department(clock: FakeClock) -> None:
    policy = BASE_POLICY.with_changes("granting", change_decided_by_new_department=False)
    world = World(mdreg.open("memory://", clock=clock, policy=policy, ids=mdreg.SequentialIds()))
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    new = world.institution("110108")
    app = world.registry.apply(Actor.physician(doctor.id),
                               ChangeRequest(registration.id, new.id, registration.scopes))
    assert (app.institution_id, app.department_id) == (new.id, "D110105")


def test_a_change_keeps_the_day_the_registration_was_first_granted(
        scene: Scene, clock: FakeClock) -> None:
    registration = scene.registered()
    clock.set(datetime(2026, 9, 1, 1, tzinfo=UTC))
    app = scene.apply(ChangeRequest(registration.id, scene.haidian.id, registration.scopes),
                      registration.physician_id)
    scene.world.approve(app)
    (row,) = scene.registry.registrations(registration.physician_id)
    assert (row.approved_on, row.registered_on, row.granted_on) == (
        date(2026, 9, 1), TODAY, TODAY)
    assert registration.granted_on == registration.approved_on == TODAY


# Batch registration ----------------------------------------------------------------------------

def test_an_institution_submits_a_batch_and_gets_each_outcome(scene: Scene) -> None:
    good = [scene.physician(), scene.physician()]
    incapable = scene.physician(civil_capacity=CivilCapacity.LIMITED)
    elsewhere = scene.physician()

    def request(p: Physician, where: Institution) -> RegistrationRequest:
        return RegistrationRequest(where.id, p.qualifications[0].certificate_no, ("内科专业",))

    result = scene.registry.apply_batch(Actor.institution(scene.beijing.id), [
        (good[0].id, request(good[0], scene.beijing)),
        (incapable.id, request(incapable, scene.beijing)),
        (good[1].id, request(good[1], scene.beijing)),
        (elsewhere.id, request(elsewhere, scene.haidian)),
    ])
    assert [a.physician_id for a in result.accepted] == [good[0].id, good[1].id]
    assert {a.batch_id for a in result.accepted} == {result.batch_id}
    assert all(a.state == "pending_institution" for a in result.accepted)
    assert isinstance(result.refused[incapable.id], IneligibleError)
    assert result.refused[incapable.id].rule_ids == ("refusal.civil_capacity",)  # type: ignore[attr-defined]
    assert isinstance(result.refused[elsewhere.id], PermissionDenied)
    assert set(result.refused) == {incapable.id, elsewhere.id}
    inbox = scene.registry.inbox(Actor.institution(scene.beijing.id))
    assert sorted(a.id for a in inbox) == sorted(a.id for a in result.accepted)
    assert scene.registry.registrations(incapable.id) == ()


def test_only_an_institution_submits_a_batch(scene: Scene) -> None:
    doctor = scene.physician()
    request = RegistrationRequest(scene.beijing.id, doctor.qualifications[0].certificate_no, ("内科专业",))
    before = scene.snapshot()
    with pytest.raises(PermissionDenied) as err:
        scene.registry.apply_batch(Actor.physician(doctor.id), [(doctor.id, request)])
    assert err.value.label == "无权办理"
    assert scene.snapshot() == before


# Ex-officio cancellation -----------------------------------------------------------------------

@pytest.mark.parametrize("who", ["institution", "other_department", "physician", "system"])
def test_ex_officio_cancellation_only_by_the_granting_department(scene: Scene, who: str) -> None:
    registration = scene.registered()
    actor = {"institution": Actor.institution(scene.beijing.id),
             "other_department": Actor.authority("D110108"),
             "physician": Actor.physician(registration.physician_id),
             "system": Actor.system()}[who]
    before = scene.snapshot()
    with pytest.raises(PermissionDenied):
        scene.registry.cancel_ex_officio(actor, registration.id, CancellationGround.DEATH, "死亡证明")
    assert scene.snapshot() == before


@pytest.mark.parametrize("reason", ["", "   "], ids=["empty", "blank"])
def test_ex_officio_cancellation_needs_a_written_reason(scene: Scene, reason: str) -> None:
    registration = scene.registered()
    before = scene.snapshot()
    with pytest.raises(ValidationError) as err:
        scene.registry.cancel_ex_officio(Actor.authority(registration.approved_by), registration.id,
                                         CancellationGround.DEATH, reason)
    assert (err.value.field, err.value.field_label) == ("reason", "理由")
    assert scene.snapshot() == before


def test_ex_officio_person_wide_ground_ends_everything_and_cannot_repeat(scene: Scene) -> None:
    first = scene.registered()
    doctor = scene.people[-1]
    second = scene.world.registration(doctor, scene.shanghai)
    filing = scene.world.filing(second, scene.world.institution("310115"))
    department = Actor.authority(first.approved_by)
    ended = scene.registry.cancel_ex_officio(department, first.id,
                                             CancellationGround.CERTIFICATE_REVOKED, "行政处罚决定书")
    assert {r.id for r in ended} == {first.id, second.id}
    assert all(r.status is RegistrationStatus.CANCELLED for r in scene.registry.registrations(doctor.id))
    assert scene.registry.filings(doctor.id)[0].status is FilingStatus.INVALID
    (event,) = scene.registry.trail(first.id)
    assert sorted(event.data["ended"]) == sorted([first.id, second.id, filing.id])
    before = scene.snapshot()
    with pytest.raises(TransitionNotAllowed):
        scene.registry.cancel_ex_officio(department, first.id, CancellationGround.DEATH, "死亡证明")
    assert scene.snapshot() == before


def test_ex_officio_cancellation_of_a_filed_registration(scene: Scene) -> None:
    registration = scene.registered()
    scene.registry.report_departure(Actor.institution(scene.beijing.id), registration.id,
                                    DepartureKind.TRANSFER, TODAY)
    (ended,) = scene.registry.cancel_ex_officio(Actor.authority(registration.approved_by),
                                                registration.id, CancellationGround.HEALTH_UNFIT,
                                                "鉴定结论")
    assert ended.status is RegistrationStatus.CANCELLED
    assert [e.event for e in scene.registry.trail(registration.id)] == [
        "report_departure", "cancel_ex_officio"]


# Departure → 备案 → expiry ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(DepartureKind), ids=[k.value for k in DepartureKind])
def test_departure_moves_the_registration_to_filed_and_two_years_cancel_it(
    scene: Scene, kind: DepartureKind
) -> None:
    registration = scene.registered()
    filed = scene.registry.report_departure(Actor.institution(scene.beijing.id), registration.id,
                                            kind, date(2026, 2, 27))
    assert (filed.status, filed.filed_on) == (RegistrationStatus.FILED, date(2026, 2, 27))
    assert scene.registry.expire_filed(date(2028, 2, 26)) == ()
    assert scene.registry.registrations(filed.physician_id) == (filed,)
    assert scene.registry.expire_filed(date(2028, 2, 27)) == (registration.id,)
    (row,) = scene.registry.registrations(filed.physician_id)
    assert (row.status, row.ended_on) == (RegistrationStatus.CANCELLED, date(2028, 2, 27))
    assert scene.registry.expire_filed(date(2029, 1, 1)) == ()
    trail = scene.registry.trail(registration.id)
    assert [(e.event, e.from_state, e.to_state) for e in trail] == [
        ("report_departure", "valid", "filed"), ("expire_filed", "filed", "cancelled")]
    assert trail[0].reason == kind.label


def test_only_the_primary_institution_reports_a_departure(scene: Scene) -> None:
    registration = scene.registered()
    before = scene.snapshot()
    for actor in (Actor.institution(scene.haidian.id), Actor.authority(registration.approved_by),
                  Actor.physician(registration.physician_id)):
        with pytest.raises(PermissionDenied):
            scene.registry.report_departure(actor, registration.id, DepartureKind.RETIREMENT, TODAY)
    assert scene.snapshot() == before


def test_a_departure_needs_a_valid_registration(scene: Scene) -> None:
    registration = scene.registered()
    inst = Actor.institution(scene.beijing.id)
    scene.registry.report_departure(inst, registration.id, DepartureKind.RETIREMENT, TODAY)
    before = scene.snapshot()
    with pytest.raises(TransitionNotAllowed):
        scene.registry.report_departure(inst, registration.id, DepartureKind.RETIREMENT, TODAY)
    assert scene.snapshot() == before


def test_a_new_registration_is_not_expired_with_the_old_filed_one(scene: Scene) -> None:
    old = scene.registered()
    doctor = scene.people[-1]
    scene.registry.report_departure(Actor.institution(scene.beijing.id), old.id,
                                    DepartureKind.RESIGNATION, TODAY)
    new = scene.world.registration(doctor, scene.haidian)
    assert scene.registry.expire_filed(date(2030, 1, 1)) == ()  # renewed practice: no 注销
    status = {r.id: r.status for r in scene.registry.registrations(doctor.id)}
    assert status == {old.id: RegistrationStatus.INVALID, new.id: RegistrationStatus.VALID}


# R-CAN-5 through the service ------------------------------------------------------------------

TARGETING: dict[str, Callable[[Scene, Registration], Payload]] = {
    "upgrade": lambda s, r: UpgradeRequest(r.id, r.qualification_no),
    "military_out": lambda s, r: MilitaryOutRequest(r.id, "某部队医院"),
    "change": lambda s, r: ChangeRequest(r.id, s.haidian.id, r.scopes),
    "cancellation": lambda s, r: CancellationRequest(r.id, CancellationGround.OWN_REQUEST, KNOWN),
    "filing": lambda s, r: s.filing(r, s.haidian),
}


@pytest.mark.parametrize("business", sorted(TARGETING))
@pytest.mark.parametrize("ending", ["cancelled_ex_officio", "cancelled_on_application", "military"])
def test_an_ended_registration_cannot_be_the_target_of_a_new_application(
    scene: Scene, business: str, ending: str
) -> None:
    registration = scene.registered()
    doctor = scene.people[-1]
    if ending == "cancelled_ex_officio":
        scene.registry.cancel_ex_officio(Actor.authority(registration.approved_by), registration.id,
                                         CancellationGround.DEATH, "死亡医学证明")
    else:
        payload: Payload = (CancellationRequest(registration.id, CancellationGround.OWN_REQUEST, KNOWN)
                            if ending == "cancelled_on_application"
                            else MilitaryOutRequest(registration.id, "某部队医院"))
        scene.world.approve(scene.apply(payload, doctor.id))
    before = scene.snapshot()
    with pytest.raises(IneligibleError) as err:
        scene.apply(TARGETING[business](scene, registration), doctor.id)
    assert "target.registration_usable" in err.value.rule_ids
    assert err.value.label == "不符合办理条件"
    assert scene.snapshot() == before


# One open application per physician, type and target ------------------------------------------

@pytest.mark.parametrize(
    ("first", "second", "clash"),
    [("reg_beijing", "reg_haidian", True), ("reg_beijing", "reg_shanghai", False),
     ("change_to_haidian", "change_to_dongcheng", True), ("file_haidian", "file_haidian", True),
     ("file_haidian", "file_dongcheng", False), ("cancel_own", "cancel_health", True),
     ("military_out", "military_out_second", True)],
    ids=["second_registration_in_one_province_clashes", "registration_in_another_province_is_fine",
         "second_change_of_one_registration_clashes", "same_filing_twice_clashes",
         "filing_another_institution_is_fine", "second_cancellation_clashes",
         "second_military_out_clashes"],
)
def test_one_open_application_per_physician_type_and_target(
    scene: Scene, first: str, second: str, clash: bool
) -> None:
    doctor = scene.physician()
    number = doctor.qualifications[0].certificate_no
    one = scene.world.registration(doctor, scene.beijing)
    two = scene.world.registration(doctor, scene.shanghai)
    payloads: dict[str, Payload] = {
        "reg_beijing": RegistrationRequest(scene.world.institution("110105").id, number, ("内科专业",)),
        "reg_haidian": RegistrationRequest(scene.haidian.id, number, ("内科专业",)),
        "reg_shanghai": RegistrationRequest(scene.world.institution("310115").id, number, ("内科专业",)),
        "change_to_haidian": ChangeRequest(one.id, scene.haidian.id, one.scopes),
        "change_to_dongcheng": ChangeRequest(one.id, scene.dongcheng.id, one.scopes),
        "file_haidian": scene.filing(one, scene.haidian),
        "file_dongcheng": scene.filing(one, scene.dongcheng),
        "cancel_own": CancellationRequest(one.id, CancellationGround.OWN_REQUEST, KNOWN),
        "cancel_health": CancellationRequest(one.id, CancellationGround.HEALTH_UNFIT, KNOWN),
        "military_out": MilitaryOutRequest(one.id, "某部队医院"),
        "military_out_second": MilitaryOutRequest(two.id, "某部队医院"),
    }
    opened = scene.registry.apply(Actor.physician(doctor.id), payloads[first], submit=False)
    scene.apps.append(opened.id)
    if not clash:
        assert scene.registry.apply(Actor.physician(doctor.id), payloads[second], submit=False).state == "draft"
        return
    before = scene.snapshot()
    with pytest.raises(UniquenessConflict) as err:
        scene.registry.apply(Actor.physician(doctor.id), payloads[second], submit=False)
    assert err.value.constraint == "open_application"
    assert scene.snapshot() == before
    scene.registry.fire(opened.id, "withdraw", Actor.physician(doctor.id))
    assert scene.registry.apply(Actor.physician(doctor.id), payloads[second], submit=False).state == "draft"


# Bad input -------------------------------------------------------------------------------------

Act = Callable[[], object]


def _unknown_type(s: Scene, r: Registration) -> Act:
    payload = ChangeRequest(r.id, s.haidian.id, r.scopes)
    return lambda: s.registry.apply(Actor.physician(r.physician_id), payload, business="换证")


def _payload_of_another_type(s: Scene, r: Registration) -> Act:
    payload = ChangeRequest(r.id, s.haidian.id, r.scopes)
    return lambda: s.registry.apply(Actor.physician(r.physician_id), payload, business="注销")


def _another_physicians_registration(s: Scene, r: Registration) -> Act:
    stranger = s.registered()
    payload = ChangeRequest(stranger.id, s.haidian.id, stranger.scopes)
    return lambda: s.registry.apply(Actor.physician(r.physician_id), payload)


def _another_physicians_filing(s: Scene, r: Registration) -> Act:
    filing = s.world.filing(s.registered(), s.haidian)
    return lambda: s.registry.apply(Actor.physician(r.physician_id), FilingCancelRequest(filing.id))


def _another_physicians_legacy_record(s: Scene, r: Registration) -> Act:
    site = s.world.legacy_site(s.registered(), s.haidian)
    return lambda: s.registry.apply(Actor.physician(r.physician_id), MultisiteCancelRequest(site.id))


def _unknown_registration(s: Scene, r: Registration) -> Act:
    payload = MilitaryOutRequest("R-NONE", "某部队医院")
    return lambda: s.registry.apply(Actor.physician(r.physician_id), payload)


def _unknown_institution(s: Scene, r: Registration) -> Act:
    payload = FilingRequest(r.id, "I-NONE", r.scopes, valid_from=TODAY, valid_to=TODAY)
    return lambda: s.registry.apply(Actor.physician(r.physician_id), payload)


def _missing_ground(s: Scene, r: Registration) -> Act:
    payload = CancellationRequest(r.id, None, KNOWN)  # type: ignore[arg-type]
    return lambda: s.registry.apply(Actor.physician(r.physician_id), payload)


def _missing_proof(s: Scene, r: Registration) -> Act:
    payload = MilitaryInRequest(s.shanghai.id, r.qualification_no, r.scopes, proof_document="")
    return lambda: s.registry.apply(Actor.physician(r.physician_id), payload)


def _filing_ends_before_it_starts(s: Scene, r: Registration) -> Act:
    return lambda: FilingRequest(r.id, s.haidian.id, r.scopes, valid_from=TODAY,
                                 valid_to=date(2026, 3, 1))


def _no_military_unit(s: Scene, r: Registration) -> Act:
    return lambda: MilitaryOutRequest(r.id, " ")


def _no_scopes(s: Scene, r: Registration) -> Act:
    return lambda: ChangeRequest(r.id, s.haidian.id, ())


def _missing_reason(s: Scene, r: Registration) -> Act:
    app = s.apply(ChangeRequest(r.id, s.haidian.id, r.scopes), r.physician_id)
    s.registry.fire(app.id, "confirm", Actor.institution(s.haidian.id))
    s.registry.fire(app.id, "accept", Actor.authority(app.department_id))
    return lambda: s.registry.fire(app.id, "reject", Actor.authority(app.department_id), reason=" ")


def _missing_corrections(s: Scene, r: Registration) -> Act:
    app = s.apply(ChangeRequest(r.id, s.haidian.id, r.scopes), r.physician_id)
    s.registry.fire(app.id, "confirm", Actor.institution(s.haidian.id))
    return lambda: s.registry.fire(app.id, "request_correction", Actor.authority(app.department_id),
                                   corrections=["", " "])


BAD: dict[str, tuple[Callable[[Scene, Registration], Act], type[MdregError], str]] = {
    "unknown_type": (_unknown_type, ValidationError, "business"),
    "payload_of_another_type": (_payload_of_another_type, ValidationError, "business"),
    "another_physicians_registration": (_another_physicians_registration, NotFoundError, ""),
    "another_physicians_filing": (_another_physicians_filing, NotFoundError, ""),
    "another_physicians_legacy_record": (_another_physicians_legacy_record, NotFoundError, ""),
    "unknown_registration": (_unknown_registration, NotFoundError, ""),
    "unknown_institution": (_unknown_institution, NotFoundError, ""),
    "missing_ground": (_missing_ground, ValidationError, "ground"),
    "missing_proof": (_missing_proof, IneligibleError, "military.proof_from_military_organ"),
    "filing_ends_before_it_starts": (_filing_ends_before_it_starts, ValidationError, "valid_to"),
    "no_military_unit": (_no_military_unit, ValidationError, "military_unit"),
    "no_scopes": (_no_scopes, ValidationError, "scopes"),
    "missing_reason": (_missing_reason, ValidationError, "reason"),
    "missing_corrections": (_missing_corrections, ValidationError, "corrections"),
}


@pytest.mark.parametrize("case", list(BAD))
def test_bad_input_gives_a_typed_error_and_changes_nothing(scene: Scene, case: str) -> None:
    make, error, detail = BAD[case]
    act = make(scene, scene.registered())
    before = scene.snapshot()
    with pytest.raises(error) as err:
        act()
    assert CJK.search(err.value.label)
    assert err.value.describe().endswith(err.value.message)
    assert CJK.search(err.value.describe())
    if isinstance(err.value, ValidationError):
        assert err.value.field == detail
        assert CJK.search(err.value.field_label)
    if isinstance(err.value, IneligibleError):
        assert detail in err.value.rule_ids
        assert all(CJK.search(v.message) and v.message_en for v in err.value.violations)
    assert scene.snapshot() == before


# Bugs found ------------------------------------------------------------------------------------

def test_changing_the_primary_institution_to_a_filed_one_ends_that_filing(scene: Scene) -> None:
    registration = scene.registered()
    scene.world.filing(registration, scene.haidian)
    scene.world.approve(scene.apply(ChangeRequest(registration.id, scene.haidian.id,
                                                  registration.scopes), registration.physician_id))
    (row,) = scene.registry.registrations(registration.physician_id)
    active = [f.institution_id for f in scene.registry.filings(row.physician_id) if f.is_active]
    assert row.primary_institution_id not in active


def test_expiry_of_a_filed_registration_ends_its_filings(scene: Scene) -> None:
    registration = scene.registered()
    scene.world.filing(registration, scene.haidian)
    scene.registry.report_departure(Actor.institution(scene.beijing.id), registration.id,
                                    DepartureKind.RETIREMENT, TODAY)
    scene.registry.expire_filed(date(2028, 3, 2))
    assert not any(f.is_active for f in scene.registry.filings(registration.physician_id))


def test_departure_to_filed_status_ends_the_filings_and_legacy_records(scene: Scene) -> None:
    registration = scene.registered()
    scene.world.filing(registration, scene.haidian)
    scene.world.legacy_site(registration, scene.dongcheng)
    scene.registry.report_departure(Actor.institution(scene.beijing.id), registration.id,
                                    DepartureKind.RETIREMENT, TODAY)
    assert not any(f.is_active for f in scene.registry.filings(registration.physician_id))
    assert not any(s.is_active for s in scene.registry.legacy_sites(registration.physician_id))

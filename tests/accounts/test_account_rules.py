"""Named scenarios for the account and personal-change rules (domain.md: R-ACC-1…5, R-PHONE-1,
R-INFO-1/2, R-PHOTO-1, R-DEPT-1)."""

from __future__ import annotations

from datetime import date

import pytest
from portal_kit import PASSWORD, Portal, snapshot

import mdreg
from mdreg import (
    AccountNotActive,
    ActivationPath,
    ActivationRefused,
    Actor,
    CancellationGround,
    ChangeRequest,
    FakeClock,
    IdentityMismatch,
    IneligibleError,
    PermissionDenied,
    PhotoRejected,
    Physician,
    RegistrationRequest,
    SequentialIds,
    TransitionNotAllowed,
    UniquenessConflict,
    ValidationError,
)
from mdreg.domain.model import Institution, RegistrationStatus
from mdreg.infra.serialization import dumps
from mdreg.service.account_steps import real_name
from mdreg.service.registry import Registry
from mdreg.testing import World, make_id_number
from mdreg.workflows import BASE_POLICY

JPEG = b"\xff\xd8\xff\xe0" + bytes(2000)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x01" * 3000


# -- R-ACC-1: sign-up matches name and ID number ------------------------------------------------


def test_r_acc_1_sign_up_succeeds_when_name_and_id_number_match(portal: Portal) -> None:
    doctor = portal.physician()
    account = portal.sign_up(doctor, login="zhangsan")
    assert (account.state, account.physician_id, account.login_name) == (
        "registered", doctor.id, "zhangsan")
    assert not account.phone_verified and account.activation is None
    trail = portal.registry.trail(account.id)
    assert [(e.seq, e.event, e.to_state) for e in trail] == [(1, "sign_up", "registered")]


@pytest.mark.parametrize(
    "case", ["wrong_name", "unknown_id_number", "no_qualification_or_practice_record"])
def test_r_acc_1_sign_up_fails_unless_a_record_matches(portal: Portal, case: str) -> None:
    doctor = portal.physician()
    name, number = doctor.name, doctor.id_number
    if case == "wrong_name":
        name = "李四"
    elif case == "unknown_id_number":
        number = make_id_number("310104", date(1980, 2, 3), 7)
    else:
        bare = Physician("P-bare", "王五", make_id_number("310104", date(1981, 4, 5), 9))
        portal.registry.load(physicians=[bare])
        name, number = bare.name, bare.id_number
    before = snapshot(portal.registry)
    with pytest.raises(IdentityMismatch) as err:
        portal.accounts.sign_up(name=name, id_number=number, login_name="someone",
                                password=PASSWORD, phone="13912340001")
    assert err.value.label == "姓名与身份证号未匹配到资格或执业信息"
    assert snapshot(portal.registry) == before


def test_r_acc_1_a_practice_record_alone_is_enough(portal: Portal, hospital: Institution) -> None:
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    assert portal.sign_up(doctor).state == "registered"


def test_r_acc_1_one_account_per_physician_and_unique_login_names(portal: Portal) -> None:
    first, second = portal.physician(), portal.physician()
    portal.sign_up(first, login="Zhangsan")
    with pytest.raises(UniquenessConflict) as err:
        portal.sign_up(first, login="other")
    assert err.value.constraint == "account_physician"
    with pytest.raises(UniquenessConflict) as err:
        portal.sign_up(second, login="ZHANGSAN")
    assert err.value.constraint == "account_login_name"


@pytest.mark.parametrize("name", ["zhangsan", "", "   ", "张3", "张San", "张３", "张Ｓａｎ",
                                  "张\u0663", "张\x00三", "张三!", "·", "Иван"])
def test_r_acc_1_the_name_is_the_real_name_not_a_login_name(portal: Portal, name: str) -> None:
    doctor = portal.physician()
    with pytest.raises(ValidationError) as err:
        portal.accounts.sign_up(name=name, id_number=doctor.id_number, login_name="doc1",
                                password=PASSWORD, phone="13912340001")
    assert err.value.field == "name"


@pytest.mark.parametrize("name", ["张三", "阿卜杜·热合曼", "玉素甫•买买提", "欧阳娜娜"])
def test_r_acc_1_a_real_name_of_chinese_characters_and_middle_dots_passes(name: str) -> None:
    assert real_name(f" {name} ") == name


# -- R-PHONE-1: phone verification (or e-mail fallback) before activation -----------------------


def test_r_phone_1_an_unverified_account_cannot_activate(portal: Portal) -> None:
    doctor = portal.physician()
    portal.sign_up(doctor)
    me = Actor.physician(doctor.id)
    with pytest.raises(TransitionNotAllowed):
        portal.accounts.activate_with_qualification(me, doctor.qualifications[0].certificate_no)
    assert portal.account(doctor).state == "registered"


def test_r_phone_1_sms_verification(portal: Portal) -> None:
    doctor = portal.physician()
    me = portal.verified(doctor)
    account = portal.accounts.account(me)
    assert (account.state, account.phone_verified, account.email_verified) == (
        "verified", True, False)
    (message,) = portal.delivered
    assert message.channel.value == "sms" and message.to == account.phone.national  # type: ignore[union-attr]


def test_r_phone_1_e_mail_fallback_when_the_phone_cannot_receive(portal: Portal) -> None:
    doctor = portal.physician()
    portal.sign_up(doctor)
    me = Actor.physician(doctor.id)
    portal.accounts.send_phone_code(me)  # never arrives
    portal.accounts.send_email_code(me)
    account = portal.accounts.verify_email(me, portal.code())
    assert (account.state, account.email_verified, account.phone_verified) == (
        "verified", True, False)
    assert portal.delivered[-1].channel.value == "email"


def test_r_phone_1_a_mainland_mobile_is_required(portal: Portal) -> None:
    doctor = portal.physician()
    with pytest.raises(ValidationError) as err:
        portal.accounts.sign_up(name=doctor.name, id_number=doctor.id_number, login_name="doc1",
                                password=PASSWORD, phone="010-6512 3456")
    assert err.value.field == "phone"


# -- R-ACC-2: only active accounts submit business applications ---------------------------------


def _registration_request(doctor: Physician, hospital: Institution) -> RegistrationRequest:
    return RegistrationRequest(hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",))


@pytest.mark.parametrize("stage", ["no_account", "registered", "verified"])
def test_r_acc_2_a_physician_without_an_active_account_cannot_apply(
        portal: Portal, hospital: Institution, stage: str) -> None:
    doctor = portal.physician()
    if stage == "registered":
        portal.sign_up(doctor)
    elif stage == "verified":
        portal.verified(doctor)
    before = snapshot(portal.registry)
    with pytest.raises(AccountNotActive) as err:
        portal.registry.apply(Actor.physician(doctor.id), _registration_request(doctor, hospital))
    assert err.value.label == "账户未激活"
    assert err.value.state == ("" if stage == "no_account" else stage)
    assert snapshot(portal.registry) == before


def test_r_acc_2_an_active_account_applies(portal: Portal, hospital: Institution) -> None:
    doctor = portal.physician()
    me = portal.active(doctor)
    app = portal.registry.apply(me, _registration_request(doctor, hospital))
    assert app.state == "pending_institution"


def test_r_acc_2_is_a_policy_parameter(world: World, hospital: Institution) -> None:
    assert BASE_POLICY.param("require_active_account") is True
    world.registry.policy = BASE_POLICY.with_changes("no_accounts", require_active_account=False)
    doctor = world.physician(account=False)
    app = world.registry.apply(Actor.physician(doctor.id), _registration_request(doctor, hospital))
    assert app.state == "pending_institution"


def test_r_acc_2_is_a_cited_dated_rule_checked_on_every_submission(
        portal: Portal, hospital: Institution) -> None:
    (rule,) = [r for r in BASE_POLICY.all_rules() if r.ref == "R-ACC-2"]
    assert (rule.id, rule.version, rule.effective_from.isoformat()) == (
        "account.active", 1, "2017-04-01")
    assert all(BASE_POLICY.rules[(b, "submit")][0] is rule for b, e in BASE_POLICY.rules
               if e == "submit")
    doctor = portal.physician()
    portal.verified(doctor)
    draft = portal.registry.apply(Actor.physician(doctor.id),
                                  _registration_request(doctor, hospital), submit=False)
    assert portal.registry.explain(draft.id).why_not("submit").startswith(rule.label)
    with pytest.raises(AccountNotActive) as err:
        portal.registry.fire(draft.id, "submit", Actor.physician(doctor.id))
    assert isinstance(err.value, IneligibleError) and err.value.rule_ids == ("account.active",)
    assert err.value.state == "verified"


def test_r_acc_2_does_not_bind_an_institution_applying_for_its_staff(
        portal: Portal, hospital: Institution) -> None:
    doctor = portal.physician()
    app = portal.registry.apply(Actor.institution(hospital.id),
                                _registration_request(doctor, hospital), physician_id=doctor.id)
    assert app.state == "pending_institution"


# -- R-ACC-3: a valid registration activates by the institution's code or auto-activation ----------


def test_r_acc_3_the_primary_institution_issues_the_activation_code(
        portal: Portal, hospital: Institution) -> None:
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    me = portal.verified(doctor)
    ticket = portal.accounts.issue_activation_code(Actor.institution(hospital.id), doctor.id)
    assert ticket.purpose.value == "activation" and ticket.to.endswith(portal.phone(1)[-4:])
    account = portal.accounts.activate(me, portal.code())
    assert (account.state, account.activation) == ("active", ActivationPath.INSTITUTION_CODE)
    assert hospital.name in portal.bodies[-1]
    assert portal.registry.trail(account.id)[-1].data == {"institution": [hospital.id]}


def test_r_acc_3_a_code_of_an_institution_no_longer_primary_is_refused(
        portal: Portal, hospital: Institution) -> None:
    doctor = portal.physician()
    registration = portal.registration(doctor, hospital)
    me = portal.verified(doctor)
    portal.accounts.issue_activation_code(Actor.institution(hospital.id), doctor.id)
    code = portal.code()
    portal.registry.cancel_ex_officio(Actor.authority(registration.approved_by), registration.id,
                                      CancellationGround.HEALTH_UNFIT, "体检不合格")
    with pytest.raises(ActivationRefused) as refused:
        portal.accounts.activate(me, code)
    assert refused.value.path == "institution code"
    assert portal.account(doctor).state == "verified"


def test_r_acc_3_another_institution_cannot_issue_a_code(
        portal: Portal, world: World, hospital: Institution) -> None:
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    portal.verified(doctor)
    elsewhere = world.institution("110105")
    before = snapshot(portal.registry)
    for stranger in (Actor.institution(elsewhere.id), Actor.physician(doctor.id),
                     Actor.authority(hospital.approved_by)):
        with pytest.raises(PermissionDenied):
            portal.accounts.issue_activation_code(stranger, doctor.id)
    assert snapshot(portal.registry) == before


def test_r_acc_3_no_qualification_number_with_a_valid_registration(
        portal: Portal, hospital: Institution) -> None:
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    me = portal.verified(doctor)
    with pytest.raises(ActivationRefused):
        portal.accounts.activate_with_qualification(me, doctor.qualifications[0].certificate_no)
    assert portal.account(doctor).state == "verified"


@pytest.mark.parametrize("auto", [True, False], ids=["auto_on_activates", "auto_off_waits"])
def test_r_acc_3_refresh_activates_when_the_institution_set_auto_activation(
        portal: Portal, hospital: Institution, auto: bool) -> None:
    portal.accounts.configure_institution(Actor.institution(hospital.id), auto_activation=auto)
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    me = portal.verified(doctor)
    account = portal.accounts.refresh(me)
    assert account.state == ("active" if auto else "verified")
    assert account.activation == (ActivationPath.AUTO if auto else None)


def test_r_acc_3_refresh_does_not_activate_an_unverified_account(
        world: World, portal: Portal) -> None:
    hospital = world.institution("110105", auto_activation=True)
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    portal.sign_up(doctor)
    assert portal.accounts.refresh(Actor.physician(doctor.id)).state == "registered"


# -- R-ACC-4: no valid registration → qualification certificate number ------------------------------


@pytest.mark.parametrize("status", [None, RegistrationStatus.FILED, RegistrationStatus.CANCELLED,
                                    RegistrationStatus.INVALID],
                         ids=["never_registered", "filed", "cancelled", "invalid"])
def test_r_acc_4_activation_by_qualification_certificate_number(
        portal: Portal, hospital: Institution, status: RegistrationStatus | None) -> None:
    doctor = portal.physician()
    if status is not None:
        portal.registration(doctor, hospital, status)
    me = portal.verified(doctor)
    account = portal.accounts.activate_with_qualification(
        me, f" {doctor.qualifications[0].certificate_no} ")
    assert (account.state, account.activation) == ("active", ActivationPath.QUALIFICATION)


def test_r_acc_4_a_wrong_certificate_number_is_refused(portal: Portal) -> None:
    doctor = portal.physician()
    me = portal.verified(doctor)
    with pytest.raises(ActivationRefused):
        portal.accounts.activate_with_qualification(me, "Q999999")
    assert portal.account(doctor).state == "verified"


# -- R-ACC-5: approval of a 注册 or 变更 activates ----------------------------------------------------


def test_r_acc_5_approved_registration_activates_the_account(
        portal: Portal, world: World, hospital: Institution) -> None:
    doctor = portal.physician()
    portal.verified(doctor)
    app = portal.registry.apply(Actor.institution(hospital.id),
                                _registration_request(doctor, hospital), physician_id=doctor.id)
    world.approve(app)
    account = portal.account(doctor)
    assert (account.state, account.activation) == ("active", ActivationPath.APPROVAL)
    last = portal.registry.trail(account.id)[-1]
    assert (last.event, last.actor, last.data) == (
        "activate_on_approval", Actor.authority(hospital.approved_by), {"application": [app.id]})


def test_r_acc_5_approved_change_activates_the_account(
        portal: Portal, world: World, hospital: Institution) -> None:
    """Under the base policy: the physician's verified account may not apply (R-ACC-2), the new
    institution applies for the 变更 on the physician's behalf, and its approval activates."""
    doctor = portal.physician()
    registration = portal.registration(doctor, hospital)
    me = portal.verified(doctor)
    other = world.institution("110108")
    change = ChangeRequest(registration.id, other.id, ("内科专业",))
    with pytest.raises(AccountNotActive):
        portal.registry.apply(me, change)
    app = portal.registry.apply(Actor.institution(other.id), change, physician_id=doctor.id)
    world.approve(app)
    account = portal.account(doctor)
    assert (account.state, account.activation) == ("active", ActivationPath.APPROVAL)


def test_r_acc_5_the_institution_applying_for_a_change_is_a_policy_parameter(
        portal: Portal, world: World, hospital: Institution) -> None:
    portal.registry.policy = BASE_POLICY.with_changes("own", institution_applies_for_change=False)
    doctor = portal.physician()
    registration = portal.registration(doctor, hospital)
    other = world.institution("110108")
    with pytest.raises(PermissionDenied):
        portal.registry.apply(Actor.institution(other.id), ChangeRequest(
            registration.id, other.id, ("内科专业",)), physician_id=doctor.id)
    with pytest.raises(PermissionDenied):  # another institution than the new one: never
        portal.registry.apply(Actor.institution(hospital.id), ChangeRequest(
            registration.id, other.id, ("内科专业",)), physician_id=doctor.id)


def test_r_acc_5_an_unverified_account_stays_registered(
        portal: Portal, world: World, hospital: Institution) -> None:
    doctor = portal.physician()
    portal.sign_up(doctor)
    app = portal.registry.apply(Actor.institution(hospital.id),
                                _registration_request(doctor, hospital), physician_id=doctor.id)
    world.approve(app)
    assert portal.account(doctor).state == "registered"


# -- R-INFO-1 / R-INFO-2: education, school, title ---------------------------------------------------


@pytest.fixture
def employed(portal: Portal, hospital: Institution) -> tuple[Physician, Actor]:
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    me = portal.verified(doctor)
    portal.accounts.issue_activation_code(Actor.institution(hospital.id), doctor.id)
    portal.accounts.activate(me, portal.code())
    return doctor, me


def test_r_info_1_a_change_is_pending_until_the_institution_approves(
        portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]) -> None:
    _, me = employed
    change = portal.accounts.request_info_change(me, education="硕士研究生", title="主治医师")
    assert (change.state, change.institution_id) == ("pending", hospital.id)
    info = portal.accounts.practice(me).info
    assert (info.education, info.title) == ("", "")
    assert portal.accounts.work_list(Actor.institution(hospital.id)).changes == (change,)


def test_r_info_1_the_institution_may_reject_with_a_reason(
        portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]) -> None:
    _, me = employed
    change = portal.accounts.request_info_change(me, school="某医学院")
    inst = Actor.institution(hospital.id)
    with pytest.raises(ValidationError):
        portal.accounts.reject_change(inst, change.id, "  ")
    rejected = portal.accounts.reject_change(inst, change.id, "学历证明不清晰")
    assert (rejected.state, rejected.reason) == ("rejected", "学历证明不清晰")
    assert portal.accounts.practice(me).info.school == ""
    with pytest.raises(TransitionNotAllowed):
        portal.accounts.approve_change(inst, change.id)


def test_r_info_2_approval_replaces_only_the_practice_registration_copy(
        portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]) -> None:
    doctor, me = employed
    record_before = dumps(portal.registry.physician(doctor.id))
    change = portal.accounts.request_info_change(me, education="博士研究生", school="某医科大学",
                                                 title="副主任医师")
    portal.accounts.approve_change(Actor.institution(hospital.id), change.id)
    info = portal.accounts.practice(me).info
    assert (info.education, info.school, info.title) == ("博士研究生", "某医科大学", "副主任医师")
    assert dumps(portal.registry.physician(doctor.id)) == record_before
    assert portal.accounts.qualifications(me) == doctor.qualifications


def test_r_info_2_a_later_change_updates_only_its_fields(
        portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]) -> None:
    _, me = employed
    inst = Actor.institution(hospital.id)
    portal.accounts.approve_change(inst, portal.accounts.request_info_change(
        me, education="本科", title="住院医师").id)
    portal.accounts.approve_change(inst, portal.accounts.request_info_change(
        me, title="主治医师").id)
    info = portal.accounts.practice(me).info
    assert (info.education, info.title, info.version) == ("本科", "主治医师", 2)


# -- R-PHOTO-1: only the latest upload is kept ------------------------------------------------------


def test_r_photo_1_after_two_uploads_only_the_second_photo_is_stored(
        portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]) -> None:
    _, me = employed
    first = portal.accounts.upload_photo(me, JPEG)
    second = portal.accounts.upload_photo(me, PNG)
    assert first.id == second.id and second.version == 2
    assert second.photo is not None and second.photo.format == "png"
    assert portal.accounts.photos.keys() == (second.photo.key,)  # type: ignore[attr-defined]
    assert portal.accounts.photo(me) is None  # not in effect before approval
    assert portal.accounts.photo(Actor.institution(hospital.id), second.id) == PNG
    portal.accounts.approve_change(Actor.institution(hospital.id), second.id)
    assert portal.accounts.photo(me) == PNG


def test_r_photo_1_an_approved_photo_is_replaced_by_the_next_approved_one(
        portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]) -> None:
    _, me = employed
    inst = Actor.institution(hospital.id)
    portal.accounts.approve_change(inst, portal.accounts.upload_photo(me, JPEG).id)
    rejected = portal.accounts.upload_photo(me, PNG)
    portal.accounts.reject_change(inst, rejected.id, "背景不是白色")
    assert portal.accounts.photo(me) == JPEG
    later = portal.accounts.upload_photo(me, PNG + b"\x02")
    portal.accounts.approve_change(inst, later.id)
    assert portal.accounts.photo(me) == PNG + b"\x02"
    assert len(portal.accounts.photos.keys()) == 1  # type: ignore[attr-defined]
    trail = portal.registry.trail(later.id)
    assert "photo" not in repr(trail) and trail[0].data["format"] == ["png"]


@pytest.mark.parametrize(("data", "why"), [
    (b"GIF89a" + bytes(2000), "JPEG or PNG"),
    (b"\xff\xd8\xff" + bytes(10), "bytes"),
    (b"\xff\xd8\xff" + bytes(3 * 1024 * 1024), "bytes"),
], ids=["gif", "too_small", "too_large"])
def test_r_photo_1_format_and_size_are_checked(
        portal: Portal, employed: tuple[Physician, Actor], data: bytes, why: str) -> None:
    _, me = employed
    with pytest.raises(PhotoRejected, match=why):
        portal.accounts.upload_photo(me, data)
    assert portal.accounts.photos.keys() == ()  # type: ignore[attr-defined]


# -- R-DEPT-1: departments from the institution's own list ---------------------------------------------


def test_r_dept_1_a_configured_department_takes_effect_without_approval(
        portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]) -> None:
    _, me = employed
    change = portal.accounts.choose_department(me, "儿科")
    assert change.state == "approved"
    assert portal.accounts.practice(me).info.department_at(hospital.id) == "儿科"
    assert portal.accounts.work_list(Actor.institution(hospital.id)).changes == ()
    assert [(e.event, e.actor) for e in portal.registry.trail(change.id)] == [
        ("submit", me), ("take_effect", me)]
    assert portal.accounts.choose_department(me, "外科").state == "approved"
    assert portal.accounts.practice(me).info.department_at(hospital.id) == "外科"


class TestWhenThePolicyAsksTheInstitution:
    """``department_choice_needs_approval=True``: the choice waits like personal information."""

    @pytest.fixture
    def registry(self, clock: FakeClock) -> Registry:
        return mdreg.open("memory://", clock=clock, ids=SequentialIds(), policy=BASE_POLICY.override(
            "approving", department_choice_needs_approval=True))

    def test_r_dept_1_a_configured_department_is_chosen_and_approved(
            self, portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]
    ) -> None:
        _, me = employed
        change = portal.accounts.choose_department(me, "儿科")
        assert change.state == "pending"
        assert portal.accounts.practice(me).info.department_at(hospital.id) == ""
        portal.accounts.approve_change(Actor.institution(hospital.id), change.id)
        assert portal.accounts.practice(me).info.department_at(hospital.id) == "儿科"

    def test_r_dept_1_a_department_dropped_before_approval_is_refused(
            self, portal: Portal, hospital: Institution, employed: tuple[Physician, Actor]
    ) -> None:
        _, me = employed
        change = portal.accounts.choose_department(me, "儿科")
        inst = Actor.institution(hospital.id)
        portal.accounts.configure_institution(inst, departments=["内科"])
        with pytest.raises(ValidationError):
            portal.accounts.approve_change(inst, change.id)
        assert portal.accounts.changes(me)[0].state == "pending"


@pytest.mark.parametrize("configured", [("内科", "外科"), ()], ids=["not_listed", "none_configured"])
def test_r_dept_1_a_department_outside_the_list_is_refused(
        portal: Portal, hospital: Institution, employed: tuple[Physician, Actor],
        configured: tuple[str, ...]) -> None:
    _, me = employed
    portal.accounts.configure_institution(Actor.institution(hospital.id), departments=configured)
    with pytest.raises(ValidationError) as err:
        portal.accounts.choose_department(me, "儿科")
    assert err.value.field == "department"
    assert portal.accounts.changes(me) == ()


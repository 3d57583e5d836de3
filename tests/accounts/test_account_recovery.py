"""Institution-assisted recovery when both contacts are lost, and the security notices that
go to the other channel."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from portal_kit import PASSWORD, Portal

from mdreg import Actor, IdentityMismatch, PermissionDenied, ValidationError
from mdreg.domain.account import Channel
from mdreg.domain.model import Category, Institution, Level, Physician, Qualification
from mdreg.errors import ConcurrencyConflict, MdregError, NoActiveCode, RecoveryCodeRejected

OFFICER = "人事科王科员"


def lost_both(portal: Portal, hospital: Institution) -> tuple[Actor, str]:
    """A physician registered at ``hospital`` whose account has a verified phone and e-mail."""
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    me = portal.verified(doctor)
    portal.accounts.request_email_change(me, PASSWORD, "doctor.old@example.com")
    portal.accounts.confirm_email_change(me, portal.code())
    portal.deliver()
    return me, doctor.id


def test_the_primary_institution_replaces_lost_contacts_and_recovery_works_again(
        portal: Portal, hospital: Institution) -> None:
    _, physician_id = lost_both(portal, hospital)
    accounts = portal.accounts
    login = portal.account(portal.registry.physician(physician_id)).login_name
    pending = accounts.start_recovery(login)  # a code to the lost phone: outstanding
    assert pending is not None
    replaced = accounts.replace_contact(Actor.institution(hospital.id, user=OFFICER),
                                        physician_id, phone="13900001111",
                                        checked="现场核验居民身份证原件")
    assert replaced.phone is not None and replaced.phone.national == "13900001111"
    assert replaced.phone_verified
    event = portal.registry.trail(replaced.id)[-1]
    assert event.event == "replace_contact" and event.actor.user == OFFICER
    assert event.data["checked"] == ["现场核验居民身份证原件"]
    assert event.data["codes_invalidated"] == ["1"]
    assert "13900001111" not in str(event.data)  # masked in the history
    notices = portal.deliver()
    assert {(m.channel, m.to) for m in notices if m.template == "security_replace_contact"} == {
        (Channel.SMS, "13912340001"), (Channel.EMAIL, "doctor.old@example.com")}
    with pytest.raises(RecoveryCodeRejected):  # the code sent before the replacement is void
        accounts.finish_recovery(login, "000000", "Another-Passw0rd!")
    assert accounts.start_recovery(login) is not None  # to the new phone
    sent = portal.deliver()
    assert sent[-1].to == "13900001111"
    accounts.finish_recovery(login, portal.code(), "Another-Passw0rd!")
    assert accounts.login(login, "Another-Passw0rd!").id == replaced.id


def test_only_the_primary_institution_with_a_named_officer_may_replace(
        portal: Portal, hospital: Institution) -> None:
    _, physician_id = lost_both(portal, hospital)
    other = portal.world.institution("110108")
    accounts = portal.accounts
    with pytest.raises(PermissionDenied):
        accounts.replace_contact(Actor.institution(other.id, user=OFFICER), physician_id,
                                 phone="13900001111", checked="现场核验")
    with pytest.raises(PermissionDenied):
        accounts.replace_contact(Actor.authority("D110105", user=OFFICER), physician_id,
                                 phone="13900001111", checked="现场核验")
    for kwargs, field in [({"phone": "13900001111", "checked": "现场核验"}, "user"),
                          ({"checked": "现场核验"}, "contact"),
                          ({"phone": "13900001111", "checked": " "}, "checked")]:
        actor = Actor.institution(hospital.id, user="" if field == "user" else OFFICER)
        with pytest.raises(ValidationError) as error:
            accounts.replace_contact(actor, physician_id, **kwargs)  # type: ignore[arg-type]
        assert error.value.field == field


def test_recovery_and_contact_changes_notify_the_other_channel(
        portal: Portal, hospital: Institution) -> None:
    me, physician_id = lost_both(portal, hospital)
    accounts = portal.accounts
    login = portal.account(portal.registry.physician(physician_id)).login_name
    accounts.start_recovery(login, Channel.SMS)
    accounts.finish_recovery(login, portal.code(), "Another-Passw0rd!")
    recovered = [m for m in portal.deliver() if m.template == "security_recover_password"]
    assert [(m.channel, m.to) for m in recovered] == [(Channel.EMAIL, "doctor.old@example.com")]
    accounts.request_phone_change(me, "Another-Passw0rd!", "13900002222")
    accounts.confirm_phone_change(me, portal.code())
    changed = [m for m in portal.deliver() if m.template == "security_change_phone"]
    assert [(m.channel, m.to) for m in changed] == [(Channel.EMAIL, "doctor.old@example.com")]
    assert "13900002222" not in changed[0].body and "2222" in changed[0].body  # masked


def test_a_physician_change_racing_the_institution_replacement_has_one_winner(
        portal: Portal, hospital: Institution) -> None:
    me, physician_id = lost_both(portal, hospital)
    accounts = portal.accounts
    seen = portal.account(portal.registry.physician(physician_id)).version
    accounts.request_phone_change(me, PASSWORD, "13900003333")
    code = portal.code()
    version = portal.account(portal.registry.physician(physician_id)).version
    assert version == seen  # issuing a code does not change the account
    outcomes: list[str] = []
    start = threading.Barrier(2)

    def physician() -> None:
        start.wait(10)
        try:
            accounts.confirm_phone_change(me, code)
            outcomes.append("physician")
        except MdregError as error:
            outcomes.append(type(error).__name__)

    def institution() -> None:
        start.wait(10)
        try:
            accounts.replace_contact(Actor.institution(hospital.id, user=OFFICER), physician_id,
                                     phone="13900004444", checked="现场核验",
                                     expected_version=seen)
            outcomes.append("institution")
        except MdregError as error:
            outcomes.append(type(error).__name__)

    threads = [threading.Thread(target=physician), threading.Thread(target=institution)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    winners = [o for o in outcomes if o in ("physician", "institution")]
    assert len(winners) == 1 and len(outcomes) == 2, outcomes
    loser = next(o for o in outcomes if o not in winners)
    assert loser in (ConcurrencyConflict.__name__, NoActiveCode.__name__), outcomes
    account = portal.account(portal.registry.physician(physician_id))
    assert account.phone is not None
    assert account.phone.national == {"physician": "13900003333",
                                      "institution": "13900004444"}[winners[0]]
    assert account.version == seen + 1  # one change, nothing half-applied


# -- the exam admission number (准考证号) ---------------------------------------------------------

ADMISSION = "110126010203"


def new_holder(portal: Portal) -> Physician:
    """A physician who passed the exam: an admission number, no certificate number yet."""
    return portal.world.physician(account=False, qualification=Qualification(
        "", Level.PHYSICIAN, Category.CLINICAL, date(2026, 9, 1), admission_no=ADMISSION))


def test_a_new_holder_signs_up_and_activates_with_the_admission_number(portal: Portal) -> None:
    doctor = new_holder(portal)
    assert doctor.qualification(ADMISSION) is not None
    account = portal.accounts.sign_up(
        name=doctor.name, id_number=doctor.id_number, login_name="newdoctor",
        password=PASSWORD, phone="13900005555", qualification_no=ADMISSION)
    assert ADMISSION not in repr(doctor) and ADMISSION not in repr(account)
    me = Actor.physician(doctor.id)
    portal.accounts.send_phone_code(me)
    portal.accounts.verify_phone(me, portal.code())
    active = portal.accounts.activate_with_qualification(me, ADMISSION)
    assert active.state == "active"


def test_the_admission_number_stops_naming_the_qualification_once_a_certificate_is_issued(
        portal: Portal) -> None:
    issued = Qualification("110000000000123", Level.PHYSICIAN, Category.CLINICAL,
                           date(2026, 9, 1), admission_no=ADMISSION)
    assert issued.matches("110000000000123") and not issued.matches(ADMISSION)
    doctor = portal.world.physician(account=False, qualification=issued)
    with pytest.raises(IdentityMismatch):
        portal.accounts.sign_up(name=doctor.name, id_number=doctor.id_number,
                                login_name="issued", password=PASSWORD, phone="13900006666",
                                qualification_no=ADMISSION)
    with pytest.raises(ValidationError) as error:
        portal.accounts.sign_up(name=doctor.name, id_number=doctor.id_number,
                                login_name="issued", password=PASSWORD, phone="13900006666",
                                qualification_no="１１０")  # full-width digits
    assert error.value.field == "qualification_no"
    with pytest.raises(ValidationError):
        Qualification("", Level.PHYSICIAN, Category.CLINICAL, date(2026, 9, 1))


def test_a_registration_names_the_qualification_by_its_admission_number(
        portal: Portal) -> None:
    doctor = portal.world.physician(qualification=Qualification(
        "", Level.PHYSICIAN, Category.CLINICAL, date(2025, 9, 1), admission_no=ADMISSION))
    registration = portal.world.registration(doctor, portal.world.institution("110105"),
                                             qualification_no=ADMISSION)
    assert registration.qualification_no == ADMISSION


def test_the_code_step_of_a_recovery_does_not_tell_whether_a_login_name_exists(
        portal: Portal) -> None:
    me = portal.verified(portal.physician())
    login = portal.accounts.account(me).login_name
    assert portal.accounts.start_recovery(login) is not None
    assert portal.accounts.start_recovery("nobody") is None

    def answer(name: str, code: str) -> tuple[type, str, str]:
        with pytest.raises(RecoveryCodeRejected) as refused:
            portal.accounts.finish_recovery(name, code, "Another-Passw0rd!")
        error = refused.value  # nothing chained tells the reason either
        assert error.__cause__ is None and (error.__context__ is None or error.__suppress_context__)
        return type(refused.value), str(refused.value), refused.value.label

    wrong = answer(login, "000000")
    assert answer("nobody", "000000") == wrong
    assert answer("nobody-else", "123456") == wrong
    assert wrong[2] == "验证码错误或已失效"
    for _ in range(4):  # the wrong attempts are still counted: the code is exhausted now
        assert answer(login, "000000") == wrong
    assert answer(login, portal.code()) == wrong

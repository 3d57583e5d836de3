"""S-10: every account flow, with DEBUG logging, leaves no full ID number or phone — nor 8 or more
consecutive digits of one — in log records, reprs, strs, errors or outbox reprs."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from portal_kit import PASSWORD, Portal, snapshot

from mdreg import ActivationPath, Actor, Channel, MdregError, RegistrationRequest
from mdreg.domain.model import Institution
from mdreg.testing import World

JPEG = b"\xff\xd8\xff\xe0" + bytes(2000)


class Recorder:
    """Runs portal calls and keeps the text of everything they return or raise."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.errors = 0

    def __call__(self, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            result = call(*args, **kwargs)
        except MdregError as error:
            self.errors += 1
            self.texts += [repr(error), str(error), error.describe(), repr(error.args)]
            return None
        self.texts += [repr(result), str(result)]
        return result


def windows(value: str, size: int = 8) -> Iterator[str]:
    digits = value.replace("X", "")
    for start in range(len(digits) - size + 1):
        yield digits[start:start + size]


def test_s_10_no_personal_number_leaves_any_account_flow(
        portal: Portal, world: World, hospital: Institution, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    run = Recorder()
    accounts = portal.accounts
    inst = Actor.institution(hospital.id, user="人事科")
    run(accounts.configure_institution, inst, departments=["内科", "儿科"], auto_activation=False)
    employed, jobless, approved = portal.physician(), portal.physician(), portal.physician()
    portal.registration(employed, hospital)
    phones = ["13912340001", "13912340002", "13912340003", "13811112222", "15987654321"]
    people = [(employed, phones[0]), (jobless, phones[1]), (approved, phones[2])]

    # sign-up, refused and accepted
    run(accounts.sign_up, name="张冒名", id_number=employed.id_number, login_name="fake1",
        password=PASSWORD, phone=phones[3])
    run(accounts.sign_up, name=employed.name, id_number=employed.id_number.value,
        login_name="weak1", password="12345678", phone=phones[0])
    run(accounts.sign_up, name=employed.name, id_number="360426199101010072", login_name="bad1",
        password=PASSWORD, phone=phones[0])
    run(accounts.sign_up, name=employed.name, id_number=employed.id_number.value,
        login_name="bad2", password=PASSWORD, phone=phones[0][:-1])
    run(accounts.sign_up, name=employed.name, id_number=employed.id_number, login_name="a12345678",
        password=PASSWORD, phone=phones[0])
    for n, (person, phone) in enumerate(people, start=1):
        run(accounts.sign_up, name=person.name, id_number=person.id_number.value,
            login_name=f"doctor{n}", password=PASSWORD, phone=phone, email=f"{phone}@qq.com")
    run(accounts.sign_up, name=employed.name, id_number=employed.id_number.value,
        login_name="again1", password=PASSWORD, phone=phones[0])
    me = [Actor.physician(p.id) for p, _ in people]

    # verification: wrong code, expiry, quota, e-mail fallback
    run(accounts.send_phone_code, me[0])
    run(accounts.verify_phone, me[0], "000000")
    portal.clock.advance(minutes=11)
    run(accounts.verify_phone, me[0], portal.code())
    for _ in range(6):
        run(accounts.send_phone_code, me[0])
    run(accounts.verify_phone, me[0], portal.code())
    run(accounts.send_email_code, me[1])
    run(accounts.verify_email, me[1], portal.code())
    run(accounts.send_phone_code, me[2])
    run(accounts.verify_phone, me[2], portal.code())

    # the four activation paths, and refusals
    run(accounts.issue_activation_code, Actor.institution("I-none"), employed.id)
    run(accounts.activate_with_qualification, me[0], "wrong")
    run(accounts.issue_activation_code, inst, employed.id)  # over the hourly quota
    portal.clock.advance(hours=1)
    run(accounts.issue_activation_code, inst, employed.id)
    run(accounts.activate, me[0], portal.code())
    run(accounts.activate_with_qualification, me[1], jobless.qualifications[0].certificate_no)
    app = run(portal.registry.apply, inst, RegistrationRequest(
        hospital.id, approved.qualifications[0].certificate_no, ("内科专业",)),
        physician_id=approved.id)
    run(world.approve, app)
    run(accounts.refresh, me[2])
    run(portal.registry.apply, Actor.physician(portal.physician().id), RegistrationRequest(
        hospital.id, "Q0", ("内科专业",)))

    # login and security settings
    run(accounts.login, "doctor1", "wrong-password")
    run(accounts.login, "doctor1", PASSWORD)
    run(accounts.change_password, me[0], PASSWORD, "Nw7!pass-word")
    run(accounts.request_phone_change, me[0], "Nw7!pass-word", phones[4])
    run(accounts.confirm_phone_change, me[0], portal.code())
    run(accounts.request_email_change, me[1], PASSWORD, "13811112222@163.com")
    run(accounts.confirm_email_change, me[1], portal.code())
    run(accounts.start_recovery, "doctor2", Channel.EMAIL)
    run(accounts.finish_recovery, "doctor2", "999999", "Rc0very!pass")
    run(accounts.finish_recovery, "doctor2", portal.code(), "Rc0very!pass")

    # views and personal changes
    for actor in me:
        run(accounts.account, actor)
        run(accounts.qualifications, actor)
        run(accounts.practice, actor)
        run(accounts.assessments, actor)
    info = run(accounts.request_info_change, me[0], education="本科", title="主治医师")
    photo = run(accounts.upload_photo, me[0], JPEG)
    dept = run(accounts.choose_department, me[0], "儿科")
    run(accounts.choose_department, me[0], "眼科")
    assert (info, photo, dept) != (None, None, None)
    run(accounts.work_list, inst)
    run(accounts.approve_change, Actor.institution("I-none"), info.id)
    run(accounts.approve_change, inst, info.id)
    run(accounts.reject_change, inst, photo.id, "背景不合格")
    run(accounts.approve_change, inst, dept.id)
    run(accounts.changes, me[0])

    # every outbox repr, audit event, stored row
    run.texts += [repr(m) for m in portal.delivered]
    run.texts += [repr(m) for m in accounts.pending_messages(limit=1000)]
    store = snapshot(portal.registry)
    run.texts += [repr(row) for table in store.values() for row in table.values()]
    run.texts += [str(row) for table in store.values() for row in table.values()]
    log_text = "\n".join(f"{r.name} {r.getMessage()} {r.args!r}" for r in caplog.records)

    assert run.errors >= 12
    paths = {a.physician_id: (a.state, a.activation) for a in store["portal.accounts"].values()}
    assert paths == {employed.id: ("active", ActivationPath.INSTITUTION_CODE),
                     jobless.id: ("active", ActivationPath.QUALIFICATION),
                     approved.id: ("active", ActivationPath.APPROVAL)}
    assert any(r.name == "mdreg.accounts" and r.levelno == logging.DEBUG for r in caplog.records)
    assert store["portal.accounts"] and store["portal.codes"] and store["portal.outbox"]
    text = "\n".join(run.texts) + "\n" + log_text
    personal = [p.id_number.value for p, _ in people] + ["360426199101010072"] + phones
    for number in personal:
        assert number not in text
        leaked = [w for w in windows(number) if w in text]
        assert leaked == [], f"digits of a personal number leaked: {leaked}"
    planted = f"born {employed.id_number.value[6:14]}"  # the check itself catches a birth date
    assert any(w in planted for w in windows(employed.id_number.value))

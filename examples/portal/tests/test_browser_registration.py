"""End to end in Chromium: a newcomer signs up, verifies, activates with the institution's code
and registers in a second province; the institution confirms, the department accepts and
approves; the physician sees the registration and the approval notice. A refusal shows its
reasons and the rules it cites."""

from __future__ import annotations

from datetime import date

import attrs

import mdreg
from mdreg import Actor, Record, RecordKind, RegistrationRequest

from ..demo import NEWCOMERS, PHYSICIAN_LOGINS, STAFF

PASSWORD = "Lk8#vz2!qp"
STAFF_PASSWORD = {user.login_name: user.password for user in STAFF}


def staff(browser, login_name):
    return browser.login(login_name, STAFF_PASSWORD[login_name])


def test_a_newcomer_registers_and_is_approved(browser, served) -> None:
    zhang = NEWCOMERS[0]
    browser.open("/login").screenshot("login")
    browser.click("to-signup").fill(name=zhang.name, id_number=zhang.id_number,
                                    login_name="zhangsan", password=PASSWORD,
                                    phone="13912345678", email="zhangsan@example.com")
    browser.screenshot("signup")
    browser.click("signup")
    assert browser.path == "/me/verify"
    assert zhang.id_number not in browser.driver.page_source

    browser.click("send-sms")
    code = browser.code()
    browser.screenshot("phone")
    browser.open("/me/verify").fill_in("form:has(#sms-code)", code=code).click("verify-sms")
    assert browser.path == "/me/activate"
    assert browser.text("#physician-id") == "P1001"  # what the physician tells the institution
    browser.screenshot("activate")

    staff(browser, "cy_hospital")
    assert browser.path == "/org"
    browser.fill(physician_id="P1001").click("issue-code")
    assert "激活码已发送" in browser.text()
    browser.screenshot("institution")

    browser.login("zhangsan", PASSWORD)
    assert browser.path == "/me/activate"
    code = browser.code()
    browser.open("/me/activate").fill(code=code).click("activate")
    assert browser.path == "/me"
    page = browser.text()
    assert "已激活" in page and "机构激活码" in page
    assert zhang.id_number not in browser.driver.page_source
    assert zhang.id_number[-4:] in page  # the masked ID number, for its owner to recognise
    browser.screenshot("personal")

    browser.open("/me/apply").screenshot("business-types")
    browser.click("apply-registration")
    browser.fill(institution_id="I13001", qualification_no=zhang.qualification_no, scopes="内科专业")
    browser.screenshot("apply-registration")
    browser.click("submit-application")
    application_id = browser.path.rsplit("/", 1)[-1]
    assert browser.text("#state") == "待机构确认"
    assert "医师执业注册申请审核表" in browser.text("body")  # the materials checklist

    browser.open(f"/applications/{application_id}/form")
    assert "医师执业注册业务申请审核表" in browser.text()

    staff(browser, "ca_hospital")
    assert application_id in browser.text("#work-list")
    browser.open(f"/applications/{application_id}").click("event-confirm")
    assert browser.text("#state") == "待受理"

    staff(browser, "ca_officer")
    assert application_id in browser.text("#work-list")
    browser.screenshot("department")
    browser.open(f"/applications/{application_id}").click("event-accept")
    assert "审核中" in browser.text("#state")
    browser.click("event-approve")
    assert browser.text("#state") == "准予注册"

    browser.login("zhangsan", PASSWORD)
    registrations = browser.open("/me").text("#registrations")
    assert "石家庄市长安区示范医院" in registrations and "130000" in registrations
    assert "准予注册" in browser.open("/me/applications").text("#my-applications")
    browser.screenshot("my-applications")
    assert "准予注册决定书" in browser.open(f"/applications/{application_id}").text("#notices")
    browser.screenshot("application")
    assert "准予注册决定书" in browser.open("/phone").text("#messages")


def test_a_refusal_shows_its_reasons_and_rules(browser, served) -> None:
    registry: mdreg.Registry = served.registry
    sun = registry.physician("P1005")
    app = registry.apply(Actor.physician(sun.id), RegistrationRequest(
        "I13001", sun.qualifications[0].certificate_no, ("内科专业",)))
    registry.fire(app.id, "confirm", Actor.institution("I13001"))
    registry.fire(app.id, "accept", Actor.authority("D130102"))
    registry.load(physicians=[attrs.evolve(sun, records=(
        Record(RecordKind.CRIMINAL_SENTENCE, date(2026, 1, 5)),))])

    staff(browser, "ca_officer")
    browser.open(f"/applications/{app.id}")
    browser.fill_in("form[action$='/events/reject']", reason="申请人受刑事处罚，刑罚尚未执行完毕")
    browser.click("event-reject")
    assert browser.text("#state") == "不予注册"

    browser.login("sunqi", PHYSICIAN_LOGINS["sunqi"])
    assert "不予注册" in browser.open("/me/applications").text("#my-applications")
    browser.open(f"/applications/{app.id}")
    refusal = browser.text("#refusal")
    assert "申请人受刑事处罚，刑罚尚未执行完毕" in refusal
    assert "refusal.criminal_punishment" in refusal
    assert "《中华人民共和国医师法》第十六条第二项" in refusal
    notice = browser.text("body")
    assert "医师法" in notice and "行政复议" in notice
    browser.screenshot("refusal")

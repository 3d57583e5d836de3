"""End to end in Chromium: login is required, one physician cannot open another's application,
a form without its CSRF token is refused, and the tenth wrong password is throttled."""

from __future__ import annotations

import pytest

from mdreg import Actor, RegistrationRequest

from ..demo import PHYSICIAN_LOGINS


@pytest.mark.parametrize("path", ["/me", "/me/applications", "/me/security", "/org", "/dept",
                                  "/phone", "/applications/A1"])
def test_pages_without_login_go_to_login(browser, path) -> None:
    assert browser.open(path).path == "/login"


def test_a_physician_cannot_open_another_physicians_application(browser, served) -> None:
    registry = served.registry
    sun = registry.physician("P1005")
    theirs = registry.apply(Actor.physician(sun.id), RegistrationRequest(
        "I11001", sun.qualifications[0].certificate_no, ("内科专业",)))
    notice = registry.fire(theirs.id, "send_back", Actor.institution("I11001"), reason="请补充聘用证明")
    notice_id = registry.notices(notice.id)[0].id

    browser.login("wangwu", PHYSICIAN_LOGINS["wangwu"])
    assert browser.path == "/me"
    for path in (f"/applications/{theirs.id}", f"/applications/{theirs.id}/form",
                 f"/notices/{notice_id}"):
        browser.open(path)
        source = browser.driver.page_source
        assert "未找到" in browser.text()
        assert sun.name not in source and theirs.id not in browser.text("main")
        assert "请补充聘用证明" not in source
    browser.screenshot("not-found")


def test_a_form_without_its_csrf_token_is_refused(browser, served) -> None:
    browser.login("wangwu", PHYSICIAN_LOGINS["wangwu"])
    browser.open("/me/info")
    browser.driver.execute_script(
        "document.querySelectorAll('input[name=csrf_token]').forEach(e => e.remove());")
    browser.fill(education="博士研究生")
    browser.navigating(lambda: browser.driver.execute_script(
        "document.querySelector('form[action=\"/me/info\"]').submit();"))
    assert "CSRF" in browser.text()
    assert not [c for c in served.registry.accounts.changes(Actor.physician("P1004"))
                if c.education == "博士研究生"]


def test_the_tenth_wrong_password_is_throttled(browser) -> None:
    answers = []
    for _ in range(10):
        browser.open("/login").fill(login_name="sunqi", password="not-the-password").click("login")
        answers.append(browser.text("#error"))
    assert "用户名或密码错误" in answers[0]
    assert "登录失败次数过多" in answers[9]
    browser.screenshot("throttled")
    browser.open("/login").fill(login_name="sunqi", password=PHYSICIAN_LOGINS["sunqi"]).click("login")
    assert browser.path == "/login"  # the right password waits too

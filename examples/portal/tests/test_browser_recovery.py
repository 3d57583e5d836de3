"""End to end in Chromium: 忘记密码 from the login page — the login name, the code on the demo
phone of the recovery, the code and a new password, and a login with the new password."""

from __future__ import annotations

import re

from ..demo import PHYSICIAN_LOGINS

NEW = "Hq5&mv8!tr"


def test_a_forgotten_password_is_recovered_through_the_demo_phone(browser) -> None:
    browser.open("/login").click("to-recover")
    assert browser.path == "/recover"
    browser.fill(login_name="wangwu").screenshot("recover")
    browser.click("send-recovery")
    assert browser.path == "/recover/verify"
    assert "验证码已发送" in browser.text()

    browser.click("to-recovery-phone")
    assert browser.path == "/recover/phone"
    messages = browser.text("#messages")
    found = re.findall(r"您正在找回密码，验证码：(\d{6})", messages)
    assert len(found) == 1, messages  # only this recovery's code, nothing else of the account
    browser.screenshot("recover-phone")

    browser.click("back-to-reset").fill(code=found[0], new_password=NEW, new_password2=NEW)
    browser.screenshot("recover-verify")
    browser.click("reset-password")
    assert browser.path == "/login"
    assert "密码已重新设置，请使用新密码登录" in browser.text()

    browser.fill(login_name="wangwu", password=PHYSICIAN_LOGINS["wangwu"]).click("login")
    assert browser.path == "/login"
    assert "用户名或密码错误" in browser.text("#error")
    browser.fill(login_name="wangwu", password=NEW).click("login")
    assert browser.path == "/me"

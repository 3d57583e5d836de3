"""找回密码 in-process (FastAPI's TestClient): an unknown login name is answered like a known one,
a wrong code is refused with its field, the recovery session's demo phone shows only the account's
own codes, and the new password logs in while the old one does not."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

import mdreg

from ..demo import PHYSICIAN_LOGINS
from ..serve import demo_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CODE = re.compile(r"您正在找回密码，验证码：(\d{6})")
NEW = "Hq5&mv8!tr"


@pytest.fixture
def app():
    return demo_app("memory://", settings=mdreg.SecuritySettings.for_tests())


def client_of(app) -> TestClient:
    return TestClient(app, base_url="http://127.0.0.1")


def token(client: TestClient, path: str) -> str:
    return CSRF.search(client.get(path).text).group(1)


def recover(client: TestClient, login_name: str, channel: str = "sms"):
    return client.post("/recover", data={"csrf_token": token(client, "/recover"),
                                         "login_name": login_name, "channel": channel},
                       follow_redirects=False)


def reset(client: TestClient, code: str, password: str = NEW, again: str | None = None):
    return client.post("/recover/verify", data={
        "csrf_token": token(client, "/recover/verify"), "code": code, "new_password": password,
        "new_password2": password if again is None else again}, follow_redirects=False)


def codes(client: TestClient) -> list[str]:
    return CODE.findall(client.get("/recover/phone").text)


def login(client: TestClient, login_name: str, password: str):
    return client.post("/login", data={"csrf_token": token(client, "/login"),
                                       "login_name": login_name, "password": password},
                       follow_redirects=False)


def main_of(page: str, login_name: str) -> str:
    """The page's content without the login name the user typed and the CSRF token."""
    main = page[page.index("<main>"):page.index("</main>")]
    return CSRF.sub("", main).replace(login_name, "NAME")


def test_the_login_page_links_to_recovery_and_both_forms_need_their_token(app) -> None:
    client = client_of(app)
    assert 'href="/recover"' in client.get("/login").text
    assert client.post("/recover", data={"login_name": "wangwu"}).status_code == 403
    malformed = recover(client, "x" * 300)
    assert malformed.status_code == 400 and '<span class="field">用户名</span>' in malformed.text
    recover(client, "wangwu")
    assert client.post("/recover/verify", data={
        "code": "123456", "new_password": NEW, "new_password2": NEW}).status_code == 403


def test_an_unknown_login_name_is_answered_like_a_known_one(app) -> None:
    known, unknown = client_of(app), client_of(app)
    sent = []
    for _ in range(6):  # the sixth code to wangwu's phone in the hour is over mdreg's quota
        answers = [recover(known, "wangwu"), recover(unknown, "wangwu9")]
        assert [a.status_code for a in answers] == [303, 303]
        assert answers[0].headers["location"] == answers[1].headers["location"] == "/recover/verify"
        pages = [known.get("/recover/verify").text, unknown.get("/recover/verify").text]
        assert main_of(pages[0], "wangwu") == main_of(pages[1], "wangwu9")
        assert "如该用户名存在且所选联系方式已验证，验证码已发送" in pages[0]
        sent.append(len(codes(known)))
        assert codes(unknown) == []
    assert sent[-1] == 0 and sent[0] == 1  # the quota was reached, and answered alike
    assert "暂无消息" in unknown.get("/recover/phone").text
    # an e-mail the account never verified is answered alike, and sends nothing
    assert recover(client_of(app), "sunqi", "email").headers["location"] == "/recover/verify"


def test_a_wrong_code_is_refused_with_its_field_and_a_mismatch_with_its_own(app) -> None:
    client = client_of(app)
    recover(client, "sunqi")
    (code,) = codes(client)
    wrong = "000000" if code != "000000" else "111111"
    answer = reset(client, wrong)
    assert answer.status_code == 400
    assert "验证码错误或已失效" in answer.text  # the same words for a login name no account has
    assert '<span class="field">验证码</span>' in answer.text
    assert "attempt(s) left" not in answer.text
    assert NEW not in answer.text
    differ = reset(client, code, again=NEW + "x")
    assert differ.status_code == 400
    assert "确认新密码" in differ.text
    weak = reset(client, code, password="password123")
    assert weak.status_code == 400
    assert "强度不足" in weak.text and '<span class="field">密码</span>' in weak.text
    assert login(client, "sunqi", PHYSICIAN_LOGINS["sunqi"]).headers["location"] == "/me"


def test_an_unknown_login_name_has_no_code_to_enter(app) -> None:
    client = client_of(app)
    recover(client, "nobody")
    answer = reset(client, "123456")
    assert answer.status_code == 400
    assert '<span class="field">验证码</span>' in answer.text


def test_the_recovery_sessions_phone_shows_only_that_accounts_codes(app) -> None:
    wang, sun, stranger = client_of(app), client_of(app), client_of(app)
    recover(wang, "wangwu")
    recover(sun, "sunqi")
    recover(stranger, "nobody")
    assert len(codes(wang)) == len(codes(sun)) == 1
    assert codes(wang) != codes(sun)
    page = wang.get("/recover/phone").text
    assert "13900001005" not in page and codes(sun)[0] not in page
    # nothing else that reached wangwu's phone: not the demo's verification and activation codes
    assert "验证码" in page and "激活" not in page and "验证手机号" not in page
    assert "暂无消息" in stranger.get("/recover/phone").text
    # without a recovery in progress there is no phone: back to the start
    nobody = client_of(app)
    assert nobody.get("/recover/phone", follow_redirects=False).headers["location"] == "/recover"
    assert nobody.get("/phone", follow_redirects=False).headers["location"] == "/login"


def test_the_new_password_logs_in_and_the_old_one_does_not(app) -> None:
    client = client_of(app)
    assert recover(client, "WangWu").status_code == 303  # login names ignore case
    (code,) = codes(client)
    done = reset(client, code)
    assert done.status_code == 303 and done.headers["location"] == "/login"
    assert "密码已重新设置，请使用新密码登录" in client.get("/login").text
    assert client.get("/recover/verify", follow_redirects=False).headers["location"] == "/recover"
    assert login(client_of(app), "wangwu", PHYSICIAN_LOGINS["wangwu"]).status_code == 401
    assert login(client_of(app), "wangwu", NEW).headers["location"] == "/me"
    # the code was used once
    again = client_of(app)
    recover(again, "wangwu")
    assert reset(again, code).status_code == 400

"""The portal in-process (FastAPI's TestClient): sessions, CSRF, scoping, errors on forms, and the
JSON API."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

import mdreg
from mdreg import Actor

from ..demo import NEWCOMERS, PHYSICIAN_LOGINS, STAFF
from ..serve import demo_app

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="module")
def app():
    return demo_app("memory://", settings=mdreg.SecuritySettings.for_tests())


@pytest.fixture
def client(app):
    return TestClient(app, base_url="http://127.0.0.1")


def token(client: TestClient, path: str = "/login") -> str:
    return CSRF.search(client.get(path).text).group(1)


def login(client: TestClient, login_name: str, password: str):
    return client.post("/login", data={"csrf_token": token(client), "login_name": login_name,
                                       "password": password}, follow_redirects=False)


def test_the_session_cookie_is_httponly_and_samesite(client) -> None:
    answer = login(client, "wangwu", PHYSICIAN_LOGINS["wangwu"])
    assert answer.status_code == 303
    assert answer.headers["location"] == "/me"
    cookie = answer.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=strict" in cookie
    assert PHYSICIAN_LOGINS["wangwu"].lower() not in cookie


def test_a_login_form_without_its_token_is_refused(client) -> None:
    answer = client.post("/login", data={"login_name": "wangwu", "password": PHYSICIAN_LOGINS["wangwu"]})
    assert answer.status_code == 403
    assert "CSRF" in answer.text


def test_a_bad_id_number_is_shown_with_its_field_and_never_echoed(client) -> None:
    zhang = NEWCOMERS[0]
    wrong = zhang.id_number[:-1] + ("0" if zhang.id_number[-1] != "0" else "1")
    answer = client.post("/signup", data={
        "csrf_token": token(client, "/signup"), "name": zhang.name, "id_number": wrong,
        "login_name": "zhangsan2", "password": "Lk8#vz2!qp", "phone": "13912345670"})
    assert answer.status_code == 400
    assert "身份证号" in answer.text
    assert "check digit" in answer.text
    assert wrong not in answer.text
    assert "Lk8#vz2!qp" not in answer.text


def test_staff_pages_are_for_staff_and_staff_logins_are_throttled(client) -> None:
    hospital = next(u for u in STAFF if u.login_name == "cy_hospital")
    assert login(client, hospital.login_name, hospital.password).headers["location"] == "/org"
    assert client.get("/dept").status_code == 403
    assert client.get("/me", follow_redirects=False).status_code == 403
    answers = [login(client, "cy_center", "wrong-password").status_code for _ in range(6)]
    assert answers == [401] * 5 + [429]
    centre = next(u for u in STAFF if u.login_name == "cy_center")
    assert login(client, "cy_center", centre.password).status_code == 429


def test_the_api_submits_and_decides_with_etags(app, client) -> None:
    session = client.post("/api/session", json={"login_name": "sunqi",
                                                "password": PHYSICIAN_LOGINS["sunqi"]})
    assert session.status_code == 200
    csrf = session.json()["csrf_token"]
    sun = app.state.portal.registry.physician("P1005")
    body = {"business": "registration", "fields": {
        "institution_id": "I11001", "qualification_no": sun.qualifications[0].certificate_no,
        "scopes": ["内科专业"]}}
    assert client.post("/api/applications", json=body).status_code == 403  # no CSRF header
    created = client.post("/api/applications", json=body, headers={"X-CSRF-Token": csrf})
    assert created.status_code == 201
    assert created.json()["state"] == "pending_institution"
    app_id, etag = created.json()["id"], created.headers["ETag"]

    officer = TestClient(app, base_url="http://127.0.0.1")
    hospital = next(u for u in STAFF if u.login_name == "cy_hospital")
    csrf2 = officer.post("/api/session", json={"login_name": hospital.login_name,
                                               "password": hospital.password}).json()["csrf_token"]
    assert app_id in [i["application"]["id"] for i in officer.get("/api/work-list").json()]
    confirmed = officer.post(f"/api/applications/{app_id}/events/confirm", json={},
                             headers={"X-CSRF-Token": csrf2, "If-Match": etag})
    assert confirmed.status_code == 200
    assert confirmed.json()["state_label"] == "待受理"
    stale = officer.post(f"/api/applications/{app_id}/events/send_back", json={"reason": "x"},
                         headers={"X-CSRF-Token": csrf2, "If-Match": etag})
    assert stale.status_code == 409

    other = TestClient(app, base_url="http://127.0.0.1")
    other.post("/api/session", json={"login_name": "wangwu", "password": PHYSICIAN_LOGINS["wangwu"]})
    hidden = other.get(f"/api/applications/{app_id}")
    assert hidden.status_code == 404
    assert "P1005" not in hidden.text
    assert client.get(f"/api/applications/{app_id}").json()["state"] == "pending_acceptance"


def test_an_ineligible_submission_lists_every_rule_with_its_citation(app, client) -> None:
    login(client, "wangwu", PHYSICIAN_LOGINS["wangwu"])
    wang = app.state.portal.registry.physician("P1004")
    page = client.post("/me/apply/registration", data={
        "csrf_token": token(client, "/me/apply/registration"), "institution_id": "I11002",
        "qualification_no": wang.qualifications[0].certificate_no, "scopes": "内科专业"})
    assert page.status_code == 422
    assert "practice_location.one_primary_institution" in page.text
    assert "医师" in page.text


def test_the_openapi_document_lists_the_api(client) -> None:
    paths = client.get("/api/openapi.json").json()["paths"]
    assert {"/api/session", "/api/applications", "/api/applications/{application_id}",
            "/api/applications/{application_id}/events/{event}", "/api/work-list"} <= set(paths)


def test_an_institution_approves_a_personal_change(app, client) -> None:
    registry = app.state.portal.registry
    registry.accounts.request_info_change(Actor.physician("P1004"), title="主治医师")
    hospital = next(u for u in STAFF if u.login_name == "cy_hospital")
    login(client, hospital.login_name, hospital.password)
    org = client.get("/org").text
    change = re.search(r'/org/changes/([^/]+)/approve', org).group(1)
    done = client.post(f"/org/changes/{change}/approve", data={"csrf_token": CSRF.search(org).group(1)})
    assert "已审核通过" in done.text
    assert registry.accounts.practice(Actor.physician("P1004")).info.title == "主治医师"


def test_any_business_type_has_a_form(client) -> None:
    login(client, "wangwu", PHYSICIAN_LOGINS["wangwu"])
    for kind in mdreg.BusinessType:
        page = client.get(f"/me/apply/{kind.value}")
        assert page.status_code == 200, kind
        assert kind.label in page.text
    assert client.get("/me/apply/nonsense").status_code == 404


def test_a_send_back_reaches_the_physician(app, client) -> None:
    registry = app.state.portal.registry
    login(client, "wangwu", PHYSICIAN_LOGINS["wangwu"])
    wang = registry.physician("P1004")
    app_id = registry.apply(Actor.physician(wang.id), mdreg.CancellationRequest(
        "R1004", mdreg.CancellationGround.OWN_REQUEST, registry.clock.now().date())).id
    registry.fire(app_id, "send_back", Actor.institution("I11001"), reason="请写明原因")
    assert "请写明原因" in client.get(f"/applications/{app_id}").text
    assert "机构退回通知" in client.get("/phone").text


def test_the_personal_page_shows_every_kind_of_information(client) -> None:
    login(client, "wangwu", PHYSICIAN_LOGINS["wangwu"])
    page = client.get("/me").text
    for part in ("基本信息", "资格信息", "执业信息", "考核信息", "2021-2023", "合格", "北京市朝阳区示范医院"):
        assert part in page, part
    assert "*******1004" in page
    assert "13900001004" not in page

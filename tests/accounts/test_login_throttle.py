"""Login throttling per login name and per source (OWASP ASVS V2.2.1), and the account
commands' inputs refused at the boundary with a ValidationError naming the field."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from portal_kit import PASSWORD, Portal

import mdreg
from mdreg import Actor, FakeClock, LoginThrottle, LoginThrottled, SecuritySettings
from mdreg.errors import AuthenticationFailed, InsecureConfiguration, ValidationError
from mdreg.service.accounts import Accounts
from mdreg.testing import World

RULE = LoginThrottle()  # the defaults: 5 failures in 15 minutes lock for 15 minutes, doubling


def _signed_up(portal: Portal, login: str = "throttled1") -> Actor:
    doctor = portal.physician()
    portal.sign_up(doctor, login=login)
    return Actor.physician(doctor.id)


def _fail(portal: Portal, login: str, times: int, **kw: Any) -> list[str]:
    outcomes = []
    for _ in range(times):
        try:
            portal.accounts.login(login, "Wrong#pass1", **kw)
            outcomes.append("ok")
        except AuthenticationFailed as error:
            outcomes.append(type(error).__name__)
    return outcomes


def test_the_fifth_failure_locks_and_the_right_password_waits(portal: Portal) -> None:
    _signed_up(portal)
    assert _fail(portal, "throttled1", 6) == ["AuthenticationFailed"] * 5 + ["LoginThrottled"]
    with pytest.raises(LoginThrottled) as refused:
        portal.accounts.login("Throttled1", PASSWORD)  # the login name is case-folded
    assert refused.value.retry_after == portal.clock.now() + RULE.lockout
    assert refused.value.label == "登录失败次数过多，请稍后再试"
    assert "throttled1" not in str(refused.value).casefold()
    portal.clock.advance(minutes=15)
    assert portal.accounts.login("throttled1", PASSWORD).login_name == "throttled1"


def test_a_success_clears_the_count_and_lockouts_double(portal: Portal) -> None:
    _signed_up(portal)
    _fail(portal, "throttled1", 4)
    portal.accounts.login("throttled1", PASSWORD)
    assert _fail(portal, "throttled1", 5)[-1] == "AuthenticationFailed"  # counted from zero
    assert _fail(portal, "throttled1", 1) == ["LoginThrottled"]
    portal.clock.advance(minutes=15)
    _fail(portal, "throttled1", 5)  # the second lockout lasts 30 minutes
    portal.clock.advance(minutes=29)
    assert _fail(portal, "throttled1", 1) == ["LoginThrottled"]
    portal.clock.advance(minutes=1)
    assert portal.accounts.login("throttled1", PASSWORD).login_name == "throttled1"


def test_failures_outside_the_window_start_a_new_count(portal: Portal) -> None:
    _signed_up(portal)
    _fail(portal, "throttled1", 4)
    portal.clock.advance(minutes=15)
    assert _fail(portal, "throttled1", 4) == ["AuthenticationFailed"] * 4
    assert portal.accounts.login("throttled1", PASSWORD).login_name == "throttled1"


def test_unknown_login_names_get_the_same_answers(portal: Portal) -> None:
    _signed_up(portal)
    known = _fail(portal, "throttled1", 7)
    unknown = _fail(portal, "nobody-here", 7)
    assert known == unknown == ["AuthenticationFailed"] * 5 + ["LoginThrottled"] * 2


def test_a_source_is_locked_after_its_own_attempts(portal: Portal) -> None:
    _signed_up(portal)
    names = [f"guess{n}" for n in range(RULE.source_attempts)]
    for name in names:  # one failure per name: no login name is locked
        assert _fail(portal, name, 1, source="203.0.113.7") == ["AuthenticationFailed"]
    assert _fail(portal, "throttled1", 1, source="203.0.113.7") == ["LoginThrottled"]
    assert portal.accounts.login("throttled1", PASSWORD, source="198.51.100.1")


def test_refusals_are_audited_without_the_password_or_the_source(
        portal: Portal, caplog: pytest.LogCaptureFixture) -> None:
    me = _signed_up(portal)
    with caplog.at_level(logging.INFO, logger="mdreg"):
        _fail(portal, "throttled1", 6, source="203.0.113.7")
    trail = portal.registry.trail(portal.accounts.account(me).id)
    refused = [e for e in trail if e.event == "login_refused"]
    assert [e.data["reason"] for e in refused] == [["wrong_password"]] * 5 + [["throttled"]]
    text = repr(refused) + caplog.text
    for secret in ("Wrong#pass1", "203.0.113.7", "throttled1", portal.phone(1)):
        assert secret not in text
    with portal.registry.services.uow() as uow:  # the stored keys are keyed hashes
        keys = [portal.accounts.settings.throttle_key(s, v) for s, v in
                (("login", "throttled1"), ("source", "203.0.113.7"))]
        assert all(uow.login_attempts.get(key) is not None for key in keys)


@pytest.mark.parametrize("rule", [
    {"attempts": 0}, {"attempts": 10, "source_attempts": 5}, {"window": timedelta(0)},
    {"lockout": timedelta(minutes=30), "max_lockout": timedelta(minutes=10)},
    {"attempts": 40},
])
def test_a_lax_throttle_is_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(InsecureConfiguration):
        LoginThrottle(**rule)


# -- the boundary: every account command's text inputs -----------------------------------------

BAD_TEXT = [None, 13800138000, b"doctor7", "x" * 10_000, "doc\x00tor7", "doc\ntor7",
            "doc\ud800tor7"]
BAD_IDS = ["none", "int", "bytes", "huge", "nul", "newline", "surrogate"]


@pytest.mark.parametrize("value", BAD_TEXT, ids=BAD_IDS)
@pytest.mark.parametrize(("field", "label"), [
    ("login_name", "用户名"), ("password", "密码"), ("name", "姓名"), ("phone", "手机号"),
    ("email", "邮箱"),
])
def test_sign_up_refuses_malformed_inputs_naming_the_field(
        portal: Portal, world: World, field: str, label: str, value: object) -> None:
    if value is None and field == "email":
        pytest.skip("no e-mail address is allowed")
    doctor = portal.physician()
    given: dict[str, Any] = {"name": doctor.name, "id_number": doctor.id_number,
                             "login_name": "doctor7", "password": PASSWORD,
                             "phone": "13912340001", "email": "d7@example.com"}
    given[field] = value
    with pytest.raises(ValidationError) as refused:
        portal.accounts.sign_up(**given)
    assert (refused.value.field, refused.value.field_label) == (field, label)
    assert refused.value.describe().startswith(label)
    with portal.registry.services.uow() as uow:
        assert uow.accounts.for_physician(doctor.id) is None
        assert uow.accounts.by_login("None") is None


@pytest.mark.parametrize("value", BAD_TEXT, ids=BAD_IDS)
@pytest.mark.parametrize("field", ["login_name", "password", "source"])
def test_login_refuses_malformed_inputs_naming_the_field(portal: Portal, field: str,
                                                         value: object) -> None:
    if value is None and field == "source":
        pytest.skip("no source is allowed")
    _signed_up(portal)
    given: dict[str, Any] = {"login_name": "throttled1", "password": PASSWORD, "source": "x"}
    given[field] = value
    with pytest.raises(ValidationError) as refused:
        portal.accounts.login(**given)
    assert refused.value.field == field
    assert portal.accounts.login("throttled1", PASSWORD)  # nothing was counted


@pytest.mark.parametrize("value", BAD_TEXT, ids=BAD_IDS)
def test_recovery_refuses_malformed_login_names(portal: Portal, value: object) -> None:
    with pytest.raises(ValidationError) as refused:
        portal.accounts.start_recovery(value)  # type: ignore[arg-type]
    assert (refused.value.field, refused.value.field_label) == ("login_name", "用户名")
    with pytest.raises(ValidationError) as refused:
        portal.accounts.finish_recovery(value, "123456", "Nw7#kq2!vm")  # type: ignore[arg-type]
    assert refused.value.field == "login_name"


# -- stale counters are purged -------------------------------------------------------------------


def _counters(portal: Portal) -> int:
    """How many counters are stored: a purge of every one, in a unit that is rolled back."""
    with portal.registry.services.uow() as uow:
        return uow.login_attempts.purge(portal.clock.now() + timedelta(days=3650))


def test_purging_keeps_a_running_lockout_and_forgets_a_quiet_counter(portal: Portal) -> None:
    _signed_up(portal)
    _fail(portal, "throttled1", 5, source="198.51.100.4")  # the name locked for 15 minutes
    _fail(portal, "stranger", 2, source="198.51.100.5")  # counted, not locked
    assert portal.accounts.purge_login_counters() == 0
    assert _fail(portal, "throttled1", 1) == ["LoginThrottled"]
    portal.clock.advance(days=1)
    assert portal.accounts.purge_login_counters() == 0  # failures a day old, to the second
    portal.clock.advance(seconds=1)
    assert _counters(portal) == 4  # two login names, two sources
    assert portal.accounts.purge_login_counters() == 3  # not the name whose lockout ran later
    portal.clock.advance(minutes=15)
    assert portal.accounts.purge_login_counters() == 1  # its lockout ended a day ago
    assert _counters(portal) == 0
    assert portal.accounts.login("throttled1", PASSWORD).login_name == "throttled1"
    assert portal.accounts.purge_login_counters(portal.clock.now()) == 0


def test_purging_takes_an_aware_time_only(portal: Portal) -> None:
    with pytest.raises(ValidationError) as refused:
        portal.accounts.purge_login_counters(portal.clock.now().replace(tzinfo=None))
    assert refused.value.field == "now"


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.lists(st.tuples(st.sampled_from(("wrong", "burst", "right", "other")),
                          st.sampled_from((0, 0, 0, 1, 14, 16, 31, 120, 1439, 1441, 2880))),
                max_size=40))
def test_purging_never_changes_an_answer(steps: list[tuple[str, int]]) -> None:
    """Two portals get the same logins at the same times; one purges before each: every
    answer, and every ``retry_after``, is the same."""
    answers: list[list[str]] = []
    for purging in (False, True):
        clock = FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
        registry = mdreg.open("memory://", clock=clock)
        accounts = Accounts(registry, settings=SecuritySettings.for_tests())
        doctor = World(registry).physician(account=False, name="王五")
        accounts.sign_up(name="王五", id_number=doctor.id_number, login_name="wangwu",
                         password=PASSWORD, phone="13912345670")
        seen = []
        for what, minutes in steps:
            clock.advance(minutes=minutes)
            if purging:
                accounts.purge_login_counters()
            login = "stranger" if what == "other" else "wangwu"
            for _ in range(6 if what == "burst" else 1):  # a burst runs into a lockout
                try:
                    accounts.login(login, PASSWORD if what == "right" else "Wrong#pass1",
                                   source="203.0.113.9")
                    seen.append("ok")
                except LoginThrottled as locked:
                    seen.append(f"throttled until {locked.retry_after}")
                except AuthenticationFailed:
                    seen.append("refused")
        answers.append(seen)
    assert answers[0] == answers[1]

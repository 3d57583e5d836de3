"""Security figures of RELIABILITY.md C.4 for accounts and one-time codes (single process):
S-01, S-03/S-04 in one process, S-05 … S-09, S-14, and the password rules."""

from __future__ import annotations

import ast
import hmac
import re
import secrets
from collections import Counter
from datetime import timedelta
from pathlib import Path

import argon2
import pytest
from portal_kit import PASSWORD, Portal, dump, snapshot, strict_codes

import mdreg.infra.security
from mdreg import (
    Actor,
    AuthenticationFailed,
    CodeAlreadyUsed,
    CodeExhausted,
    CodeExpired,
    CodeMismatch,
    CodeRejected,
    HashProfile,
    InMemoryPhotoStore,
    NoActiveCode,
    QuotaExceeded,
    SecuritySettings,
    WeakPassword,
)
from mdreg.domain.account import CodeHash, CodePurpose
from mdreg.errors import InsecureConfiguration
from mdreg.infra.security import (
    DAILY_SUCCESS_CEILING,
    PRODUCTION_HASHING,
    TEST_HASHING,
    CodeHasher,
    CodePolicy,
    Passwords,
    check_password_strength,
    generate_code,
)
from mdreg.service.accounts import Accounts
from mdreg.testing import World

SRC = Path(mdreg.__file__).resolve().parent
CHI2_CRITICAL_9DOF_P001 = 27.877


def _registered(portal: Portal) -> Actor:
    doctor = portal.physician()
    portal.sign_up(doctor)
    return Actor.physician(doctor.id)


# -- S-01: code lifetime ---------------------------------------------------------------------------


@pytest.mark.parametrize(("elapsed", "accepted"), [
    (timedelta(minutes=9, seconds=59, milliseconds=999), True),
    (timedelta(minutes=10), False),
], ids=["accepted_at_9m59.999s", "refused_at_10m00.000s"])
def test_s_01_a_code_lives_at_most_ten_minutes(portal: Portal, elapsed: timedelta,
                                               accepted: bool) -> None:
    me = _registered(portal)
    portal.accounts.send_phone_code(me)
    code = portal.code()
    portal.clock.advance(seconds=elapsed.total_seconds())
    if accepted:
        assert portal.accounts.verify_phone(me, code).state == "verified"
    else:
        with pytest.raises(CodeExpired):
            portal.accounts.verify_phone(me, code)
        assert portal.accounts.account(me).state == "registered"


@pytest.mark.parametrize("ttl", [timedelta(minutes=10, microseconds=1), timedelta(hours=1),
                                 timedelta(0)])
def test_s_01_a_lifetime_above_ten_minutes_is_refused(ttl: timedelta) -> None:
    with pytest.raises(InsecureConfiguration):
        CodePolicy(ttl=ttl)


# -- attempts (S-03 in one process) and single use (S-02 in one process) ------------------------------


def test_five_wrong_attempts_invalidate_the_code(portal: Portal) -> None:
    me = _registered(portal)
    portal.accounts.send_phone_code(me)
    code = portal.code()
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    left = []
    for _ in range(5):
        with pytest.raises(CodeMismatch) as err:
            portal.accounts.verify_phone(me, wrong)
        left.append(err.value.attempts_left)
    assert left == [4, 3, 2, 1, 0]
    with pytest.raises(CodeExhausted):
        portal.accounts.verify_phone(me, code)  # the correct code, too late
    assert portal.accounts.account(me).state == "registered"
    (row,) = snapshot(portal.registry)["portal.codes"].values()
    assert (row.attempts, row.status.value) == (5, "exhausted")


def test_a_code_is_single_use(portal: Portal) -> None:
    me = _registered(portal)
    portal.accounts.request_phone_change(me, PASSWORD, "13812345678")
    code = portal.code()
    portal.accounts.confirm_phone_change(me, code)
    with pytest.raises(CodeAlreadyUsed):
        portal.accounts.confirm_phone_change(me, code)


def test_a_new_code_supersedes_the_previous_one(portal: Portal) -> None:
    me = _registered(portal)
    portal.accounts.send_phone_code(me)
    first = portal.code()
    portal.accounts.send_phone_code(me)
    second = portal.code()
    if first != second:
        with pytest.raises(CodeMismatch):
            portal.accounts.verify_phone(me, first)
    assert portal.accounts.verify_phone(me, second).state == "verified"


def test_no_code_sent_is_no_active_code(portal: Portal) -> None:
    me = _registered(portal)
    with pytest.raises(NoActiveCode):
        portal.accounts.verify_phone(me, "123456")


# -- S-04 in one process / S-14: quotas and the brute-force budget ---------------------------------------


def test_send_quota_per_phone_per_hour_then_reset(portal: Portal) -> None:
    me = _registered(portal)
    for _ in range(5):
        portal.accounts.send_phone_code(me)
    with pytest.raises(QuotaExceeded) as err:
        portal.accounts.send_phone_code(me)
    assert (err.value.limit, err.value.window) == (5, "hour")
    assert len(portal.accounts.pending_messages()) == 5
    portal.clock.advance(hours=1)
    for _ in range(5):
        portal.accounts.send_phone_code(me)
    with pytest.raises(QuotaExceeded) as err:
        portal.accounts.send_phone_code(me)
    assert err.value.window == "day"
    portal.clock.advance(days=1)
    portal.accounts.send_phone_code(me)


def test_the_quota_counts_the_phone_not_the_account(portal: Portal) -> None:
    me = _registered(portal)
    account = portal.accounts.account(me)
    for _ in range(5):
        portal.accounts.request_phone_change(me, PASSWORD, "13812345678")
    with pytest.raises(QuotaExceeded):
        portal.accounts.request_phone_change(me, PASSWORD, "+86 138 1234 5678")
    assert portal.accounts.send_phone_code(me).to.endswith(account.phone.national[-4:])  # type: ignore[union-attr]


def test_s_14_brute_force_budget_of_the_default_configuration() -> None:
    policy = CodePolicy()
    assert policy.max_daily_success_probability() == 5 * 10 / 1_000_000
    assert policy.max_daily_success_probability() <= DAILY_SUCCESS_CEILING


@pytest.mark.parametrize("settings", [
    {"sends_per_day": 30}, {"max_attempts": 6}, {"sends_per_hour": 0},
    {"max_attempts": 5, "sends_per_day": 21},
])
def test_s_14_configurations_above_the_ceiling_are_refused_when_built(settings: dict[str, int]) -> None:
    with pytest.raises(InsecureConfiguration):
        CodePolicy(**settings)  # type: ignore[arg-type]


def test_a_stricter_configuration_is_accepted(world: World) -> None:
    settings = strict_codes(ttl=timedelta(minutes=5), max_attempts=3, sends_per_day=3)
    facade = Accounts(world.registry, settings=settings, photos=InMemoryPhotoStore())
    assert facade.settings.codes.max_daily_success_probability() == 9e-06


# -- S-05: purpose binding ---------------------------------------------------------------------------


def _issue(portal: Portal, me: Actor, purpose: CodePurpose) -> str:
    accounts = portal.accounts
    {
        CodePurpose.VERIFY_PHONE: lambda: accounts.send_phone_code(me),
        CodePurpose.VERIFY_EMAIL: lambda: accounts.send_email_code(me),
        CodePurpose.CHANGE_PHONE: lambda: accounts.request_phone_change(me, PASSWORD, "13812345678"),
        CodePurpose.CHANGE_EMAIL: lambda: accounts.request_email_change(me, PASSWORD, "new@example.com"),
    }[purpose]()
    return portal.code()


def _redeem(portal: Portal, me: Actor, purpose: CodePurpose, code: str) -> None:
    accounts = portal.accounts
    {
        CodePurpose.VERIFY_PHONE: lambda: accounts.verify_phone(me, code),
        CodePurpose.VERIFY_EMAIL: lambda: accounts.verify_email(me, code),
        CodePurpose.CHANGE_PHONE: lambda: accounts.confirm_phone_change(me, code),
        CodePurpose.CHANGE_EMAIL: lambda: accounts.confirm_email_change(me, code),
    }[purpose]()


PURPOSES = [CodePurpose.VERIFY_PHONE, CodePurpose.VERIFY_EMAIL, CodePurpose.CHANGE_PHONE,
            CodePurpose.CHANGE_EMAIL]
PAIRS = [(a, b) for a in PURPOSES for b in PURPOSES if a is not b]


@pytest.mark.parametrize(("issued", "presented"), PAIRS, ids=[f"{a}->{b}" for a, b in PAIRS])
def test_s_05_a_code_never_serves_another_purpose(portal: Portal, issued: CodePurpose,
                                                  presented: CodePurpose) -> None:
    me = _registered(portal)
    code = _issue(portal, me, issued)
    before = portal.accounts.account(me)
    with pytest.raises(CodeRejected):
        _redeem(portal, me, presented, code)  # nothing outstanding for that purpose
    other = _issue(portal, me, presented)
    if other != code:
        with pytest.raises(CodeMismatch):
            _redeem(portal, me, presented, code)
    assert portal.accounts.account(me) == before


def test_s_05_the_hash_binds_purpose_and_account() -> None:
    hasher = CodeHasher(secrets.token_bytes(32))
    stored = hasher.hash("424242", purpose="verify_phone", subject="U1|13912340001")
    assert hasher.verify(stored, "424242", purpose="verify_phone", subject="U1|13912340001")
    for purpose, subject in [("change_phone", "U1|13912340001"), ("verify_phone", "U2|13912340001"),
                             ("verify_phone", "U1|13912340002")]:
        assert not hasher.verify(stored, "424242", purpose=purpose, subject=subject)
    assert not CodeHasher(secrets.token_bytes(32)).verify(
        stored, "424242", purpose="verify_phone", subject="U1|13912340001")


# -- S-06: no plaintext code at rest -------------------------------------------------------------------


def test_s_06_no_plaintext_code_in_the_store_after_1000_codes(
        portal: Portal, world: World) -> None:
    hospital = world.institution("110105")
    codes: list[str] = []
    actors = []
    doctors = [portal.physician() for _ in range(100)]
    for doctor in doctors:
        portal.registration(doctor, hospital)
    standalone = r"(?<![0-9A-Za-z])\d{6}(?![0-9A-Za-z])"
    background = set(re.findall(standalone, dump(portal.registry)))  # division codes, …
    for doctor in doctors:
        actors.append((doctor, portal.verified(doctor)))
        codes.append(portal.code())
    institution = Actor.institution(hospital.id)
    for _ in range(4):
        for doctor, me in actors:
            portal.accounts.issue_activation_code(institution, doctor.id)  # activation codes
            portal.accounts.request_email_change(me, PASSWORD, f"next.{doctor.id}@example.com")
            portal.clock.advance(seconds=1)
        portal.clock.advance(hours=1)
    for doctor, _ in actors:
        portal.accounts.issue_activation_code(institution, doctor.id)
    pending = portal.accounts.pending_messages(limit=10_000)
    codes += [re.search(r"[：:](\d{6})，", m.body).group(1) for m in pending]  # type: ignore[union-attr]
    assert len(codes) == 1000
    stored = dump(portal.registry)
    outbox_free = stored.split("'portal.outbox'")[0] + stored.split("'portal.personal_changes'")[1]

    def plaintext(text: str) -> set[str]:
        """Codes standing alone (not inside a hex digest, an id or a longer number); a random
        code that equals a number the store held before any code (a division code) is no
        evidence either way, so it is left out."""
        return (set(codes) - background) & set(re.findall(standalone, text))

    assert plaintext(stored) == set(codes[100:]) - background  # the undelivered outbox bodies hold codes …
    assert plaintext(outbox_free) == set()  # … nothing else does …
    portal.deliver()
    assert plaintext(dump(portal.registry)) == set()  # … and nothing once delivered
    rows = snapshot(portal.registry)["portal.codes"].values()
    assert len(rows) == 1000
    assert all(r.code_hash.scheme == "hmac-sha256" and len(bytes.fromhex(r.code_hash.salt)) * 8 >= 32
               for r in rows)


# -- S-07: code quality -------------------------------------------------------------------------------


def _chi_square(counts: Counter[str], total: int) -> float:
    expected = total / 10
    return sum((counts.get(str(d), 0) - expected) ** 2 / expected for d in range(10))


def test_s_07_codes_are_uniform_over_leading_and_trailing_digits() -> None:
    def uniform(sample: list[str]) -> bool:
        leading = _chi_square(Counter(c[0] for c in sample), len(sample))
        trailing = _chi_square(Counter(c[-1] for c in sample), len(sample))
        return leading < CHI2_CRITICAL_9DOF_P001 and trailing < CHI2_CRITICAL_9DOF_P001

    sample = [generate_code() for _ in range(100_000)]
    assert all(len(c) == 6 and c.isdigit() for c in sample)
    # A fair generator fails one sample with probability < 0.2%; two independent samples < 4e-6.
    assert uniform(sample) or uniform([generate_code() for _ in range(100_000)])


def test_s_07_codes_come_from_secrets(monkeypatch: pytest.MonkeyPatch, portal: Portal) -> None:
    calls: list[int] = []
    real = secrets.randbelow

    def spy(n: int) -> int:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(mdreg.infra.security.secrets, "randbelow", spy)
    me = _registered(portal)
    portal.accounts.send_phone_code(me)
    assert calls == [1_000_000]
    tree = ast.parse((SRC / "infra" / "security.py").read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import | ast.ImportFrom)
                for a in n.names} | {n.module for n in ast.walk(tree)
                                     if isinstance(n, ast.ImportFrom) and n.module}
    assert "random" not in imported and "secrets" in imported


# -- S-08: constant-time comparison -------------------------------------------------------------------


SECRETISH = re.compile(r"(digest|hash|secret|code_hash|salt)", re.IGNORECASE)


@pytest.mark.parametrize("module", [
    "infra/security.py", "service/codes.py", "service/accounts.py", "service/account_security.py",
    "service/account_steps.py", "service/portal_base.py", "domain/account.py"])
def test_s_08_no_equality_operator_on_hashes(module: str) -> None:
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    offending = [
        ast.unparse(node) for node in ast.walk(tree)
        if isinstance(node, ast.Compare)
        and any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops)
        and any(SECRETISH.search(ast.unparse(side)) for side in (node.left, *node.comparators))
    ]
    assert offending == []


def test_s_08_codes_are_compared_with_hmac_compare_digest(
        monkeypatch: pytest.MonkeyPatch, portal: Portal) -> None:
    seen: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        seen.append((a, b))
        return real(a, b)

    monkeypatch.setattr(mdreg.infra.security.hmac, "compare_digest", spy)
    me = _registered(portal)
    portal.accounts.send_phone_code(me)
    portal.accounts.verify_phone(me, portal.code())
    assert len(seen) == 1 and all(isinstance(x, bytes) and len(x) == 32 for x in seen[0])


def test_s_08_code_hashes_compare_by_identity_only() -> None:
    one, two = CodeHash("hmac-sha256", "aa", "bb"), CodeHash("hmac-sha256", "aa", "bb")
    assert one is not two and one != two
    assert "bb" not in repr(one) and str(CodeHash.parse(str(one))) == str(one)


# -- S-09: password storage ----------------------------------------------------------------------------


def test_s_09_stored_hashes_are_argon2id(portal: Portal) -> None:
    me = _registered(portal)
    account = portal.accounts.account(me)
    assert account.password_hash.startswith("$argon2id$")
    assert "password_hash" not in repr(account) and PASSWORD not in account.password_hash


def test_s_09_production_parameters_are_at_or_above_the_owasp_floor() -> None:
    assert SecuritySettings().passwords == PRODUCTION_HASHING
    stored = Passwords(PRODUCTION_HASHING).hash(PASSWORD)
    params = argon2.extract_parameters(stored)
    assert stored.startswith("$argon2id$") and params.type is argon2.Type.ID
    assert params.memory_cost >= 19_456 and params.time_cost >= 2 and params.parallelism >= 1
    assert (params.memory_cost, params.time_cost, params.parallelism) == (65_536, 3, 4)


def test_s_09_weak_hashing_needs_an_explicit_test_switch() -> None:
    with pytest.raises(InsecureConfiguration):
        SecuritySettings(passwords=TEST_HASHING)
    with pytest.raises(InsecureConfiguration):
        SecuritySettings(passwords=HashProfile(time_cost=1, memory_cost=65_536, parallelism=4))
    assert not SecuritySettings.for_tests().passwords.meets_owasp_floor()


def test_s_09_login_rehashes_when_the_parameters_change(portal: Portal, world: World) -> None:
    me = _registered(portal)
    login = portal.accounts.account(me).login_name
    assert portal.accounts.login(login, PASSWORD).version == 1  # same parameters: no rehash
    stronger = HashProfile(time_cost=2, memory_cost=16, parallelism=1)
    world.registry.accounts = Accounts(
        world.registry, settings=SecuritySettings(stronger, allow_weak_hashing=True),
        photos=InMemoryPhotoStore())
    account = world.registry.accounts.login(login.upper(), PASSWORD)
    params = argon2.extract_parameters(account.password_hash)
    assert (params.time_cost, params.memory_cost, account.version) == (2, 16, 2)
    assert world.registry.trail(account.id)[-1].event == "rehash_password"
    assert world.registry.accounts.login(login, PASSWORD).version == 2


# -- passwords -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("password", ["short1!", "12345678", "Password1", "woaini1314", "qwertyuiop",
                                      "doctor77", "x" * 129])
def test_weak_passwords_are_refused(password: str) -> None:
    with pytest.raises(WeakPassword) as err:
        check_password_strength(password, login_name="doctor77")
    assert password not in str(err.value) and err.value.describe().startswith("密码强度不足")


def test_login_failures_do_not_tell_which_part_was_wrong(portal: Portal) -> None:
    me = _registered(portal)
    login = portal.accounts.account(me).login_name
    for name, password in [(login, "Wrong#pass1"), ("nobody", PASSWORD), (login, "")]:
        with pytest.raises(AuthenticationFailed) as err:
            portal.accounts.login(name, password)
        assert err.value.label == "用户名或密码错误"


def test_an_imported_account_has_no_password_until_recovery(portal: Portal, world: World) -> None:
    doctor = world.physician()
    with pytest.raises(AuthenticationFailed):
        portal.accounts.login(f"user{doctor.id.lower()}", "")

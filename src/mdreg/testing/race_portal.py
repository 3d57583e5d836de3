"""The personal portal under racing processes.

* :func:`quota_race` (S-04): every worker sends codes to one phone at once; the hourly quota
  lets exactly as many through as it allows.
* :func:`code_race` (S-02, S-03): every worker enters one code at once — the right one (used
  exactly once) or a wrong one (exactly the allowed attempts counted).
"""

from __future__ import annotations

import multiprocessing
import re
import threading
from collections import Counter
from datetime import timedelta
from typing import Any

import attrs

import mdreg
from mdreg.domain.account import CodePurpose
from mdreg.domain.application import Actor
from mdreg.domain.clock import FakeClock
from mdreg.domain.model import Physician
from mdreg.errors import MdregError
from mdreg.infra.security import CodePolicy, SecuritySettings
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.testing.builders import World
from mdreg.testing.race import T0, gather, sql_registry, start_workers, wait_at

# -- S-04: the send quota under a race -------------------------------------------------------------

#: S-04's quota: 5 codes per destination per hour (and the default 10 per day).
QUOTA = CodePolicy(sends_per_hour=5)
PASSWORD = "Zs9#kq2!vm-race"  # noqa: S105 - a test account's password


@attrs.frozen
class QuotaRaceResult:
    """How the concurrent sends ended, by outcome; codes and messages stored for the phone; and
    the outcome of one more send after the hour."""

    outcomes: Counter[str]
    codes: int
    messages: int
    after_the_hour: str


def quota_race(url: str, *, processes: int, sends: int,
               timeout: float = 120.0) -> QuotaRaceResult:
    """``processes`` workers each send ``sends`` phone-verification codes for one account at the
    same moment (a fake clock stands still), with :data:`QUOTA`; then the clock moves past the
    hour and one more send is tried."""
    phone = "13800138000"
    clock, registry, accounts, doctor = _signed_up(url, "s04-race")
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    args = (url, "send_phone_code", (Actor.physician(doctor.id),), sends, barrier, results)
    outcomes = Counter[str]()
    for found in gather(results, start_workers(_portal_worker, args, processes), timeout):
        outcomes.update(found or ["!worker_lost"])
    with registry.services.uow() as uow:
        codes = uow.codes.sent_since(phone, T0 - timedelta(days=1))
        messages = sum(m.to == phone for m in uow.outbox.pending(10_000))
    clock.advance(hours=1, minutes=2)  # the workers sent at T0 + 1 minute
    try:
        accounts.send_phone_code(Actor.physician(doctor.id))
        after = "ok"
    except MdregError as error:
        after = type(error).__name__
    return QuotaRaceResult(outcomes, codes, messages, after)


def _signed_up(url: str, login: str) -> tuple[FakeClock, Registry, Accounts, Physician]:
    """A registry at ``url`` on a fake clock at :data:`T0`, and a physician signed up as
    ``login`` with :data:`PASSWORD` and phone 13800138000."""
    clock = FakeClock(T0)
    registry = mdreg.open(url, clock=clock)
    accounts = portal_of(registry)
    doctor = World(registry).physician(account=False)
    accounts.sign_up(name=doctor.name, id_number=doctor.id_number, login_name=login,
                     password=PASSWORD, phone="13800138000")
    return clock, registry, accounts, doctor


def portal_of(registry: Registry) -> Accounts:
    settings = attrs.evolve(SecuritySettings.for_tests(QUOTA), code_key=CODE_KEY)
    return Accounts(registry, settings=settings)


def _portal_worker(url: str, method: str, args: tuple[Any, ...], times: int,
                   barrier: threading.Barrier, results: multiprocessing.Queue[list[str]]) -> None:
    """Call ``Accounts.<method>(*args)`` ``times`` times once every worker is ready."""
    registry, store = sql_registry(url, FakeClock(T0 + timedelta(minutes=1)))
    call = getattr(portal_of(registry), method)
    outcomes: list[str] = []
    if wait_at(barrier):
        for _ in range(times):
            try:
                call(*args)
                outcomes.append("ok")
            except Exception as error:  # every outcome is counted by its type
                outcomes.append(type(error).__name__)
    else:
        outcomes.append("!BrokenBarrierError")
    results.put(outcomes)
    store.close()


# -- S-02 / S-03: one code, redeemed by racing processes ----------------------------------------------

CODE_KEY = b"mdreg-race-code-key-shared-by-all"  # every worker must verify the parent's codes


@attrs.frozen
class CodeRaceResult:
    """How the concurrent redemptions ended, by outcome; the code's stored attempts and status
    afterwards; and the outcome of the correct code entered once more at the end."""

    outcomes: Counter[str]
    attempts: int
    status: str
    correct_at_the_end: str


def code_race(url: str, *, processes: int, guesses: int, wrong: bool,
              timeout: float = 120.0) -> CodeRaceResult:
    """An account asks to change its phone (a code goes to the new phone); then ``processes``
    workers each enter a code ``guesses`` times at once: the right code (S-02) or a wrong one
    (S-03)."""
    _, registry, accounts, doctor = _signed_up(url, "s02-race")
    me = Actor.physician(doctor.id)
    accounts.request_phone_change(me, PASSWORD, "13912345678")
    (message,) = [m for m in accounts.pending_messages(limit=100) if m.to == "13912345678"]
    found = re.search(r"码：(\d{6})", message.body)
    code = found.group(1) if found else ""
    entered = f"{(int(code) + 1) % 1_000_000:06d}" if wrong else code
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    args = (url, "confirm_phone_change", (me, entered), guesses, barrier, results)
    outcomes = Counter[str]()
    for got in gather(results, start_workers(_portal_worker, args, processes), timeout):
        outcomes.update(got or ["!worker_lost"])
    try:
        accounts.confirm_phone_change(me, code)
        at_the_end = "ok"
    except MdregError as error:
        at_the_end = type(error).__name__
    with registry.services.uow() as uow:
        row = uow.codes.latest(accounts.account(me).id, CodePurpose.CHANGE_PHONE)
    attempts, status = (row.attempts, row.status.value) if row else (-1, "missing")
    return CodeRaceResult(outcomes, attempts, status, at_the_end)




# -- S-15: one login name, guessed by racing processes --------------------------------------------


@attrs.frozen
class LoginRaceResult:
    """How the concurrent wrong logins ended, by outcome; the lockouts stored for the login
    name; and the outcomes of the right password at the end of the race and after the lockout."""

    outcomes: Counter[str]
    lockouts: int
    right_password: tuple[str, str]


def login_race(url: str, *, processes: int, guesses: int,
               timeout: float = 120.0) -> LoginRaceResult:
    """``processes`` workers each log in ``guesses`` times at once with a wrong password (the
    default :class:`~mdreg.LoginThrottle`); then the right password is tried, and again once
    the lockout has passed."""
    clock, registry, accounts, _ = _signed_up(url, "s05-race")
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    args = (url, "login", ("s05-race", "Wrong#guess-1"), guesses, barrier, results)
    outcomes = Counter[str]()
    for got in gather(results, start_workers(_portal_worker, args, processes), timeout):
        outcomes.update(got or ["!worker_lost"])
    clock.set(T0 + timedelta(minutes=1))  # when the workers guessed
    with registry.services.uow() as uow:
        row = uow.login_attempts.get(accounts.settings.throttle_key("login", "s05-race"))
    at_the_end = _outcome(lambda: accounts.login("s05-race", PASSWORD))
    clock.advance(minutes=accounts.settings.throttle.lockout.total_seconds() / 60)
    after = _outcome(lambda: accounts.login("s05-race", PASSWORD))
    return LoginRaceResult(outcomes, row.lockouts if row else -1, (at_the_end, after))


def _outcome(call: Any) -> str:
    try:
        call()
    except MdregError as error:
        return type(error).__name__
    return "ok"

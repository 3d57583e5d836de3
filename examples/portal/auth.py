"""Who is logged in: the session, CSRF tokens, and the configured staff users.

The session is Starlette's signed cookie (``SessionMiddleware``, itsdangerous): HttpOnly,
SameSite=Strict, eight hours. It holds who the user acts as and the session's CSRF token — no
password, no ID number. Physicians log in with their mdreg portal account
(:meth:`mdreg.Accounts.login`: Argon2id, throttled per login name and per source); institution
and department staff are configured users of the deployment, checked with Argon2id and throttled
with the same :class:`mdreg.LoginThrottle` parameters.
"""

from __future__ import annotations

import hmac
import secrets
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import argon2
from fastapi import HTTPException, Request

import mdreg
from mdreg import Actor, HashProfile, LoginThrottle

SESSION_MAX_AGE = 8 * 3600
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"


@dataclass(frozen=True)
class StaffUser:
    """A configured user of an institution (``kind="institution"``) or a health department
    (``kind="authority"``); ``officer`` is the name recorded on what the user does."""

    login_name: str
    password: str = field(repr=False)
    kind: str
    party: str
    officer: str
    party_name: str

    def actor(self) -> Actor:
        if self.kind == "institution":
            return Actor.institution(self.party, user=self.officer)
        return Actor.authority(self.party, user=self.officer)


class LoginRefused(Exception):
    """Wrong login name or password, or throttled (``throttled``)."""

    def __init__(self, throttled: bool = False) -> None:
        super().__init__("throttled" if throttled else "wrong login name or password")
        self.throttled = throttled


class StaffDirectory:
    """The staff users, their passwords kept only as Argon2id hashes, logins throttled."""

    def __init__(self, users: dict[str, tuple[StaffUser, str]], hasher: argon2.PasswordHasher,
                 throttle: LoginThrottle) -> None:
        self._users = users
        self._hasher = hasher
        self._throttle = throttle
        self._failures: dict[str, list[datetime]] = {}
        self._locked: dict[str, datetime] = {}
        self._lock = threading.Lock()
        self._dummy = hasher.hash(secrets.token_hex(16))

    @classmethod
    def of(cls, users: Iterable[StaffUser], profile: HashProfile | None = None,
           throttle: LoginThrottle | None = None) -> StaffDirectory:
        cost = profile or mdreg.SecuritySettings().passwords
        hasher = argon2.PasswordHasher(time_cost=cost.time_cost, memory_cost=cost.memory_cost,
                                       parallelism=cost.parallelism, type=argon2.Type.ID)
        hashed = {u.login_name.casefold(): (u, hasher.hash(u.password)) for u in users}
        return cls(hashed, hasher, throttle or LoginThrottle())

    def __contains__(self, login_name: str) -> bool:
        return login_name.casefold() in self._users

    def login(self, login_name: str, password: str, now: datetime) -> StaffUser:
        key = login_name.casefold()
        with self._lock:
            if self._locked.get(key, now) > now:
                raise LoginRefused(throttled=True)
        user, stored = self._users.get(key, (None, self._dummy))
        try:
            ok = self._hasher.verify(stored, password) and user is not None
        except argon2.exceptions.VerificationError:
            ok = False
        if ok and user is not None:
            with self._lock:
                self._failures.pop(key, None)
            return user
        with self._lock:
            recent = [t for t in self._failures.get(key, []) if now - t < self._throttle.window]
            recent.append(now)
            self._failures[key] = recent
            if len(recent) >= self._throttle.attempts:
                self._locked[key] = now + self._throttle.lockout
                self._failures[key] = []
        raise LoginRefused()


# -- the session ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Who:
    """The logged-in user: the mdreg actor and what the pages show of them."""

    actor: Actor
    display: str
    party_name: str

    @property
    def kind(self) -> str:
        return self.actor.kind.value


def start_session(request: Request, actor: Actor, display: str, party_name: str) -> None:
    """A fresh session for ``actor`` (a new CSRF token: nothing from before the login survives)."""
    request.session.clear()
    request.session.update({"kind": actor.kind.value, "party": actor.party_id, "user": actor.user or "",
                            "display": display, "party_name": party_name,
                            CSRF_FIELD: secrets.token_urlsafe(32)})


def current(request: Request) -> Who | None:
    kind, party = request.session.get("kind"), request.session.get("party")
    if not kind or not party:
        return None
    user = request.session.get("user") or None
    actor = {"physician": lambda: Actor.physician(party),
             "institution": lambda: Actor.institution(party, user=user),
             "authority": lambda: Actor.authority(party, user=user)}[kind]()
    return Who(actor, request.session.get("display", ""), request.session.get("party_name", ""))


def csrf_token(request: Request) -> str:
    """The session's CSRF token (one is made for an anonymous session, for the login form)."""
    token = request.session.get(CSRF_FIELD)
    if not token:
        token = request.session[CSRF_FIELD] = secrets.token_urlsafe(32)
    return str(token)


async def check_csrf(request: Request) -> None:
    """Refuse an unsafe request whose form field (or header) does not carry the session's token."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            sent = (await request.form()).get(CSRF_FIELD)
    expected = request.session.get(CSRF_FIELD)
    if not expected or not isinstance(sent, str) or not hmac.compare_digest(sent, expected):
        raise HTTPException(403, "CSRF token missing or wrong")


def lockout_minutes(throttle: LoginThrottle) -> int:
    return int(throttle.lockout / timedelta(minutes=1))

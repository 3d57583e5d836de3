"""Helpers for the personal-portal tests: the portal side (sign-up, outbox delivery) and store
snapshots."""

from __future__ import annotations

import re
from datetime import date
from itertools import count
from typing import Any

import attrs

import mdreg
from mdreg import Account, Actor, Physician, Registration, SecuritySettings
from mdreg.domain.clock import FakeClock
from mdreg.domain.model import Institution, RegistrationStatus, practice_location
from mdreg.infra.security import CodePolicy
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.testing import World

PASSWORD = "Lk8#vz2!qp"
_CODE = re.compile(r"[：:](\d{6})，")


class Portal:
    """The portal side of the tests: signs physicians up and delivers the outbox."""

    def __init__(self, world: World, clock: FakeClock) -> None:
        self.world = world
        self.registry: Registry = world.registry
        self.accounts: Accounts = world.registry.accounts
        self.clock = clock
        self._n = count(1)
        self._rows = count(1)
        self.delivered: list[mdreg.OutboxMessage] = []
        self.bodies: list[str] = []

    def physician(self, **kw: Any) -> Physician:
        """A physician without an account (to sign up)."""
        return self.world.physician(account=False, **kw)

    def phone(self, n: int) -> str:
        return f"1391234{n:04d}"

    def sign_up(self, physician: Physician, *, login: str = "", email: str | None = "",
                password: str = PASSWORD) -> Account:
        n = next(self._n)
        address = f"doctor.{n}@example.com" if email == "" else email
        return self.accounts.sign_up(
            name=physician.name, id_number=physician.id_number, login_name=login or f"doctor{n}",
            password=password, phone=self.phone(n), email=address,
        )

    def deliver(self) -> list[mdreg.OutboxMessage]:
        """Take every pending message, as the portal's sender does."""
        pending = list(self.accounts.pending_messages(limit=10_000))
        for message in pending:
            self.bodies.append(message.body)
            self.accounts.mark_sent(message.id)
        self.delivered.extend(pending)
        return pending

    def code(self) -> str:
        """The code in the newest delivered message (delivering what is pending first)."""
        self.deliver()
        match = _CODE.search(self.bodies[-1])
        assert match, "no code in the last message"
        return match.group(1)

    def verified(self, physician: Physician, **kw: Any) -> Actor:
        """Signed up and phone-verified; returns the physician actor."""
        self.sign_up(physician, **kw)
        me = Actor.physician(physician.id)
        self.accounts.send_phone_code(me)
        self.accounts.verify_phone(me, self.code())
        return me

    def active(self, physician: Physician) -> Actor:
        """Signed up, verified and activated with the qualification number (no registration)."""
        me = self.verified(physician)
        self.accounts.activate_with_qualification(me, physician.qualifications[0].certificate_no)
        return me

    def registration(self, physician: Physician, institution: Institution,
                     status: RegistrationStatus = RegistrationStatus.VALID) -> Registration:
        """A registration loaded as reference data (no application needed)."""
        qualification = physician.qualifications[0]
        registration = Registration(
            f"R-{physician.id}-{next(self._rows)}", physician.id, qualification.certificate_no,
            qualification.level, qualification.category, ("内科专业",),
            practice_location(qualification.level, institution), institution.id,
            institution.approved_by, date(2024, 5, 6), "110000000000001", status=status,
        )
        self.registry.load(registrations=[registration])
        return registration

    def account(self, physician: Physician) -> Account:
        return self.accounts.account(Actor.physician(physician.id))


def snapshot(registry: Registry) -> dict[str, dict[str, Any]]:
    """Every committed row of the in-memory store (rows are immutable, so a shallow copy)."""
    store = registry.services.uow().store  # type: ignore[attr-defined]
    tables: dict[str, Any] = {
        name: getattr(store, name) for name in (
            "physicians", "institutions", "departments", "registrations", "filings", "legacy",
            "applications")
    }
    tables.update({f"portal.{name}": getattr(store.portal, name) for name in (
        "accounts", "codes", "outbox", "personal_changes", "practice_info", "assessments")})
    rows = {name: dict(table.rows) for name, table in tables.items()}
    rows["audit"] = {k: list(v) for k, v in store.audit.items()}
    return rows


def dump(registry: Registry) -> str:
    """The whole store as text, hashes and message bodies included (for S-06)."""
    def plain(value: Any) -> Any:
        if attrs.has(type(value)):
            return {f.name: plain(getattr(value, f.name)) for f in attrs.fields(type(value))}
        if isinstance(value, dict):
            return {str(k): plain(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [plain(v) for v in value]
        return str(value)

    return repr(plain(snapshot(registry)))


def strict_codes(**kw: Any) -> SecuritySettings:
    return SecuritySettings.for_tests(CodePolicy(**kw))

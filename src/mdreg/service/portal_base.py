"""个人端 plumbing — settings, units of work and code issuing shared by the portal facade."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import attrs

from mdreg.domain.account import (
    Account,
    Channel,
    CodePurpose,
    OneTimeCode,
    mask_contact,
)
from mdreg.domain.application import Actor
from mdreg.errors import CodeRejected, ConcurrencyConflict
from mdreg.ports import UnitOfWork
from mdreg.security import MAX_ATTEMPTS, CodeHasher, Passwords, SecuritySettings
from mdreg.service.account_steps import own_account, require_active
from mdreg.service.codes import CodeDesk
from mdreg.service.registry import Registry, append_audit
from mdreg.storage import FileSystemPhotoStore, InMemoryPhotoStore, PhotoLimits, PhotoStore

T = TypeVar("T")

#: How many times a portal command runs when it keeps losing races to concurrent writers. A
#: lost race means another writer changed the row; a code row changes at most MAX_ATTEMPTS
#: times (wrong guesses) plus once (used) before every redemption is refused without writing,
#: so a redemption needs at most MAX_ATTEMPTS + 2 runs; the rest is margin.
CONFLICT_ATTEMPTS = 2 * MAX_ATTEMPTS


@attrs.frozen
class CodeTicket:
    """What the portal may show once a code is on its way: never the code itself."""

    code_id: str
    purpose: CodePurpose
    channel: Channel
    to: str
    expires_at: datetime


def default_photo_store(url: str) -> PhotoStore:
    """In memory for ``memory://``; files beside a SQLite database; ``./mdreg-photos`` else."""
    if url.startswith("memory://"):
        return InMemoryPhotoStore()
    if url.startswith("sqlite") and ":///" in url and ":memory:" not in url:
        database = Path(url.split(":///", 1)[1].split("?", 1)[0])
        return FileSystemPhotoStore(database.with_name(database.name + ".photos"))
    return FileSystemPhotoStore("mdreg-photos")


class PortalBase:
    """Settings and unit-of-work plumbing shared by the parts of :class:`Accounts`.

    Args:
        registry: the registry whose units of work, clock, ids and policy are used.
        settings: password hashing and one-time code settings (production defaults).
        photos: where photo bytes go (see :func:`default_photo_store`).
        photo_limits: accepted photo sizes.
    """

    def __init__(self, registry: Registry, *, settings: SecuritySettings | None = None,
                 photos: PhotoStore | None = None, photo_limits: PhotoLimits | None = None) -> None:
        self._registry = registry
        self.settings = settings or SecuritySettings()
        self.photos = photos if photos is not None else default_photo_store(registry.url)
        self.photo_limits = photo_limits or PhotoLimits()
        self._passwords = Passwords(self.settings.passwords)
        self._desk = CodeDesk(CodeHasher(self.settings.code_key), self.settings.codes,
                              registry.ids)

    # -- plumbing ---------------------------------------------------------------------------

    def _run(self, work: Callable[[UnitOfWork, datetime], T], *, keep_attempts: bool = False) -> T:
        """Run ``work`` in one committed unit of work; with ``keep_attempts`` a rejected code's
        counted attempt is committed before the error propagates.

        A unit that loses a race (:class:`~mdreg.errors.ConcurrencyConflict`: another writer
        changed a code or an account it read) left nothing behind, and runs again on the new
        state, up to :data:`CONFLICT_ATTEMPTS` times: a second redemption of a code then reports
        the code used, and racing wrong guesses are each counted (RELIABILITY S-02, S-03)."""

        def command() -> T:
            with self._registry._uow() as uow:
                try:
                    result = work(uow, self._registry.clock.now())
                except CodeRejected:
                    if keep_attempts:
                        uow.commit()
                    raise
                uow.commit()
                return result

        attempt = 1
        while True:
            try:
                return self._registry._transaction(command)
            except ConcurrencyConflict:
                if attempt >= CONFLICT_ATTEMPTS:
                    raise
                attempt += 1

    def _read(self, work: Callable[[UnitOfWork], T]) -> T:
        with self._registry._uow() as uow:
            return work(uow)

    def _own_active(self, uow: UnitOfWork, actor: Actor) -> Account:
        account = own_account(uow, actor)
        require_active(account, self._registry.policy)
        return account

    def _issue(self, uow: UnitOfWork, account: Account, purpose: CodePurpose, channel: Channel,
               destination: str, actor: Actor, now: datetime, *, issued_by: str = "",
               sender: str = "") -> CodeTicket:
        row = self._desk.issue(uow, account.id, purpose, channel, destination, now,
                               issued_by=issued_by, sender=sender)
        append_audit(uow, account.id, "send_code", account.state, account.state, actor, now,
                     data={"purpose": [purpose.value], "channel": [channel.value],
                           "to": [mask_contact(destination)]})
        return _ticket(row)


def _ticket(row: OneTimeCode) -> CodeTicket:
    return CodeTicket(row.id, row.purpose, row.channel, mask_contact(row.destination),
                      row.expires_at)

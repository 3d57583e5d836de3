"""个人端 plumbing — settings, units of work and code issuing shared by the portal facade."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol, TypeVar

import attrs

from mdreg.domain.account import (
    Account,
    Channel,
    CodePurpose,
    OneTimeCode,
    mask_contact,
)
from mdreg.domain.application import Actor
from mdreg.errors import CodeRejected
from mdreg.infra.security import CodeHasher, Passwords, SecuritySettings
from mdreg.infra.storage import PhotoLimits, PhotoStore
from mdreg.ports import UnitOfWork
from mdreg.service.account_steps import own_account, require_active
from mdreg.service.codes import CodeDesk
from mdreg.service.services import RETRY, Services, append_audit, in_transaction, read

T = TypeVar("T")


class HasServices(Protocol):
    """What carries a registry's :class:`Services` (the :class:`~mdreg.Registry` does)."""

    @property
    def services(self) -> Services: ...


@attrs.frozen
class CodeTicket:
    """What the portal may show once a code is on its way: never the code itself."""

    code_id: str
    purpose: CodePurpose
    channel: Channel
    to: str
    expires_at: datetime


class PortalBase:
    """Settings and unit-of-work plumbing shared by the parts of :class:`Accounts`.

    Args:
        registry: the registry (or its :class:`Services`) whose units of work, clock, ids and
            policy are used; ``services`` holds them from then on.
        settings: password hashing and one-time code settings (production defaults).
        photos: where photo bytes go (the registry's photo store by default, chosen by
            :func:`mdreg.open` from the URL).
        photo_limits: accepted photo sizes.
    """

    def __init__(self, registry: HasServices | Services, *,
                 settings: SecuritySettings | None = None, photos: PhotoStore | None = None,
                 photo_limits: PhotoLimits | None = None) -> None:
        self.services = registry if isinstance(registry, Services) else registry.services
        self.settings = settings or SecuritySettings()
        self.photos = photos if photos is not None else self.services.photos
        self.photo_limits = photo_limits or PhotoLimits()
        self._passwords = Passwords(self.settings.passwords)
        self._hasher = CodeHasher(self.settings.code_key)

    @property
    def _desk(self) -> CodeDesk:
        return CodeDesk(self._hasher, self.settings.codes, self.services.ids)

    # -- plumbing ---------------------------------------------------------------------------

    def _run(self, work: Callable[[UnitOfWork, datetime], T], *, keep_attempts: bool = False) -> T:
        """Run ``work`` in one committed unit of work; with ``keep_attempts`` a rejected code's
        counted attempt is committed before the error propagates.

        A unit that loses a race (:class:`~mdreg.errors.ConcurrencyConflict`: another writer
        changed a code or an account it read) left nothing behind, and runs again on the new
        state, under :data:`~mdreg.service.services.RETRY`: a second redemption of a code then
        reports the code used, and racing wrong guesses are each counted."""
        services = self.services

        def command() -> T:
            with services.uow() as uow:
                try:
                    result = work(uow, services.now())
                except CodeRejected:
                    if keep_attempts:
                        uow.commit()
                    raise
                uow.commit()
                return result

        return RETRY.call(lambda: in_transaction(services, command))

    def _read(self, work: Callable[[UnitOfWork], T]) -> T:
        return read(self.services, work)

    def _own_active(self, uow: UnitOfWork, actor: Actor) -> Account:
        account = own_account(uow, actor)
        require_active(account, self.services.policy)
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

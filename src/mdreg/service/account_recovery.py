"""账户找回 — when both contacts are lost, and the notices that make a takeover visible.

A physician who lost the phone and the e-mail registered at sign-up cannot receive a recovery
code. The primary institution — which already issues activation codes and approves personal
changes — checks the physician's identity in person and replaces the phone or the e-mail
(:meth:`AccountRecovery.replace_contact`): only for physicians whose primary institution it is,
with the officer named and how identity was checked in the audit event, every pending code of
the account invalidated, and a notice to each contact the account had (the lost one, and the one
kept if only one was replaced). Self-service
recovery then works again with the new contact.

A completed recovery, a contact change and an institution's replacement each send a notice to
the *other* channel (the contact that did not take part), so an account taken over is noticed.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from mdreg.domain.account import (
    Account,
    Channel,
    CodePurpose,
    CodeStatus,
    Email,
    OutboxMessage,
    mask_contact,
)
from mdreg.domain.application import Actor, ActorKind
from mdreg.domain.identifiers import Phone
from mdreg.domain.inputs import guard_public_methods
from mdreg.errors import ConcurrencyConflict, PermissionDenied, ValidationError
from mdreg.ports import IdGenerator, UnitOfWork
from mdreg.service.account_steps import (
    account_of,
    email_input,
    phone_input,
    primary_institutions,
    update,
)
from mdreg.service.portal_base import PortalBase

#: What each security notice says (the contact that changed is masked).
NOTICES = {
    "recover_password": "您的医师电子化注册账户密码已通过找回密码重新设置。"
                        "如非本人操作，请立即联系执业机构。",
    "change_phone": "您的医师电子化注册账户手机号已更换为 {to}。如非本人操作，请立即联系执业机构。",
    "change_email": "您的医师电子化注册账户安全邮箱已更换为 {to}。如非本人操作，请立即联系执业机构。",
    "replace_contact": "您的医师电子化注册账户联系方式已由执业机构 {by} 核验身份后更换为 {to}。"
                       "如非本人操作，请立即联系执业机构。",
}


def security_notice(uow: UnitOfWork, ids: IdGenerator, account: Account, event: str,
                    destinations: list[tuple[Channel, str]], now: datetime, **fields: str) -> int:
    """Queue the notice of ``event`` to each of ``destinations``; how many."""
    body = NOTICES[event].format(**fields)
    for channel, destination in destinations:
        uow.outbox.add(OutboxMessage(ids.new("M"), channel, destination, f"security_{event}",
                                     body, account.id, now))
    return len(destinations)


def other_channels(account: Account, used: Channel | None) -> list[tuple[Channel, str]]:
    """The verified contacts of ``account`` other than the one on ``used``."""
    found = []
    if used is not Channel.SMS and account.phone is not None and account.phone_verified:
        found.append((Channel.SMS, account.phone.national))
    if used is not Channel.EMAIL and account.email is not None and account.email_verified:
        found.append((Channel.EMAIL, account.email.address))
    return found


@guard_public_methods
class AccountRecovery(PortalBase):
    """Institution-assisted recovery of :class:`~mdreg.service.accounts.Accounts`."""

    def replace_contact(self, actor: Actor, physician_id: str, *,
                        phone: str | Phone | None = None, email: str | Email | None = None,
                        checked: str, expected_version: int | None = None) -> Account:
        """The primary institution replaces a physician's lost phone and/or e-mail after
        checking identity in person; the new contacts count as verified.

        Args:
            actor: the institution, with the officer's name as ``user``.
            checked: how identity was checked (现场核验居民身份证原件 …), recorded.
            expected_version: the account version the officer looked at: if the account
                changed since (the physician changed a contact meanwhile), the replacement is
                refused rather than applied over it.

        Raises:
            PermissionDenied: not the primary institution of a valid registration.
            ValidationError: no officer named, nothing to replace, ``checked`` empty, or a
                malformed phone or e-mail.
            ConcurrencyConflict: the account changed meanwhile (the physician's own change won).
        """
        new_phone = None if phone is None else phone_input(phone)
        new_email = None if email is None else email_input(email)
        officer = _officer(actor)
        how = _checked(checked)
        if new_phone is None and new_email is None:
            raise ValidationError("contact", "give the new phone, the new e-mail or both",
                                  field_label="联系方式")

        def work(uow: UnitOfWork, now: datetime) -> Account:
            if actor.party_id not in {i.id for i in primary_institutions(uow, physician_id)}:
                raise PermissionDenied(str(actor), f"replace the contacts of {physician_id}",
                                       "only the primary institution of a valid registration")
            account = account_of(uow, physician_id)
            if expected_version is not None and expected_version != account.version:
                raise ConcurrencyConflict("account", account.id, expected_version,
                                          account.version)
            old = other_channels(account, None)
            invalidated = _invalidate_codes(uow, account)
            changes: dict[str, object] = {}
            shown = []
            if new_phone is not None:
                changes.update(phone=new_phone, phone_verified=True)
                shown.append(mask_contact(new_phone.national))
            if new_email is not None:
                changes.update(email=new_email, email_verified=True)
                shown.append(mask_contact(new_email.address))
            replaced = update(uow, account, "replace_contact", actor, now, data={
                "officer": [officer], "checked": [how], "to": shown,
                "codes_invalidated": [str(invalidated)]}, **changes)
            security_notice(uow, self.services.ids, replaced, "replace_contact", old,
                            now, by=actor.party_id, to="、".join(shown))
            return replaced

        return self._run(work)


def _invalidate_codes(uow: UnitOfWork, account: Account) -> int:
    """Supersede every active code of the account; how many."""
    n = 0
    for purpose in CodePurpose:
        code = uow.codes.latest(account.id, purpose)
        if code is not None and code.status is CodeStatus.ACTIVE:
            uow.codes.save(attrs.evolve(code, status=CodeStatus.SUPERSEDED,
                                        version=code.version + 1), code.version)
            n += 1
    return n


def _officer(actor: Actor) -> str:
    if actor.kind is not ActorKind.INSTITUTION:
        raise PermissionDenied(str(actor), "replace a physician's contacts",
                               "only the primary institution")
    name = actor.user.strip()
    if not name:
        raise ValidationError("user", "name the officer who checked the physician's identity",
                              field_label="经办人")
    return name


def _checked(checked: str) -> str:
    text = str(checked).strip()
    if not text or len(text) > 200 or not text.isprintable():
        raise ValidationError("checked", "say how identity was checked (1-200 characters)",
                              field_label="身份核验方式")
    return text

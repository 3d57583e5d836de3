"""个人端安全设置 — login, password, phone and e-mail changes, password recovery."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from mdreg.domain.account import Account, Channel, CodePurpose, Email, mask_contact
from mdreg.domain.application import Actor
from mdreg.domain.clock import ensure_aware
from mdreg.domain.identifiers import Phone
from mdreg.domain.inputs import guard_public_methods
from mdreg.domain.throttle import LoginCounter
from mdreg.errors import AuthenticationFailed, CodeRejected, LoginThrottled, RecoveryCodeRejected
from mdreg.infra.limits import field_text
from mdreg.infra.security import check_password_strength, given_password
from mdreg.ports import UnitOfWork
from mdreg.service.account_recovery import other_channels, security_notice
from mdreg.service.account_steps import (
    FIELD_CHARACTERS,
    account_by_id,
    email_input,
    log,
    login_input,
    own_account,
    phone_input,
    same_version,
    update,
)
from mdreg.service.portal_base import CodeTicket, PortalBase
from mdreg.service.services import append_audit


@guard_public_methods
class AccountSecurity(PortalBase):
    """Login and the security settings of :class:`~mdreg.service.accounts.Accounts`."""

    def login(self, login_name: str, password: str, *, source: str | None = None) -> Account:
        """Check the password; upgrade a hash made with older parameters (check_needs_rehash).

        Failed logins are counted per login name (case-folded, whether or not an account has
        it) and, when the portal names it, per ``source`` (the client's address or device key),
        under :attr:`SecuritySettings.throttle <mdreg.infra.security.SecuritySettings.throttle>`;
        both are kept only as keyed hashes. While either is locked every login through it is
        refused, the right password included. A successful login clears the login name's count
        (not the source's). Each refusal is audited on the account (``login_refused``) when the
        name is an account's.

        Raises:
            ValidationError: ``login_name``, ``password`` or ``source`` is not text, too long or
                holds control characters.
            LoginThrottled: the login name or the source is locked (``retry_after``).
            AuthenticationFailed: unknown login name or wrong password (not told apart).
        """
        login = login_input(login_name)
        secret = given_password(password)
        where = None if source is None else field_text(source, "source", "来源", FIELD_CHARACTERS)
        keys = self._throttle_keys(login, where)
        services = self.services

        def look(uow: UnitOfWork) -> tuple[Account | None, datetime | None]:
            counters = [uow.login_attempts.get(key) for key in keys]
            return uow.accounts.by_login(login), _locked(counters, services.now())

        account, locked = self._read(look)
        stored = account.password_hash if account is not None else ""
        # an unknown login name is verified against a dummy hash: as slow as a wrong password
        matches = locked is None and self._passwords.verify(stored, secret)
        refusal = self._run(lambda uow, now: self._count(uow, keys, account, matches, now))
        if refusal is not None:
            raise refusal
        if account is None:  # pragma: no cover - matches is False without an account
            raise AuthenticationFailed()
        if not self._passwords.needs_rehash(stored):
            return account
        fresh = self._passwords.hash(secret)

        def work(uow: UnitOfWork, now: datetime) -> Account:
            current = account_by_id(uow, account.id)
            if current.version != account.version:  # changed meanwhile: keep the newer hash
                return current
            return update(uow, current, "rehash_password", Actor.physician(current.physician_id),
                          now, password_hash=fresh)

        return self._run(work)

    def change_password(self, actor: Actor, current: str, new: str) -> Account:
        """修改登录密码: needs the current password.

        Raises:
            AuthenticationFailed: the current password is wrong.
            WeakPassword: the new one is too short or too common.
            ConcurrencyConflict: the account changed meanwhile.
        """
        account = self._read(lambda uow: own_account(uow, actor))
        self._check_password(account, current)
        check_password_strength(new, login_name=account.login_name)
        fresh = self._passwords.hash(new)
        return self._run(lambda uow, now: update(
            uow, same_version(uow, account), "change_password", actor, now, password_hash=fresh))

    def request_phone_change(self, actor: Actor, password: str, new_phone: str | Phone) -> CodeTicket:
        """修改手机号, step 1: the current password, then a code to the *new* phone."""
        phone = phone_input(new_phone)
        account = self._read(lambda uow: own_account(uow, actor))
        self._check_password(account, password)
        return self._run(lambda uow, now: self._issue(
            uow, same_version(uow, account), CodePurpose.CHANGE_PHONE, Channel.SMS,
            phone.national, actor, now))

    def confirm_phone_change(self, actor: Actor, code: str) -> Account:
        """修改手机号, step 2: the code sent to the new phone; the new phone is verified."""
        return self._confirm_contact(actor, code, CodePurpose.CHANGE_PHONE, Channel.SMS)

    def request_email_change(self, actor: Actor, password: str, new_email: str | Email) -> CodeTicket:
        """修改安全邮箱, step 1: the current password, then a code to the *new* address."""
        email = email_input(new_email)
        account = self._read(lambda uow: own_account(uow, actor))
        self._check_password(account, password)
        return self._run(lambda uow, now: self._issue(
            uow, same_version(uow, account), CodePurpose.CHANGE_EMAIL, Channel.EMAIL,
            email.address, actor, now))

    def confirm_email_change(self, actor: Actor, code: str) -> Account:
        """修改安全邮箱, step 2: the code sent to the new address; it is verified."""
        return self._confirm_contact(actor, code, CodePurpose.CHANGE_EMAIL, Channel.EMAIL)

    def _confirm_contact(self, actor: Actor, code: str, purpose: CodePurpose,
                         channel: Channel) -> Account:
        """A contact change's second step: the code sent to the new contact makes it the
        account's, verified; the other channel is told."""
        event = "change_phone" if channel is Channel.SMS else "change_email"

        def work(uow: UnitOfWork, now: datetime) -> Account:
            account = own_account(uow, actor)
            used = self._desk.redeem(uow, account.id, purpose, code, now)
            contact: dict[str, object] = (
                {"phone": Phone.parse(used.destination), "phone_verified": True}
                if channel is Channel.SMS else
                {"email": Email.parse(used.destination), "email_verified": True})
            changed = update(uow, account, event, actor, now,
                             data={"to": [mask_contact(used.destination)]}, **contact)
            security_notice(uow, self.services.ids, changed, event,
                            other_channels(account, channel), now,
                            to=mask_contact(used.destination))
            return changed

        return self._run(work, keep_attempts=True)

    def start_recovery(self, login_name: str, channel: Channel = Channel.SMS) -> CodeTicket | None:
        """找回密码, step 1: a code to the account's *verified* phone or e-mail.

        Returns ``None`` — and sends nothing — for an unknown login name or a channel that is
        not verified, so the answer does not tell which login names exist.

        Raises:
            ValidationError: ``login_name`` is not text, too long or holds control characters.
        """
        login = login_input(login_name)

        def work(uow: UnitOfWork, now: datetime) -> CodeTicket | None:
            account = uow.accounts.by_login(login)
            if account is None:
                return None
            if channel is Channel.SMS and account.phone and account.phone_verified:
                destination = account.phone.national
            elif channel is Channel.EMAIL and account.email and account.email_verified:
                destination = account.email.address
            else:
                return None
            return self._issue(uow, account, CodePurpose.RECOVERY, channel, destination,
                               Actor.system("password_recovery"), now)

        return self._run(work)

    def finish_recovery(self, login_name: str, code: str, new_password: str) -> Account:
        """找回密码, step 2: the recovery code and a new password.

        Raises:
            RecoveryCodeRejected: a wrong (attempt counted), expired, used, exhausted or missing
                code, or an unknown login name: one answer for all, so that this step does not
                tell whether a login name exists.
            WeakPassword: the new password is too short or too common.
        """
        login = login_input(login_name)
        check_password_strength(new_password, login_name=login)
        fresh = self._passwords.hash(new_password)

        def work(uow: UnitOfWork, now: datetime) -> Account:
            account = uow.accounts.by_login(login)
            if account is None:
                raise RecoveryCodeRejected
            try:
                used = self._desk.redeem(uow, account.id, CodePurpose.RECOVERY, code, now)
            except CodeRejected:
                raise RecoveryCodeRejected from None  # the reason would tell the name exists
            recovered = update(uow, account, "recover_password",
                               Actor.system("password_recovery"), now, password_hash=fresh)
            security_notice(uow, self.services.ids, recovered, "recover_password",
                            other_channels(account, used.channel), now)
            return recovered

        return self._run(work, keep_attempts=True)

    def purge_login_counters(self, now: datetime | None = None) -> int:
        """Delete the failed-login counters that no longer change any answer: those without
        a failure or the end of a lockout within ``max_lockout`` (or ``window``, if longer) of
        ``now`` (the clock by default) — such a counter answers a login as no counter does. Run
        it now and then, beside :meth:`~mdreg.Registry.tick`; the ``login_attempts`` table
        otherwise keeps a row for every login name and source ever refused.

        Returns:
            how many counters were deleted.

        Raises:
            ValidationError: ``now`` is not an aware datetime.
        """
        at = None if now is None else ensure_aware(now, "now")
        rule = self.settings.throttle
        quiet = max(rule.max_lockout, rule.window)
        return self._run(lambda uow, clock: uow.login_attempts.purge((at or clock) - quiet))

    def _throttle_keys(self, login: str, source: str | None) -> tuple[str, ...]:
        keys = [self.settings.throttle_key("login", login.casefold())]
        if source:
            keys.append(self.settings.throttle_key("source", source))
        return tuple(keys)

    def _count(self, uow: UnitOfWork, keys: tuple[str, ...], account: Account | None,
               matches: bool, now: datetime) -> AuthenticationFailed | None:
        """Hold the login name's and the source's counters, then: refuse while one is locked
        (nothing counted); count a failure on each; or clear the login name's count."""
        rule = self.settings.throttle
        counters = [uow.login_attempts.hold(key) or LoginCounter(key) for key in keys]
        until = _locked(counters, now)
        if until is None and account is not None and matches:
            if counters[0] != LoginCounter(keys[0]):
                uow.login_attempts.put(LoginCounter(keys[0]))
            return None
        if until is None:
            limits = (rule.attempts, rule.source_attempts)
            for counter, limit in zip(counters, limits, strict=False):
                uow.login_attempts.put(counter.failed(now, limit, rule))
        reason = "wrong_password" if until is None else "throttled"
        if account is not None:
            data = {"reason": [reason], "source": [keys[1][-8:] if len(keys) > 1 else ""]}
            append_audit(uow, account.id, "login_refused", account.state, account.state,
                         Actor.system("login"), now, data=data)
        log.info("login refused (%s) for %s, throttle key %s", reason,
                 account.id if account is not None else "an unknown login name", keys[0][-8:])
        return AuthenticationFailed() if until is None else LoginThrottled(until)

    def _check_password(self, account: Account, password: str) -> None:
        if not self._passwords.verify(account.password_hash, password):
            log.info("account %s: wrong current password", account.id)
            raise AuthenticationFailed("the current password is wrong")



def _locked(counters: Iterable[LoginCounter | None], now: datetime) -> datetime | None:
    """The latest end of a lockout running at ``now`` on one of ``counters`` (``None``: none
    runs)."""
    return max((end for c in counters if c is not None and (end := c.locked_at(now))),
               default=None)

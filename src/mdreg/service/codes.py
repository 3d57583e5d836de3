"""验证码 — issuing and redeeming one-time codes inside a unit of work.

Issuing checks the send quotas of the destination, supersedes the account's previous code of the
same purpose, stores only the code's hash and writes the message to the outbox — all in the
caller's unit of work. Redeeming checks status, lifetime and the hash; a wrong code counts an
attempt (the caller commits it before raising) and the fifth wrong attempt invalidates the code.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import attrs

from mdreg.domain.account import (
    Channel,
    CodePurpose,
    CodeStatus,
    OneTimeCode,
    OutboxMessage,
    mask_contact,
)
from mdreg.errors import (
    CodeAlreadyUsed,
    CodeExhausted,
    CodeExpired,
    CodeMismatch,
    NoActiveCode,
    QuotaExceeded,
)
from mdreg.infra.security import CodeHasher, CodePolicy, generate_code
from mdreg.ports import UnitOfWork
from mdreg.service.ids import IdGenerator

log = logging.getLogger("mdreg.accounts")

_WHAT = {
    CodePurpose.VERIFY_PHONE: "您正在验证手机号，验证码：{code}",
    CodePurpose.VERIFY_EMAIL: "您正在验证安全邮箱，验证码：{code}",
    CodePurpose.ACTIVATION: "{sender}为您生成的账户激活码：{code}",
    CodePurpose.CHANGE_PHONE: "您正在更换手机号，验证码：{code}",
    CodePurpose.CHANGE_EMAIL: "您正在更换安全邮箱，验证码：{code}",
    CodePurpose.RECOVERY: "您正在找回密码，验证码：{code}",
}


def message_body(purpose: CodePurpose, code: str, ttl: timedelta, sender: str = "") -> str:
    """The text the portal delivers; the only place a plaintext code is ever written."""
    minutes = int(ttl.total_seconds() // 60)
    what = _WHAT[purpose].format(code=code, sender=sender or "您的执业机构")
    return f"【医师电子化注册】{what}，{minutes}分钟内有效，请勿告诉他人。"


def _subject(account_id: str, destination: str) -> str:
    return f"{account_id}|{destination}"


@attrs.frozen
class CodeDesk:
    """Issues and redeems codes with one hasher, policy and id generator."""

    hasher: CodeHasher
    policy: CodePolicy
    ids: IdGenerator

    def issue(self, uow: UnitOfWork, account_id: str, purpose: CodePurpose, channel: Channel,
              destination: str, now: datetime, *, issued_by: str = "",
              sender: str = "") -> OneTimeCode:
        """Issue a code for ``purpose`` to ``destination`` and queue its message.

        Raises:
            QuotaExceeded: the destination already received its codes for the hour or the day.
        """
        self._check_quota(uow, channel, destination, now)
        previous = uow.codes.latest(account_id, purpose)
        if previous is not None and previous.status is CodeStatus.ACTIVE:
            uow.codes.save(attrs.evolve(previous, status=CodeStatus.SUPERSEDED,
                                        version=previous.version + 1), previous.version)
        code = generate_code()
        row = OneTimeCode(
            id=self.ids.new("C"), account_id=account_id, purpose=purpose, channel=channel,
            destination=destination,
            code_hash=self.hasher.hash(code, purpose=purpose.value,
                                       subject=_subject(account_id, destination)),
            issued_at=now, expires_at=now + self.policy.ttl, issued_by=issued_by,
        )
        uow.codes.add(row)
        uow.outbox.add(OutboxMessage(
            self.ids.new("M"), channel, destination, purpose.value,
            message_body(purpose, code, self.policy.ttl, sender), account_id, now,
        ))
        log.debug("code %s (%s) issued to %s by %s, expires %s", row.id, purpose.value,
                  mask_contact(destination), channel.value, row.expires_at.isoformat())
        return row

    def _check_quota(self, uow: UnitOfWork, channel: Channel, destination: str,
                     now: datetime) -> None:
        uow.codes.lock_destination(destination)  # concurrent sends there wait: exact counts
        windows = ((timedelta(days=1), self.policy.sends_per_day, "day"),
                   (timedelta(hours=1), self.policy.sends_per_hour, "hour"))
        for window, limit, name in windows:
            if uow.codes.sent_since(destination, now - window) >= limit:
                log.info("send quota per %s reached for %s", name, mask_contact(destination))
                raise QuotaExceeded(channel.value, limit, name)

    def redeem(self, uow: UnitOfWork, account_id: str, purpose: CodePurpose, code: str,
               now: datetime, *, destination: str | None = None) -> OneTimeCode:
        """Consume the account's current code of ``purpose`` if ``code`` matches it.

        ``destination``, when given, must be where the code was sent (a changed phone makes an
        older verification code fail). A wrong code is saved as a counted attempt before
        :class:`~mdreg.errors.CodeMismatch` is raised: the caller commits it.

        Raises:
            NoActiveCode, CodeAlreadyUsed, CodeExhausted, CodeExpired, CodeMismatch.
        """
        row = uow.codes.latest(account_id, purpose)
        if row is None or row.status is CodeStatus.SUPERSEDED:
            raise NoActiveCode(purpose.value)
        if row.status is CodeStatus.USED:
            raise CodeAlreadyUsed(purpose.value)
        if row.status is CodeStatus.EXHAUSTED:
            raise CodeExhausted(purpose.value)
        if now >= row.expires_at:
            raise CodeExpired(purpose.value)
        subject = _subject(account_id, destination if destination is not None else row.destination)
        if not self.hasher.verify(row.code_hash, str(code).strip(), purpose=purpose.value,
                                  subject=subject):
            attempts = row.attempts + 1
            spent = attempts >= self.policy.max_attempts
            status = CodeStatus.EXHAUSTED if spent else row.status
            uow.codes.save(attrs.evolve(row, attempts=attempts, status=status,
                                        version=row.version + 1), row.version)
            log.info("wrong %s code for account %s (attempt %d)", purpose.value, account_id,
                     attempts)
            raise CodeMismatch(purpose.value, self.policy.max_attempts - attempts)
        used = attrs.evolve(row, status=CodeStatus.USED, used_at=now, version=row.version + 1)
        uow.codes.save(used, row.version)
        return used

"""The demo's "phone": a :class:`mdreg.Sender` that keeps what it delivers in memory.

A real deployment gives the :class:`mdreg.Dispatcher` an SMS gateway, an SMTP server and its
in-portal inbox; the demo delivers every channel here and shows each user the messages sent to
their own phone, e-mail address and portal inbox on the 演示手机 page. A password recovery in
progress (an anonymous session) sees only the recovery codes sent to the account it recovers
(:func:`recovery_codes`).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

import mdreg
from mdreg import Channel, CodePurpose, OutboxMessage
from mdreg.service.services import read


@dataclass(frozen=True)
class Delivered:
    channel: str
    template: str
    body: str
    aggregate_id: str
    at: datetime


class DemoPhone:
    """Delivered messages by recipient (a phone number, an e-mail address or ``kind:id``)."""

    def __init__(self) -> None:
        self._inbox: dict[str, list[Delivered]] = defaultdict(list)
        self._lock = threading.Lock()

    def send(self, message: OutboxMessage) -> None:
        with self._lock:
            self._inbox[message.to].append(Delivered(
                message.channel.label, message.template, message.body, message.aggregate_id,
                message.created_at))

    def messages(self, *recipients: str) -> list[Delivered]:
        """What ``recipients`` received, newest first."""
        with self._lock:
            found = [m for to in recipients for m in self._inbox.get(to, ())]
        return sorted(found, key=lambda m: m.at, reverse=True)


def recovery_codes(registry: mdreg.Registry, phone: DemoPhone, login_name: str,
                   since: datetime) -> list[Delivered]:
    """The recovery codes sent to the account of ``login_name`` since ``since``, newest first:
    what its owner's phone and mailbox received for 找回密码, nothing else; none for a login
    name no account has. Looked up on the server — the anonymous session holds only the name
    its user typed."""
    account = read(registry.services, lambda uow: uow.accounts.by_login(login_name))
    if account is None:
        return []
    contacts = [c for c in (account.phone and account.phone.national,
                            account.email and account.email.address) if c]
    return [m for m in phone.messages(*contacts)
            if m.template == CodePurpose.RECOVERY.value and m.aggregate_id == account.id
            and m.at >= since]


def dispatcher(registry: mdreg.Registry, phone: DemoPhone) -> mdreg.Dispatcher:
    """Delivers every channel of the outbox to ``phone``."""
    return mdreg.Dispatcher(registry, dict.fromkeys((Channel.SMS, Channel.EMAIL, Channel.NOTICE), phone))

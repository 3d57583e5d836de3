"""发送 — where the outbox's messages go: a small :class:`Sender` protocol and three senders.

A sender delivers one :class:`~mdreg.domain.account.OutboxMessage` or raises
:class:`~mdreg.errors.DeliveryFailed` with a short reason that holds no personal data (it is
stored with the message); ``permanent=True`` says no retry can succeed. Delivery is at least
once: a message may reach a sender again (after a crash, or a lease that ran out), and each one
carries its id for the receiving end to drop repeats — the SMTP sender sends it as the
``Message-ID``, the webhook as the ``Idempotency-Key`` header.

* :class:`ConsoleSender` prints one masked line per message (development; never the body).
* :class:`SmtpSender` sends e-mail with :mod:`smtplib`.
* :class:`WebhookSender` POSTs the message as JSON (an SMS gateway, a notice service).

:func:`sender_for` builds one from a command-line spec (``console``, ``smtp://host:port``,
``https://…``).
"""

from __future__ import annotations

import json
import smtplib
import sys
import urllib.error
import urllib.parse
import urllib.request
from email.message import EmailMessage
from typing import Protocol, TextIO

import attrs

from mdreg.domain.account import Channel, OutboxMessage, mask_contact
from mdreg.errors import DeliveryFailed, ValidationError

#: The channels a webhook takes when its spec names none: all of them.
ALL_CHANNELS = frozenset(Channel)


class Sender(Protocol):
    """Delivers one message, or raises :class:`~mdreg.errors.DeliveryFailed`."""

    def send(self, message: OutboxMessage) -> None: ...


@attrs.define
class ConsoleSender:
    """Prints ``id channel masked-recipient template`` for each message (to stdout by default);
    the body, which may hold a one-time code, is never printed."""

    stream: TextIO | None = None

    def send(self, message: OutboxMessage) -> None:
        stream = self.stream if self.stream is not None else sys.stdout
        print(f"{message.id} {message.channel.value} {mask_contact(message.to)} "
              f"{message.template}", file=stream, flush=True)


@attrs.frozen
class SmtpSender:
    """Sends e-mail through an SMTP server; the message id becomes the ``Message-ID``.

    A refused recipient or a 5xx answer is permanent; a 4xx answer, a timeout or a refused
    connection is worth another try. The password never appears in ``repr``.
    """

    host: str
    port: int = 25
    sender: str = "noreply@mdreg.invalid"
    username: str | None = None
    password: str | None = attrs.field(default=None, repr=False)
    starttls: bool = False
    timeout: float = 10.0

    def send(self, message: OutboxMessage) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls()
                if self.username is not None:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(self.email(message))
        except smtplib.SMTPRecipientsRefused as error:
            raise DeliveryFailed("SMTP recipient refused", permanent=True) from error
        except smtplib.SMTPResponseException as error:
            code = int(error.smtp_code)
            raise DeliveryFailed(f"SMTP {code}", permanent=code >= 500) from error
        except (smtplib.SMTPException, OSError) as error:
            raise DeliveryFailed(f"SMTP {type(error).__name__}") from error

    def email(self, message: OutboxMessage) -> EmailMessage:
        """The e-mail for ``message``: its template as the subject, its body as the text."""
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.template
        email["Message-ID"] = f"<{message.id}@mdreg>"
        email.set_content(message.body)
        return email


@attrs.frozen
class WebhookSender:
    """POSTs each message as JSON to ``url`` with its id as the ``Idempotency-Key`` header.

    A 2xx answer is a delivery; 408, 429 and 5xx answers and connection failures are worth
    another try; any other answer is permanent. The URL (it may hold a token) appears in no
    error and not in ``repr``.
    """

    url: str = attrs.field(repr=False)
    timeout: float = 10.0
    headers: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=False)

    def send(self, message: OutboxMessage) -> None:
        request = urllib.request.Request(self.url, data=payload(message), method="POST",  # noqa: S310
                                         headers={"Content-Type": "application/json",
                                                  "Idempotency-Key": message.id,
                                                  **dict(self.headers)})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:  # noqa: S310
                answer.read()
        except urllib.error.HTTPError as error:
            status = error.code
            error.close()  # it holds the answer's connection
            raise DeliveryFailed(f"HTTP {status}",
                                 permanent=status < 500 and status not in (408, 429)) from None
        except (urllib.error.URLError, OSError) as error:
            raise DeliveryFailed(f"HTTP {type(error).__name__}") from None


def payload(message: OutboxMessage) -> bytes:
    """The webhook's JSON body: the message's id, channel, recipient, template, body, the
    aggregate it is about and when it was written."""
    return json.dumps({
        "id": message.id, "channel": message.channel.value, "to": message.to,
        "template": message.template, "body": message.body,
        "aggregate_id": message.aggregate_id, "created_at": message.created_at.isoformat(),
    }, ensure_ascii=False).encode()


def sender_for(spec: str) -> tuple[Sender, frozenset[Channel]]:
    """The sender a command-line spec names and the channels it serves by default.

    ``console`` (every channel), ``smtp://[user:password@]host[:port][?from=…&starttls=1]``
    (e-mail), ``http://…`` or ``https://…`` (every channel).

    Raises:
        ValidationError: none of these; the message never quotes the spec (it may hold a
            password).
    """
    if spec == "console":
        return ConsoleSender(), ALL_CHANNELS
    parts = urllib.parse.urlsplit(spec)
    if parts.scheme in ("http", "https") and parts.hostname:
        return WebhookSender(spec), ALL_CHANNELS
    if parts.scheme == "smtp" and parts.hostname:
        return _smtp(parts), frozenset({Channel.EMAIL})
    raise ValidationError("sender", "not console, smtp://host:port or an http(s) URL")


def _smtp(parts: urllib.parse.SplitResult) -> SmtpSender:
    query = dict(urllib.parse.parse_qsl(parts.query))
    try:
        port = parts.port or 25
    except ValueError:
        raise ValidationError("sender", "the SMTP port is not a number") from None
    return SmtpSender(
        parts.hostname or "", port, sender=query.get("from", SmtpSender.sender),
        username=urllib.parse.unquote(parts.username) if parts.username else None,
        password=urllib.parse.unquote(parts.password) if parts.password else None,
        starttls=query.get("starttls") in ("1", "true", "yes"))

"""The senders against local servers: SMTP (aiosmtpd), a webhook (http.server), the console."""

from __future__ import annotations

import email
import io
import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from mdreg.domain.account import Channel, OutboxMessage
from mdreg.errors import DeliveryFailed, ValidationError
from mdreg.infra.senders import ConsoleSender, SmtpSender, WebhookSender, sender_for

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
MAIL = OutboxMessage("M1", Channel.EMAIL, "doctor@example.org", "recovery_code", "验证码 123456",
                     "U1", AT)
SMS = OutboxMessage("M2", Channel.SMS, "13812345678", "recovery_code", "验证码 654321", "U1", AT)
REFUSED = "nobody@example.org"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Mailbox:
    """An aiosmtpd handler keeping what it receives; refuses :data:`REFUSED`."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          options: list[str]) -> str:
        if address == REFUSED:
            return "550 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp() -> Iterator[tuple[Mailbox, int]]:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield mailbox, port
    controller.stop()


def test_smtp_delivers_with_the_message_id(smtp: tuple[Mailbox, int]) -> None:
    mailbox, port = smtp
    SmtpSender("127.0.0.1", port, sender="mdreg@example.org").send(MAIL)
    ((sender, recipients, raw),) = mailbox.received
    parsed = email.message_from_bytes(raw)
    assert (sender, recipients) == ("mdreg@example.org", ["doctor@example.org"])
    assert parsed["Message-ID"] == "<M1@mdreg>"
    assert parsed["Subject"] == "recovery_code"
    assert "验证码 123456" in parsed.get_payload(decode=True).decode()


def test_smtp_refusals_are_permanent_and_name_no_address(smtp: tuple[Mailbox, int]) -> None:
    _, port = smtp
    refused = OutboxMessage("M3", Channel.EMAIL, REFUSED, "notice", "body", "U1", AT)
    with pytest.raises(DeliveryFailed) as raised:
        SmtpSender("127.0.0.1", port).send(refused)
    assert raised.value.permanent
    assert REFUSED not in str(raised.value)


def test_smtp_without_a_server_is_worth_another_try() -> None:
    with pytest.raises(DeliveryFailed) as raised:
        SmtpSender("127.0.0.1", free_port(), timeout=2).send(MAIL)
    assert not raised.value.permanent
    assert str(raised.value) == "SMTP ConnectionRefusedError"


class Hook(BaseHTTPRequestHandler):
    """Answers each POST with the status queued in ``server.statuses`` (200 when empty)."""

    server: Any

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.server.received.append((dict(self.headers), json.loads(self.rfile.read(length))))
        status = self.server.statuses.pop(0) if self.server.statuses else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def hook() -> Iterator[Any]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    server.received, server.statuses = [], []  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_the_webhook_posts_json_with_an_idempotency_key(hook: Any) -> None:
    url = f"http://127.0.0.1:{hook.server_address[1]}/sms?token=s3cret"
    WebhookSender(url).send(SMS)
    ((headers, body),) = hook.received
    assert headers["Idempotency-Key"] == "M2"
    assert body == {"id": "M2", "channel": "sms", "to": "13812345678",
                    "template": "recovery_code", "body": "验证码 654321", "aggregate_id": "U1",
                    "created_at": "2026-03-02T01:00:00+00:00"}
    assert "s3cret" not in repr(WebhookSender(url))


@pytest.mark.parametrize(("status", "permanent"), [(503, False), (429, False), (400, True),
                                                   (404, True)])
def test_webhook_failures_say_the_status_only(hook: Any, status: int, permanent: bool) -> None:
    hook.statuses.append(status)
    url = f"http://127.0.0.1:{hook.server_address[1]}/sms?token=s3cret"
    with pytest.raises(DeliveryFailed) as raised:
        WebhookSender(url).send(SMS)
    assert (str(raised.value), raised.value.permanent) == (f"HTTP {status}", permanent)


def test_a_webhook_nobody_answers_is_worth_another_try() -> None:
    with pytest.raises(DeliveryFailed) as raised:
        WebhookSender(f"http://127.0.0.1:{free_port()}/", timeout=2).send(SMS)
    assert not raised.value.permanent
    assert str(raised.value) == "HTTP URLError"


def test_the_console_prints_a_masked_line_without_the_body() -> None:
    out = io.StringIO()
    ConsoleSender(out).send(SMS)
    line = out.getvalue()
    assert line.startswith("M2 sms ") and line.rstrip().endswith("recovery_code")
    assert "13812345678" not in line and "654321" not in line
    assert "5678" in line


def test_specs_name_senders_and_their_channels() -> None:
    smtp, channels = sender_for("smtp://user:pa%40ss@mail.example.org:2525?from=a@b.org&starttls=1")
    assert smtp == SmtpSender("mail.example.org", 2525, sender="a@b.org", username="user",
                              password="pa@ss", starttls=True)
    assert channels == {Channel.EMAIL}
    assert "pa@ss" not in repr(smtp)
    assert sender_for("console")[1] == set(Channel)
    webhook, channels = sender_for("https://gateway.example.org/send")
    assert isinstance(webhook, WebhookSender) and channels == set(Channel)
    for bad in ("ftp://x", "smtp://", "smtp://user:s3cret@host:port", "nothing"):
        with pytest.raises(ValidationError) as raised:
            sender_for(bad)
        assert "s3cret" not in str(raised.value)

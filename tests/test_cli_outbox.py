"""``mdreg outbox run|status`` against a SQLite registry."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

import mdreg
from mdreg.cli import app
from mdreg.domain.account import Channel, OutboxMessage
from test_senders import Mailbox, free_port

RUNNER = CliRunner()
AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
PHONE = "13812345678"


def run(*args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def db(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'outbox.db'}"
    registry = mdreg.open(url)
    with registry.services.uow() as uow:
        for n in range(3):
            uow.outbox.add(OutboxMessage(f"M{n}", Channel.SMS, PHONE, "recovery_code",
                                         f"验证码 00000{n}", "U1", AT + timedelta(seconds=n)))
        uow.outbox.add(OutboxMessage("E1", Channel.EMAIL, "doctor@example.org", "notice",
                                     "正文", "U1", AT))
        uow.commit()
    registry.release()
    return url


def test_run_once_delivers_a_batch_to_the_console_masked(db: str) -> None:
    code, out, _ = run("outbox", "run", "--db", db, "--sender", "console", "--once",
                       "--batch", "3")
    assert code == 0
    assert out.splitlines()[:3] == ["E1 email d***@example.org notice",
                                    "M0 sms *******5678 recovery_code",
                                    "M1 sms *******5678 recovery_code"]
    assert out.splitlines()[3].endswith("claimed 3: sent 3, failed 0, parked 0, lost 0, left 0")
    assert PHONE not in out and "000000" not in out
    code, out, _ = run("outbox", "status", "--db", db)
    assert (code, out.split(": ", 1)[1].strip()) == (0, "pending 1, leased 0, sent 3, parked 0")


def test_a_channel_can_have_its_own_sender(db: str) -> None:
    mailbox, port = Mailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        code, out, _ = run("outbox", "run", "--db", db, "--sender",
                           f"email=smtp://127.0.0.1:{port}", "--once")
    finally:
        controller.stop()
    assert code == 0 and "claimed 1: sent 1" in out
    assert [to for _, to, _ in mailbox.received] == [["doctor@example.org"]]
    assert "pending 3, leased 0, sent 1" in run("outbox", "status", "--db", db)[1]


def test_an_unreachable_sender_fails_the_batch_for_later(db: str) -> None:
    code, out, _ = run("outbox", "run", "--db", db, "--sender",
                       f"sms=http://127.0.0.1:{free_port()}/hook?token=s3cret", "--once")
    assert code == 0 and "claimed 3: sent 0, failed 3" in out
    assert "s3cret" not in out
    assert "pending 4, leased 0" in run("outbox", "status", "--db", db)[1]


@pytest.mark.parametrize(("spec", "said"), [
    ("smtp://user:s3cret@host:port", "--sender: sender: the SMTP port is not a number"),
    ("ftp://user:s3cret@host", "--sender: sender: not console"),
    ("fax=console", "--sender: no channel 'fax'"),
])
def test_a_bad_sender_is_one_line_without_its_secret(db: str, spec: str, said: str) -> None:
    code, _, err = run("outbox", "run", "--db", db, "--sender", spec, "--once")
    assert code == 2
    assert err.startswith(f"error: {said}") and err.count("\n") == 1
    assert "s3cret" not in err

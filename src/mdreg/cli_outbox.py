"""``mdreg outbox run|status``: deliver the outbox's messages, and count them by state.

>>> from typer.testing import CliRunner
>>> from mdreg.cli import app
>>> result = CliRunner().invoke(app, ["outbox", "status", "--db", "memory://"])
>>> result.output.strip()
'memory://: pending 0, leased 0, sent 0, parked 0'
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

import mdreg
from mdreg.cli_support import fail, opening, redact
from mdreg.domain.account import Channel, OutboxCounts
from mdreg.errors import MdregError
from mdreg.infra.senders import Sender, sender_for
from mdreg.service.delivery import DeliveryReport, Dispatcher, outbox_counts

outbox_app = typer.Typer(help="Deliver the outbox's messages (SMS, e-mail, notices).",
                         no_args_is_help=True)

Db = Annotated[str, typer.Option("--db", help="the registry's database URL")]
SENDER_HELP = ("console, smtp://host:port (e-mail), or an http(s):// webhook; CHANNEL=SPEC "
               "(sms=https://…) for one channel only. Repeatable; a later one wins a channel.")


def _open(url: str) -> mdreg.Registry:
    with opening(url):
        return mdreg.open(url)


def senders(specs: list[str]) -> dict[Channel, Sender]:
    """The sender of each channel the ``--sender`` options name."""
    chosen: dict[Channel, Sender] = {}
    for spec in specs:
        name, _, rest = spec.partition("=")
        pinned = _channel(name) if rest and "://" not in name else None
        try:
            sender, channels = sender_for(rest if pinned is not None else spec)
        except MdregError as error:
            raise fail(f"--sender: {error.message}") from None
        chosen.update(dict.fromkeys({pinned} if pinned is not None else channels, sender))
    return chosen


def _channel(name: str) -> Channel:
    found = next((c for c in Channel if c.value == name), None)
    if found is None:
        known = ", ".join(c.value for c in Channel)
        raise fail(f"--sender: no channel {name!r} (one of {known})")
    return found


def describe(counts: OutboxCounts) -> str:
    return (f"pending {counts.pending}, leased {counts.leased}, sent {counts.sent}, "
            f"parked {counts.parked}")


def summary(report: DeliveryReport) -> str:
    return (f"claimed {report.claimed}: sent {report.sent}, failed {report.failed}, "
            f"parked {report.parked}, lost {report.lost}, left {report.skipped}")


@outbox_app.command("status")
def status(db: Db) -> None:
    """Count the outbox's messages: pending (including those waiting for a retry), leased to a
    dispatcher, sent and parked."""
    registry = _open(db)
    with opening(db):
        counts = outbox_counts(registry)
    typer.echo(f"{redact(db)}: {describe(counts)}")


@outbox_app.command("run")
def run(db: Db,
        sender: Annotated[list[str], typer.Option("--sender", help=SENDER_HELP)],
        once: Annotated[bool, typer.Option("--once", help="one batch, then exit")] = False,
        batch: Annotated[int, typer.Option("--batch", min=1, help="messages per claim")] = 100,
        lease: Annotated[float, typer.Option("--lease", min=1, help="seconds a claim holds")] = 60,
        max_attempts: Annotated[int, typer.Option("--max-attempts", min=1,
                                                  help="claims before a message is parked")] = 8,
        idle: Annotated[float, typer.Option("--idle", min=0.01,
                                            help="seconds to wait when nothing is due")] = 1.0,
        ) -> None:
    """Deliver due messages through the senders, at least once each; several may run at once.
    Without --once, runs until interrupted."""
    chosen = senders(sender)
    registry = _open(db)
    dispatcher = Dispatcher(registry, chosen, batch=batch, lease=timedelta(seconds=lease),
                            max_attempts=max_attempts)
    with opening(db):
        try:
            done = dispatcher.run_once() if once else dispatcher.run(idle=idle)
        except KeyboardInterrupt:
            done = None
    if done is not None:
        typer.echo(f"{redact(db)}: {summary(done)}")


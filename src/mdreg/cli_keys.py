"""``mdreg keys status|protect|rotate``: protect ID numbers and phones at rest, and rotate the
key.

The keys come from the environment, never from the command line and never printed:
``MDREG_PROTECTION_KEY`` (the current key) and ``MDREG_PREVIOUS_KEYS`` (comma-separated), each
base64 of 32 bytes or more (:meth:`~mdreg.infra.protection.IdProtection.from_environment`).
Output names the database (password hidden), the current key's id and counts of rows.
"""

from __future__ import annotations

from typing import Annotated

import typer

from mdreg.adapters.sql import keys
from mdreg.adapters.sql.store import SqlStore
from mdreg.cli_support import fail, opening, redact
from mdreg.errors import MdregError
from mdreg.infra.protection import IdProtection

keys_app = typer.Typer(help="Protect ID numbers and phones at rest, and rotate the key (keys "
                       "from MDREG_PROTECTION_KEY and MDREG_PREVIOUS_KEYS).",
                       no_args_is_help=True)

Db = Annotated[str, typer.Option("--db", help="the registry's database URL")]
BatchSize = Annotated[int, typer.Option("--batch-size", min=1, max=10_000,
                                        help="rows per transaction")]


def _protection() -> IdProtection:
    try:
        return IdProtection.from_environment()
    except MdregError as error:
        raise fail(error.describe()) from None


def describe(progress: keys.KeyProgress) -> str:
    return f"key {progress.key_id}: done {progress.done}, remaining {progress.remaining}"


@keys_app.command("status")
def status(db: Db) -> None:
    """Count the protected rows (physicians, accounts, codes, outbox messages) under the
    current key and the rest (in clear or under a previous key)."""
    protection = _protection()
    with opening(db):
        store = SqlStore.connect(db, protection=protection)
        try:
            progress = keys.key_progress(store)
        finally:
            store.close()
    typer.echo(f"{redact(db)}: {describe(progress)}")


def _report(db: Db, report: keys.ResealReport) -> None:
    typer.echo(f"{redact(db)}: converted {report.converted}; {describe(report.progress)}")


def _batch_done(progress: keys.KeyProgress) -> None:
    typer.echo(describe(progress), err=True)


@keys_app.command("protect")
def protect(db: Db, batch_size: BatchSize = 500) -> None:
    """Turn protection on for a database holding ID numbers and phones in clear: every row is
    written again, indexed and sealed under the current key. Online and resumable: run it
    again after an interruption to finish."""
    protection = _protection()
    with opening(db):
        report = keys.protect(db, protection, batch_size=batch_size, progress=_batch_done)
    _report(db, report)


@keys_app.command("rotate")
def rotate(db: Db, batch_size: BatchSize = 500) -> None:
    """Re-seal and re-index every protected row under the current key; MDREG_PREVIOUS_KEYS
    must hold the keys the rest were written with. Online and resumable."""
    protection = _protection()
    with opening(db):
        report = keys.rotate(db, protection, batch_size=batch_size, progress=_batch_done)
    _report(db, report)

"""What every ``mdreg`` command shares: errors as one line on stderr, URLs without passwords.

A command that cannot go on says why in one line, ``error: …``, on stderr, and exits non-zero:
2 for a bad input or an unusable database or file, 1 for anything unexpected. No traceback.

>>> redact("postgresql+psycopg://mdreg:s3cret@db.internal/mdreg")
'postgresql+psycopg://mdreg:***@db.internal/mdreg'
>>> one_line("connection failed:\\n\\tIs the  server running?")
'connection failed: Is the server running?'
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from typer.core import TyperGroup

from mdreg.errors import MdregError

if TYPE_CHECKING:
    from mdreg.rules.policy import Policy

_PASSWORD = re.compile(r"(://[^:/@]*:)[^@/]*@")


def console_width() -> int | None:
    """The width tables are drawn at: the terminal's, or ``COLUMNS``, else 140 (piped output)."""
    from rich.console import Console

    return None if Console().is_terminal or os.environ.get("COLUMNS") else 140


def one_line(text: str) -> str:
    """``text`` with every run of whitespace, newlines included, made one space."""
    return " ".join(text.split())


def fail(message: str, code: int = 2) -> typer.Exit:
    """Print ``error: message`` as one line on stderr; raise the exit this returns."""
    typer.echo(f"error: {one_line(message)}", err=True)
    return typer.Exit(code)


def redact(url: str) -> str:
    """A database URL with its password, if any, replaced by ``***``."""
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # not a URL SQLAlchemy parses: hide whatever sits where a password would
        return _PASSWORD.sub(r"\1***@", url)


def load_policy(spec: str, option: str = "--policy") -> Policy:
    """The policy ``spec`` names: ``base``, ``package.module:ATTRIBUTE`` or
    ``path/to/file.py:ATTRIBUTE``; anything else — no such module or attribute, not a
    :class:`~mdreg.rules.policy.Policy`, a date (``@DATE``), a module failing to import — is the
    command line's one-line error naming ``option``."""
    from mdreg.workflows.policies import resolve

    if "@" in spec:
        raise fail(f"{option} {spec}: a policy here is base or module:ATTRIBUTE, without a date")
    try:
        policy, _ = resolve(spec)
    except MdregError as error:
        raise fail(f"{option} {spec}: {error.describe()}") from None
    except Exception as error:  # the module itself failed while it was imported
        raise fail(f"{option} {spec}: cannot import: {type(error).__name__}: {error}") from None
    return policy


def _password(url: str) -> str | None:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).password
    except Exception:
        return None


def problem(error: BaseException, url: str = "") -> str:
    """One line saying what went wrong; with the database ``url`` a command was opening, a
    connection failure names it (password hidden) and keeps the driver's first line."""
    if isinstance(error, MdregError):
        text = error.describe()
        cause = _connection_failure(error)
        if cause and url:
            text = f"cannot open {redact(url)}: {cause}"
        elif cause:
            text = f"{text}: {cause}"
    elif isinstance(error, OSError) and error.filename is not None:
        text = f"{error.filename}: {error.strerror or error}"
    else:
        text = f"unexpected {type(error).__name__}: {error}"
    secret = _password(url) if url else None
    return one_line(text.replace(secret, "***") if secret else text)


def _connection_failure(error: MdregError) -> str | None:
    """The driver's first line when ``error`` comes from failing to connect.

    Only connection failures: a failed statement's text may quote the values it wrote.
    """
    from sqlalchemy import exc as sa_exc

    cause = error.__cause__
    if isinstance(cause, sa_exc.OperationalError) and cause.statement is None:
        lines = str(cause.orig).strip().splitlines()
        return lines[0] if lines else None
    return None


@contextmanager
def opening(url: str) -> Iterator[None]:
    """Turn a failure to open the database at ``url`` into a one-line error."""
    try:
        yield
    except MdregError as error:
        raise fail(problem(error, url)) from None


def writable(path: Path | None, option: str) -> None:
    """Fail now, not after the run, if ``path`` cannot be written."""
    if path is None:
        return
    directory = path.parent
    if path.is_dir():
        raise fail(f"{option} {path}: is a directory")
    if not directory.is_dir():
        raise fail(f"{option} {path}: no directory {directory}")
    if not os.access(directory, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise fail(f"{option} {path}: not writable")


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; ``None`` for any other database."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


class Commands(TyperGroup):
    """The ``mdreg`` group: an error no command handled becomes one line on stderr."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as error:
            if type(error).__module__.split(".")[0] in ("typer", "click"):
                raise  # exits, usage errors and help: the command line's own handling
            if isinstance(error, MdregError | OSError):
                raise fail(problem(error)) from None
            raise fail(problem(error), 1) from None

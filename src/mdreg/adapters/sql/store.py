"""A SQL registry's shared state: the engine, its statements, and the transaction runner."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

import attrs
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.pool import PoolProxiedConnection

from mdreg.adapters.sql import mapping
from mdreg.adapters.sql.driver import Plans
from mdreg.adapters.sql.engine import create_engine, display_url
from mdreg.adapters.sql.statements import RULE_INPUT_PARTS, Statements
from mdreg.adapters.sql.translation import transient_code
from mdreg.adapters.sql.unit_of_work import SqlUnitOfWork
from mdreg.domain.account import Account, OneTimeCode, OutboxMessage
from mdreg.domain.model import Physician
from mdreg.errors import PersistenceError
from mdreg.infra.protection import IdProtection
from mdreg.infra.retry import Retry

T = TypeVar("T")

_IN_TRANSACTION: ContextVar[bool] = ContextVar("mdreg_sql_in_transaction", default=False)


@attrs.frozen
class RetryPolicy(Retry):
    """The retry rule of a SQL store's transactions: a unit of work that failed transiently — a
    serialization failure or deadlock on PostgreSQL, a busy database on SQLite — runs again,
    ``attempts`` runs in all, after a random wait of up to ``min(max_delay, base_delay * 2**n)``
    seconds before the n-th retry (:class:`mdreg.infra.retry.Retry`)."""

    attempts: int = 5
    on: tuple[type[BaseException], ...] = (PersistenceError,)
    base_delay: float = 0.005
    max_delay: float = 0.25

    def retries_after(self, error: BaseException) -> bool:
        return isinstance(error, PersistenceError) and transient_code(error) is not None


#: A test hook: called with a stage name at fixed points of every unit of work (see
#: :attr:`SqlStore.hook`).
StageHook = Callable[[str], None]


class SqlStore:
    """Committed state of a SQL registry; create units of work with :meth:`unit_of_work`.

    Attributes:
        retries: how many times :meth:`run_in_transaction` retried a unit of work.
        attempts: units of work run through :meth:`run_in_transaction`, by the number of attempts
            each took (``{1: 950, 2: 48, 3: 2}``), whether it finally succeeded or not.
        transient: the transient failures retried or given up on, by SQLSTATE (``40001``,
            ``40P01``) or SQLite error name.
        hook: ``None`` (the default), or a callable every unit of work calls with
            ``"wrote:<kind>"`` after each write statement (``kind`` as in the errors:
            ``application``, ``audit``, ``outbox`` …), ``"commit"`` right before COMMIT and
            ``"committed"`` right after. For crash and fault tests only.
    """

    def __init__(self, engine: Engine, *, retry: RetryPolicy | None = None,
                 sleep: Callable[[float], None] = time.sleep,
                 protection: IdProtection | None = None, read_clear: bool = False) -> None:
        self.engine = engine
        self.dialect: str = engine.dialect.name
        self.statements: Statements = Statements.build(self.dialect)
        self.plans: Plans = Plans(engine.dialect)
        #: ID numbers protected at rest (:mod:`mdreg.infra.protection`), or ``None``
        self.protection: IdProtection | None = protection
        self.physician_mapper: mapping.RowMapper[Physician] = mapping.protected(
            mapping.PHYSICIANS, protection, read_clear=read_clear)
        #: the portal's rows holding phones and e-mail addresses, protected like ID numbers
        self.account_mapper: mapping.RowMapper[Account] = mapping.protected(
            mapping.ACCOUNTS, protection, read_clear=read_clear)
        self.code_mapper: mapping.RowMapper[OneTimeCode] = mapping.protected(
            mapping.ONE_TIME_CODES, protection, read_clear=read_clear)
        self.outbox_mapper: mapping.RowMapper[OutboxMessage] = mapping.protected(
            mapping.OUTBOX_MESSAGES, protection, read_clear=read_clear)
        #: the mappers of :data:`~mdreg.adapters.sql.statements.RULE_INPUT_PARTS`, this store's
        self.rule_input_mappers: tuple[mapping.RowMapper[Any], ...] = tuple(
            self.physician_mapper if m is mapping.PHYSICIANS else m
            for m, _, _ in RULE_INPUT_PARTS)
        #: what a failing statement, begin or commit may raise: the driver's errors, and
        #: SQLAlchemy's (checking a connection out of the pool)
        self.driver_errors: tuple[type[Exception], ...] = (
            SQLAlchemyError, engine.dialect.loaded_dbapi.Error)
        self.retry = retry or RetryPolicy()
        self.retries = 0
        self.attempts: Counter[int] = Counter()
        self.transient: Counter[str] = Counter()
        self.hook: StageHook | None = None
        self._sleep = sleep
        self._lock = threading.Lock()

    @classmethod
    def connect(cls, url: str, *, retry: RetryPolicy | None = None,
                protection: IdProtection | None = None, read_clear: bool = False,
                **engine_options: Any) -> SqlStore:
        """A store on ``url`` (see :func:`~mdreg.adapters.sql.engine.create_engine`, which
        takes ``engine_options``: ``isolation_level="SERIALIZABLE"`` on PostgreSQL, say);
        ``protection`` keeps ID numbers out of the database in clear. ``read_clear`` (with
        ``protection``) reads rows stored without protection too: for ``mdreg keys protect``."""
        return cls(create_engine(url, **engine_options), retry=retry, protection=protection,
                   read_clear=read_clear)

    @property
    def url(self) -> str:
        """The database URL, password hidden."""
        return display_url(self.engine.url)

    def __repr__(self) -> str:
        return f"SqlStore({self.url!r})"

    def autocommit_reads(self, raw: PoolProxiedConnection) -> bool:
        """Whether a unit on ``raw`` runs in autocommit and opens its transactions itself with
        :attr:`begin_read` and :attr:`begin_write`: on PostgreSQL at READ COMMITTED (a stricter
        level keeps every statement of a unit in the transaction psycopg opens)."""
        if self.dialect != "postgresql" or raw.driver_connection is None:
            return False
        level = raw.driver_connection.isolation_level
        return level is None or level.name == "READ_COMMITTED"

    @property
    def begin_write(self) -> str:
        """What a unit runs before its first write, when it opens its own transaction."""
        return "BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN ISOLATION LEVEL READ COMMITTED"

    @property
    def begin_read(self) -> str:
        """What a unit runs before its first read, when it opens its own transaction: one
        snapshot for every read until the unit ends or writes (a deferred transaction on SQLite,
        which takes no lock; a read-only REPEATABLE READ one on PostgreSQL)."""
        return "BEGIN" if self.dialect == "sqlite" else \
            "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"

    def is_disconnect(self, error: Exception, raw: PoolProxiedConnection) -> bool:
        """Whether ``error`` means the connection is gone (so it must not go back to the pool)."""
        if isinstance(error, DBAPIError):
            return bool(error.connection_invalidated)
        if isinstance(error, SQLAlchemyError):
            return False
        driver_error: Any = error
        return bool(self.engine.dialect.is_disconnect(driver_error, raw.driver_connection, None))

    def unit_of_work(self) -> SqlUnitOfWork:
        """A fresh unit of work."""
        return SqlUnitOfWork(self)

    def run_in_transaction(self, work: Callable[[], T]) -> T:
        """Run ``work`` (which opens and commits its own unit of work), retrying it whole
        when it fails transiently: a serialization failure or deadlock on PostgreSQL, a busy
        database on SQLite. Nested calls run once, inside the outer attempt.

        Raises:
            PersistenceError: still failing after ``retry.attempts`` attempts (the last error).
        """
        if _IN_TRANSACTION.get():
            return work()
        token = _IN_TRANSACTION.set(True)
        try:
            return self._attempt(work)
        finally:
            _IN_TRANSACTION.reset(token)

    def _attempt(self, work: Callable[[], T]) -> T:
        def counted() -> T:
            try:
                return work()
            except PersistenceError as exc:
                code = transient_code(exc)
                if code is not None:
                    with self._lock:
                        self.transient[code] += 1
                raise

        return self.retry.call(counted, sleep=self._sleep, on_retry=self._retried,
                               on_done=self._counted)

    def _retried(self, error: BaseException) -> None:
        with self._lock:
            self.retries += 1

    def _counted(self, runs: int) -> None:
        with self._lock:
            self.attempts[runs] += 1

    def close(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()

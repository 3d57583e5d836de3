"""Many writers, one registry: the concurrency and crash checks for backends processes share.

Every check starts its workers with ``spawn`` (no pooled connection crosses a ``fork``) and lines
them up at a :class:`multiprocessing.Barrier` so they really race. Outcomes are counted by type
name, ``"ok"`` for a success. This module imports neither pytest nor hypothesis, so workers start
quickly.

* :func:`race` (RELIABILITY R-01/R-02): in every round all workers fire the same event on the
  same application with the same expected version. Exactly one may win each round; every other
  outcome must be a :class:`~mdreg.errors.ConcurrencyConflict`.
* :func:`open_race` (R-03): in every round all workers open the same 注册 for a new physician at
  one institution. Exactly one application may be open afterwards; the others must get
  :class:`~mdreg.errors.UniquenessConflict`. It reports the retries of the SQL store.
* :func:`idempotent_race` (R-04): in every round all workers send one command with one
  idempotency key. Exactly one transition may happen, and every worker must get the same result.
* :func:`quota_race` (S-04): every worker sends codes to one phone at once; the hourly quota
  lets exactly as many through as it allows.
* :func:`code_race` (S-02, S-03): every worker enters one code at once — the right one (used
  exactly once) or a wrong one (exactly the allowed attempts counted).
* :func:`crash_loop` (R-05): one worker at a time runs commands until a
  :class:`~mdreg.testing.faults.KillSwitch` kills it with ``SIGKILL`` inside a unit of work;
  :func:`consistency` then checks the database against the audit trail.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import queue
import random
import re
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import attrs
from sqlalchemy import text

import mdreg
from mdreg.adapters.sql import SqlStore
from mdreg.adapters.sql.bulk import import_entities
from mdreg.bootstrap import default_photo_store
from mdreg.domain.account import Account, CodePurpose
from mdreg.domain.application import Actor, RegistrationRequest
from mdreg.domain.clock import FakeClock
from mdreg.domain.identifiers import Phone
from mdreg.errors import MdregError
from mdreg.infra.security import CodePolicy, SecuritySettings
from mdreg.infra.serialization import dumps
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.service.services import Services, append_audit
from mdreg.testing.builders import World
from mdreg.testing.faults import KillSwitch

Outcomes = list[tuple[int, str]]


@attrs.frozen
class RaceResult:
    """Outcome counts per round, and the application's version and audit trail afterwards."""

    rounds: tuple[Counter[str], ...]
    start_version: int
    final_version: int
    audit_seqs: tuple[int, ...]


def race(url: str, *, processes: int, rounds: int, timeout: float = 120.0) -> RaceResult:
    """Run ``rounds`` rounds of ``processes`` writers on a new application in ``url``.

    The application alternates between 机构退回 (``send_back``, by the institution) and 重新提交
    (``resubmit``, by the physician); round ``n`` expects version ``start + n``.
    """
    registry = mdreg.open(url, clock=FakeClock(datetime(2026, 3, 2, 1, tzinfo=UTC)))
    world = World(registry)
    hospital, doctor = world.institution("110105"), world.physician()
    applicant, institution = Actor.physician(doctor.id), Actor.institution(hospital.id)
    request = RegistrationRequest(hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",))
    app = registry.apply(applicant, request)
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results: multiprocessing.Queue[Outcomes] = context.Queue()
    args = (url, app.id, app.version, rounds, barrier, results, institution, applicant)
    workers = [context.Process(target=_worker, args=args, daemon=True) for _ in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = _collect(results, processes, timeout)
    for worker in workers:
        worker.join(timeout)
    per_round = [Counter[str]() for _ in range(rounds)]
    for round_no, outcome in outcomes:
        per_round[round_no][outcome] += 1
    seqs = tuple(event.seq for event in registry.history(app.id))
    return RaceResult(tuple(per_round), app.version, registry.application(app.id).version, seqs)


def _collect(results: multiprocessing.Queue[Outcomes], processes: int,
             timeout: float) -> Outcomes:
    found: Outcomes = []
    for _ in range(processes):
        try:
            found.extend(results.get(timeout=timeout))
        except queue.Empty:
            found.append((0, "worker_lost"))
    return found


def _worker(url: str, app_id: str, version: int, rounds: int, barrier: threading.Barrier,
            results: multiprocessing.Queue[Outcomes], institution: Actor,
            applicant: Actor) -> None:
    registry = mdreg.open(url, clock=FakeClock(datetime(2026, 3, 2, 2, tzinfo=UTC)),
                          migrate=False)
    outcomes: Outcomes = []
    for round_no in range(rounds):
        try:
            barrier.wait(60)
        except threading.BrokenBarrierError:
            outcomes.append((round_no, "BrokenBarrierError"))
            break
        event, actor = ("send_back", institution) if round_no % 2 == 0 else ("resubmit", applicant)
        try:
            registry.fire(app_id, event, actor, reason="材料不全",
                          expected_version=version + round_no)
            outcomes.append((round_no, "ok"))
        except Exception as error:  # every outcome is counted by its type
            outcomes.append((round_no, type(error).__name__))
    results.put(outcomes)


# -- shared plumbing -------------------------------------------------------------------------------

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)
SCOPES = ("内科专业",)


def sql_registry(url: str, clock: FakeClock, **engine_options: Any) -> tuple[Registry, SqlStore]:
    """A registry on an already migrated database, with its store at hand (for the retry
    counters and the hook); ``engine_options`` go to the engine (``isolation_level`` …)."""
    store = SqlStore.connect(url, **engine_options)
    registry = Registry(Services(
        uow=store.unit_of_work, transaction=store.run_in_transaction, clock=clock, url=store.url,
        bulk=functools.partial(import_entities, store), photos=default_photo_store(store.url)))
    return registry, store


@attrs.frozen
class RetryReport:
    """Retries of the SQL stores of every worker, added up.

    Attributes:
        retries: units of work run again after a transient failure.
        attempts: units of work by the number of attempts each took.
        transient: transient failures by SQLSTATE or SQLite error name.
    """

    retries: int
    attempts: Counter[int]
    transient: Counter[str]

    @property
    def most_attempts(self) -> int:
        """The most attempts one unit of work took."""
        return max(self.attempts, default=0)

    @classmethod
    def of(cls, stores: Sequence[tuple[int, Mapping[int, int], Mapping[str, int]]]) -> RetryReport:
        attempts, transient = Counter[int](), Counter[str]()
        for _, tries, codes in stores:
            attempts.update(tries)
            transient.update(codes)
        return cls(sum(retries for retries, _, _ in stores), attempts, transient)


StoreStats = tuple[int, dict[int, int], dict[str, int]]


def _stats(store: SqlStore) -> StoreStats:
    return store.retries, dict(store.attempts), dict(store.transient)


def _start(target: Any, args: tuple[Any, ...], processes: int) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=target, args=args, daemon=True) for _ in range(processes)]
    for worker in workers:
        worker.start()
    return workers


def _gather(results: Any, workers: list[Any], timeout: float) -> list[Any]:
    found = []
    for _ in workers:
        try:
            found.append(results.get(timeout=timeout))
        except queue.Empty:
            found.append(None)
    for worker in workers:
        worker.join(timeout)
    return found


def _wait(barrier: threading.Barrier) -> bool:
    try:
        barrier.wait(60)
    except threading.BrokenBarrierError:
        return False
    return True


# -- one open application per physician, type and target ------------------------------------


@attrs.frozen
class OpenRaceResult:
    """Outcome counts per pair, the open applications each pair's physician has afterwards, and
    the workers' retries."""

    pairs: tuple[Counter[str], ...]
    open_applications: tuple[int, ...]
    retry: RetryReport


def open_race(url: str, *, processes: int, pairs: int, timeout: float = 120.0,
              **engine_options: Any) -> OpenRaceResult:
    """``pairs`` rounds; in each, ``processes`` workers submit the same 注册 of a new physician
    at one institution at once. ``engine_options`` configure the workers' engines
    (``isolation_level="SERIALIZABLE"`` on PostgreSQL)."""
    registry = mdreg.open(url, clock=FakeClock(T0))
    world = World(registry)
    hospital = world.institution("110105")
    doctors = [world.physician() for _ in range(pairs)]
    people = [(d.id, d.qualifications[0].certificate_no) for d in doctors]
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = _start(_open_worker, (url, engine_options, hospital.id, people, barrier, results),
                     processes)
    found = _gather(results, workers, timeout)
    per_pair = [Counter[str]() for _ in range(pairs)]
    stats: list[StoreStats] = []
    for item in found:
        if item is None:
            per_pair[0]["worker_lost"] += 1
            continue
        outcomes, store_stats = item
        stats.append(store_stats)
        for pair, outcome in outcomes:
            per_pair[pair][outcome] += 1
    with registry.services.uow() as uow:
        open_counts = tuple(len(uow.applications.open_for(d.id)) for d in doctors)
    return OpenRaceResult(tuple(per_pair), open_counts, RetryReport.of(stats))


def _open_worker(url: str, engine_options: dict[str, Any], institution_id: str,
                 people: list[tuple[str, str]], barrier: threading.Barrier,
                 results: multiprocessing.Queue[tuple[Outcomes, StoreStats]]) -> None:
    registry, store = sql_registry(url, FakeClock(T0 + timedelta(hours=1)), **engine_options)
    outcomes: Outcomes = []
    for pair, (physician_id, certificate_no) in enumerate(people):
        if not _wait(barrier):
            outcomes.append((pair, "BrokenBarrierError"))
            break
        request = RegistrationRequest(institution_id, certificate_no, SCOPES)
        try:
            registry.apply(Actor.physician(physician_id), request)
            outcomes.append((pair, "ok"))
        except Exception as error:  # every outcome is counted by its type
            outcomes.append((pair, type(error).__name__))
    results.put((outcomes, _stats(store)))
    store.close()


# -- idempotent commands ---------------------------------------------------------------------


@attrs.frozen
class IdempotentRaceResult:
    """Per round, how many workers got each response (the serialized application, or ``"!"``
    and an error type); and the application, its trail and the idempotency keys afterwards."""

    rounds: tuple[Counter[str], ...]
    applications: int
    final_version: int
    audit_events: tuple[tuple[int, str], ...]
    keys: int


def idempotent_race(url: str, *, processes: int, rounds: int,
                    timeout: float = 120.0) -> IdempotentRaceResult:
    """Round 0: every worker submits the same 注册 with idempotency key ``apply``; rounds
    1 … ``rounds``: every worker fires the same event (机构退回, 重新提交, alternately) on that
    application with the round's key."""
    registry = mdreg.open(url, clock=FakeClock(T0))
    world = World(registry)
    hospital, doctor = world.institution("110105"), world.physician()
    applicant, institution = Actor.physician(doctor.id), Actor.institution(hospital.id)
    request = RegistrationRequest(hospital.id, doctor.qualifications[0].certificate_no, SCOPES)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    args = (url, request, rounds, barrier, results, applicant, institution)
    found = _gather(results, _start(_idempotent_worker, args, processes), timeout)
    per_round = [Counter[str]() for _ in range(rounds + 1)]
    for outcomes in found:
        for round_no, outcome in outcomes or [(0, "!worker_lost")]:
            per_round[round_no][outcome] += 1
    with registry.services.uow() as uow:
        apps = [*uow.applications.open_for(doctor.id)]
        version = apps[0].version if len(apps) == 1 else 0
        events = tuple((e.seq, e.event) for a in apps for e in uow.audit.for_aggregate(a.id))
        keys = sum(uow.idempotency.get(k) is not None
                   for k in ("apply", *(f"fire-{n}" for n in range(1, rounds + 1))))
    return IdempotentRaceResult(tuple(per_round), len(apps), version, events, keys)


def _idempotent_worker(url: str, request: RegistrationRequest, rounds: int,
                       barrier: threading.Barrier, results: multiprocessing.Queue[Outcomes],
                       applicant: Actor, institution: Actor) -> None:
    registry, store = sql_registry(url, FakeClock(T0 + timedelta(hours=1)))
    outcomes: Outcomes = []
    app_id = ""
    for round_no in range(rounds + 1):
        if not _wait(barrier):
            outcomes.append((round_no, "!BrokenBarrierError"))
            break
        try:
            if round_no == 0:
                app = registry.apply(applicant, request, idempotency_key="apply")
                app_id = app.id
            elif round_no % 2:
                app = registry.fire(app_id, "send_back", institution, reason="材料不全",
                                    idempotency_key=f"fire-{round_no}")
            else:
                app = registry.fire(app_id, "resubmit", applicant,
                                    idempotency_key=f"fire-{round_no}")
            outcomes.append((round_no, dumps(app)))
        except Exception as error:  # every outcome is counted by its type
            outcomes.append((round_no, f"!{type(error).__name__}"))
    results.put(outcomes)
    store.close()


# -- the audit tail under concurrent writers ------------------------------------------------


@attrs.frozen
class TailResult:
    """What each reader collected (positions in the order read), and what was committed."""

    readers: tuple[tuple[int, ...], ...]
    committed: tuple[int, ...]
    writer_outcomes: Counter[str]


def tail_race(url: str, *, writers: int, events: int, readers: int,
              timeout: float = 120.0) -> TailResult:
    """``writers`` processes append ``events`` audit events each, one per unit of work, pausing
    between the insert and the commit (so positions are taken long before they commit) while
    ``readers`` processes page through ``Registry.audit_since`` by the last position seen."""
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(writers + readers), context.Queue()
    total = writers * events
    workers = [context.Process(target=_tail_writer, args=(url, n, events, barrier, results),
                               daemon=True) for n in range(writers)]
    workers += [context.Process(target=_tail_reader, args=(url, total, barrier, results, timeout),
                                daemon=True) for _ in range(readers)]
    for worker in workers:
        worker.start()
    outcomes, seen = Counter[str](), []
    for found in _gather(results, workers, timeout):
        if found is None:
            outcomes["!worker_lost"] += 1
        elif found[0] == "writer":
            outcomes.update(found[1])
        else:
            seen.append(tuple(found[1]))
    registry = mdreg.open(url, migrate=False)
    committed = tuple(p for p, _ in registry.audit_since(0, total + 1))
    registry.release()
    return TailResult(tuple(seen), committed, outcomes)


def _tail_writer(url: str, writer: int, events: int, barrier: threading.Barrier,
                 results: multiprocessing.Queue[tuple[str, list[str]]]) -> None:
    store = SqlStore.connect(url)
    rng = random.Random(writer)  # noqa: S311 - timing jitter
    outcomes: list[str] = []
    if _wait(barrier):
        for n in range(events):
            try:
                with store.unit_of_work() as uow:
                    append_event(uow, f"TAIL-{writer}-{n}", T0)
                    time.sleep(rng.uniform(0, 0.002))  # the position is taken, not committed
                    uow.commit()
                outcomes.append("ok")
            except Exception as error:  # every outcome is counted by its type
                outcomes.append(type(error).__name__)
    results.put(("writer", outcomes))
    store.close()


def _tail_reader(url: str, total: int, barrier: threading.Barrier,
                 results: multiprocessing.Queue[tuple[str, list[int]]], timeout: float) -> None:
    registry, store = sql_registry(url, FakeClock(T0))
    positions: list[int] = []
    if _wait(barrier):
        last, deadline = 0, time.monotonic() + timeout / 2
        while len(positions) < total and time.monotonic() < deadline:
            page = registry.audit_since(last, 50)
            positions.extend(p for p, _ in page)
            last = page[-1][0] if page else last
    results.put(("reader", positions))
    store.close()


def append_event(uow: Any, aggregate_id: str, at: datetime) -> None:
    """One audit event for ``aggregate_id`` (the first of its trail)."""
    append_audit(uow, aggregate_id, "tail", "", "tailed", Actor.authority("D110105"), at)


# -- S-04: the send quota under a race -------------------------------------------------------------

#: S-04's quota: 5 codes per destination per hour (and the default 10 per day).
QUOTA = CodePolicy(sends_per_hour=5)
_PASSWORD = "Zs9#kq2!vm-race"  # noqa: S105 - a test account's password


@attrs.frozen
class QuotaRaceResult:
    """How the concurrent sends ended, by outcome; codes and messages stored for the phone; and
    the outcome of one more send after the hour."""

    outcomes: Counter[str]
    codes: int
    messages: int
    after_the_hour: str


def quota_race(url: str, *, processes: int, sends: int,
               timeout: float = 120.0) -> QuotaRaceResult:
    """``processes`` workers each send ``sends`` phone-verification codes for one account at the
    same moment (a fake clock stands still), with :data:`QUOTA`; then the clock moves past the
    hour and one more send is tried."""
    clock = FakeClock(T0)
    registry = mdreg.open(url, clock=clock)
    accounts = _accounts(registry)
    doctor = World(registry).physician(account=False)
    phone = "13800138000"
    accounts.sign_up(name=doctor.name, id_number=doctor.id_number, login_name="s04-race",
                     password=_PASSWORD, phone=phone)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    args = (url, "send_phone_code", (Actor.physician(doctor.id),), sends, barrier, results)
    outcomes = Counter[str]()
    for found in _gather(results, _start(_portal_worker, args, processes), timeout):
        outcomes.update(found or ["!worker_lost"])
    with registry.services.uow() as uow:
        codes = uow.codes.sent_since(phone, T0 - timedelta(days=1))
        messages = sum(m.to == phone for m in uow.outbox.pending(10_000))
    clock.advance(hours=1, minutes=2)  # the workers sent at T0 + 1 minute
    try:
        accounts.send_phone_code(Actor.physician(doctor.id))
        after = "ok"
    except MdregError as error:
        after = type(error).__name__
    return QuotaRaceResult(outcomes, codes, messages, after)


def _accounts(registry: Registry) -> Accounts:
    settings = attrs.evolve(SecuritySettings.for_tests(QUOTA), code_key=_CODE_KEY)
    return Accounts(registry, settings=settings)


def _portal_worker(url: str, method: str, args: tuple[Any, ...], times: int,
                   barrier: threading.Barrier, results: multiprocessing.Queue[list[str]]) -> None:
    """Call ``Accounts.<method>(*args)`` ``times`` times once every worker is ready."""
    registry, store = sql_registry(url, FakeClock(T0 + timedelta(minutes=1)))
    call = getattr(_accounts(registry), method)
    outcomes: list[str] = []
    if _wait(barrier):
        for _ in range(times):
            try:
                call(*args)
                outcomes.append("ok")
            except Exception as error:  # every outcome is counted by its type
                outcomes.append(type(error).__name__)
    else:
        outcomes.append("!BrokenBarrierError")
    results.put(outcomes)
    store.close()


# -- S-02 / S-03: one code, redeemed by racing processes ----------------------------------------------

_CODE_KEY = b"mdreg-race-code-key-shared-by-all"  # every worker must verify the parent's codes


@attrs.frozen
class CodeRaceResult:
    """How the concurrent redemptions ended, by outcome; the code's stored attempts and status
    afterwards; and the outcome of the correct code entered once more at the end."""

    outcomes: Counter[str]
    attempts: int
    status: str
    correct_at_the_end: str


def code_race(url: str, *, processes: int, guesses: int, wrong: bool,
              timeout: float = 120.0) -> CodeRaceResult:
    """An account asks to change its phone (a code goes to the new phone); then ``processes``
    workers each enter a code ``guesses`` times at once: the right code (S-02) or a wrong one
    (S-03)."""
    clock = FakeClock(T0)
    registry = mdreg.open(url, clock=clock)
    accounts = _accounts(registry)
    doctor = World(registry).physician(account=False)
    me = Actor.physician(doctor.id)
    accounts.sign_up(name=doctor.name, id_number=doctor.id_number, login_name="s02-race",
                     password=_PASSWORD, phone="13800138000")
    accounts.request_phone_change(me, _PASSWORD, "13912345678")
    (message,) = [m for m in accounts.pending_messages(limit=100) if m.to == "13912345678"]
    found = re.search(r"码：(\d{6})", message.body)
    code = found.group(1) if found else ""
    entered = f"{(int(code) + 1) % 1_000_000:06d}" if wrong else code
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    args = (url, "confirm_phone_change", (me, entered), guesses, barrier, results)
    outcomes = Counter[str]()
    for got in _gather(results, _start(_portal_worker, args, processes), timeout):
        outcomes.update(got or ["!worker_lost"])
    try:
        accounts.confirm_phone_change(me, code)
        at_the_end = "ok"
    except MdregError as error:
        at_the_end = type(error).__name__
    with registry.services.uow() as uow:
        row = uow.codes.latest(accounts.account(me).id, CodePurpose.CHANGE_PHONE)
    attempts, status = (row.attempts, row.status.value) if row else (-1, "missing")
    return CodeRaceResult(outcomes, attempts, status, at_the_end)


# -- crash consistency -----------------------------------------------------------------------

#: Where :func:`crash_loop` kills its workers, in turn: after the state UPDATE, the audit INSERT,
#: the idempotency INSERT, a code UPDATE or INSERT, the outbox INSERT; right before and right after
#: COMMIT.
CRASH_STAGES = ("wrote:application", "wrote:audit", "wrote:idempotency_key",
                "wrote:one_time_code", "wrote:outbox", "commit", "committed")
_COMMANDS_PER_WORKER = 20
_HOURS_PER_COMMAND = 3


@attrs.frozen
class Consistency:
    """What a restarted registry finds (:func:`consistency`).

    Attributes:
        applications: applications checked.
        accounts: accounts checked.
        audit_events: audit rows in the database.
        mismatched: aggregates whose stored state (and, for applications, version) is not the
            fold of their audit events: the last ``to_state``; as many events as the version;
            seq 1 … n; each event leaving the state the previous one entered. (Accounts imported
            as reference data have no events and are not folded.)
        orphan_audit: audit rows of no application, registration or account.
        orphan_outbox: per account, how far the outbox messages, the codes and the ``send_code``
            audit events differ in number (they are written together), summed.
        unmatched_keys: how far the idempotency keys and the audited transitions sent with a key
            differ in number.
    """

    applications: int
    accounts: int
    audit_events: int
    mismatched: tuple[str, ...]
    orphan_audit: int
    orphan_outbox: int
    unmatched_keys: int


@attrs.frozen
class CrashResult:
    """Kills by stage, workers that were not killed, and the consistency after each restart."""

    kills: Counter[str]
    exit_codes: Counter[int]
    checks: tuple[Consistency, ...]


def crash_loop(url: str, *, kills: int, seed: int = 0, timeout: float = 60.0) -> CrashResult:
    """Kill ``kills`` workers, one after another, each at a stage of :data:`CRASH_STAGES` (in
    turn) inside one of its units of work; check :func:`consistency` after each restart.

    The workers alternate 机构退回 and 重新提交 on three applications (each sent with a fresh
    idempotency key) and send SMS codes to two 已注册 accounts (a code, an outbox message and an
    audit event per send), chosen at random from ``seed``.
    """
    registry = mdreg.open(url, clock=FakeClock(T0))
    world = World(registry)
    hospital = world.institution("110105")
    apps: list[tuple[str, Actor, Actor]] = []
    for _ in range(3):
        doctor = world.physician()
        request = RegistrationRequest(hospital.id, doctor.qualifications[0].certificate_no, SCOPES)
        app = registry.apply(Actor.physician(doctor.id), request)
        apps.append((app.id, Actor.physician(doctor.id), Actor.institution(hospital.id)))
    coders = []
    for n in range(2):
        doctor = world.physician(account=False)
        registry.load(accounts=[Account(f"U-crash-{n}", doctor.id, f"crash{n}", "",
                                        Phone.parse(f"1380013800{n}"), None, "registered", 1,
                                        T0, T0)])
        coders.append(doctor.id)
    rng = random.Random(seed)  # noqa: S311 - reproducible choices
    context = multiprocessing.get_context("spawn")
    kills_at, exit_codes, checks = Counter[str](), Counter[int](), []
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "kills.log"
        for n in range(kills):
            stage = CRASH_STAGES[n % len(CRASH_STAGES)]
            start = T0 + timedelta(days=3 * (n + 1))  # send quotas: one window per worker
            args = (url, stage, rng.randint(1, 2), str(log), rng.randrange(2**32), start, apps,
                    coders)
            worker = context.Process(target=_crash_worker, args=args, daemon=True)
            worker.start()
            worker.join(timeout)
            if worker.exitcode is None:  # pragma: no cover - a hung worker
                worker.kill()
                worker.join()
            exit_codes[worker.exitcode if worker.exitcode is not None else 0] += 1
            checks.append(consistency(url))
        if log.exists():
            kills_at.update(log.read_text().split())
    return CrashResult(kills_at, exit_codes, tuple(checks))


def _crash_worker(url: str, stage: str, occurrence: int, log: str, seed: int, start: datetime,
                  apps: list[tuple[str, Actor, Actor]], coders: list[str]) -> None:
    rng = random.Random(seed)  # noqa: S311 - reproducible choices
    clock = FakeClock(start)
    registry, store = sql_registry(url, clock)
    store.hook = KillSwitch(stage, occurrence, log)
    for _ in range(_COMMANDS_PER_WORKER):
        clock.advance(hours=_HOURS_PER_COMMAND)
        try:
            if rng.random() < 0.4:
                registry.accounts.send_phone_code(Actor.physician(rng.choice(coders)))
                continue
            app_id, applicant, institution = rng.choice(apps)
            key = uuid.uuid4().hex
            if registry.application(app_id).state == "returned":
                registry.fire(app_id, "resubmit", applicant, idempotency_key=key)
            else:
                registry.fire(app_id, "send_back", institution, reason="材料不全",
                              idempotency_key=key)
        except MdregError:
            pass
    store.close()
    os._exit(3)  # not killed: the parent counts exit code 3


def consistency(url: str) -> Consistency:
    """Open the database afresh and compare every application and account with its audit trail,
    and the outbox, codes and idempotency keys with the audit events written with them."""
    store = SqlStore.connect(url)
    try:
        with store.engine.connect() as conn:
            apps = conn.execute(text("SELECT id, state, version FROM applications")).all()
            accounts = conn.execute(text("SELECT id, state, version FROM accounts")).all()
            trails: dict[str, list[tuple[int, str, str, str]]] = {}
            for row in conn.execute(text("SELECT aggregate_id, seq, event, from_state, to_state "
                                         "FROM audit_events ORDER BY aggregate_id, seq")):
                trails.setdefault(row[0], []).append((row[1], row[2], row[3], row[4]))
            orphans = conn.execute(text(
                "SELECT count(*) FROM audit_events a WHERE NOT EXISTS "
                "(SELECT 1 FROM applications x WHERE x.id = a.aggregate_id) AND NOT EXISTS "
                "(SELECT 1 FROM accounts x WHERE x.id = a.aggregate_id) AND NOT EXISTS "
                "(SELECT 1 FROM registrations x WHERE x.id = a.aggregate_id)")).scalar_one()
            outbox = Counter(r[0] for r in conn.execute(
                text("SELECT aggregate_id FROM outbox_messages")))
            codes = Counter(r[0] for r in conn.execute(text("SELECT account_id FROM one_time_codes")))
            keys = conn.execute(text("SELECT count(*) FROM idempotency_keys")).scalar_one()
    finally:
        store.close()
    mismatched = [key for key, state, version in apps
                  if not _folds(trails.get(key, []), state, version)]
    mismatched += [key for key, state, _ in accounts  # imported accounts have no trail
                   if key in trails and not _folds(trails[key], state, None)]
    sends = {key: sum(e[1] == "send_code" for e in trails.get(key, [])) for key, _, _ in accounts}
    orphan_outbox = sum(abs(outbox[k] - codes[k]) + abs(codes[k] - n) for k, n in sends.items())
    keyed = sum(e[1] in ("send_back", "resubmit") for key, _, _ in apps for e in trails.get(key, []))
    return Consistency(len(apps), len(accounts), sum(map(len, trails.values())),
                       tuple(mismatched), int(orphans), orphan_outbox, abs(int(keys) - keyed))


def _folds(trail: list[tuple[int, str, str, str]], state: str, version: int | None) -> bool:
    """Whether ``state`` (and ``version``, if given) is the fold of the aggregate's events."""
    folded = ""
    for n, (seq, _, from_state, to_state) in enumerate(trail, start=1):
        if seq != n or (n > 1 and from_state != folded):
            return False
        folded = to_state
    return bool(trail) and folded == state and version in (None, len(trail))

"""Many writers, one registry: the concurrency and crash checks for backends processes share.

Every check starts its workers with ``spawn`` (no pooled connection crosses a ``fork``) and lines
them up at a :class:`multiprocessing.Barrier` so they really race. Outcomes are counted by type
name, ``"ok"`` for a success. This module imports neither pytest nor hypothesis, so workers start
quickly.

* :func:`race`: in every round all workers fire the same event on the
  same application with the same expected version. Exactly one may win each round; every other
  outcome must be a :class:`~mdreg.errors.ConcurrencyConflict`.
* :func:`open_race` (R-03): in every round all workers open the same 注册 for a new physician at
  one institution. Exactly one application may be open afterwards; the others must get
  :class:`~mdreg.errors.UniquenessConflict`. It reports the retries of the SQL store.
* :func:`idempotent_race` (R-04): in every round all workers send one command with one
  idempotency key. Exactly one transition may happen, and every worker must get the same result.

The portal's races (S-02, S-03, S-04) are in :mod:`mdreg.testing.race_portal`, the crash loop
(R-05) in :mod:`mdreg.testing.crash`; both use this module's plumbing.
"""

from __future__ import annotations

import functools
import multiprocessing
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

import mdreg
from mdreg.adapters.sql import SqlStore
from mdreg.adapters.sql.bulk import import_entities
from mdreg.bootstrap import default_photo_store
from mdreg.domain.application import Actor, AuditEvent, RegistrationRequest
from mdreg.domain.clock import FakeClock
from mdreg.domain.deadlines import DeadlineKind
from mdreg.infra.serialization import dumps
from mdreg.service.deadlines import TickReport
from mdreg.service.registry import Registry
from mdreg.service.services import Services, append_audit
from mdreg.testing.builders import World

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


def store_stats(store: SqlStore) -> StoreStats:
    return store.retries, dict(store.attempts), dict(store.transient)


def start_workers(target: Any, args: tuple[Any, ...], processes: int) -> list[Any]:
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=target, args=args, daemon=True) for _ in range(processes)]
    for worker in workers:
        worker.start()
    return workers


def gather(results: Any, workers: list[Any], timeout: float) -> list[Any]:
    found = []
    for _ in workers:
        try:
            found.append(results.get(timeout=timeout))
        except queue.Empty:
            found.append(None)
    for worker in workers:
        worker.join(timeout)
    return found


def wait_at(barrier: threading.Barrier) -> bool:
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
    workers = start_workers(_open_worker, (url, engine_options, hospital.id, people, barrier, results),
                     processes)
    found = gather(results, workers, timeout)
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
        if not wait_at(barrier):
            outcomes.append((pair, "BrokenBarrierError"))
            break
        request = RegistrationRequest(institution_id, certificate_no, SCOPES)
        try:
            registry.apply(Actor.physician(physician_id), request)
            outcomes.append((pair, "ok"))
        except Exception as error:  # every outcome is counted by its type
            outcomes.append((pair, type(error).__name__))
    results.put((outcomes, store_stats(store)))
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
    found = gather(results, start_workers(_idempotent_worker, args, processes), timeout)
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
        if not wait_at(barrier):
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
    for found in gather(results, workers, timeout):
        if found is None:
            outcomes["!worker_lost"] += 1
        elif found[0] == "writer":
            outcomes.update(found[1])
        else:
            seen.append(tuple(found[1]))
    registry = mdreg.open(url, migrate=False)
    committed = tuple(p for p, _ in settled_tail(registry, total + 1, timeout / 2))
    registry.release()
    return TailResult(tuple(seen), committed, outcomes)


def settled_tail(registry: Registry, limit: int,
                 timeout: float) -> tuple[tuple[int, AuditEvent], ...]:
    """The tail from the start once it holds every committed event (``audit_count``), or as it
    is after ``timeout`` seconds: on PostgreSQL it waits for any older transaction still open
    on the server, another test's as well."""
    deadline = time.monotonic() + timeout
    while True:
        tail = registry.audit_since(0, limit)
        if len(tail) >= min(limit, registry.audit_count()) or time.monotonic() > deadline:
            return tail
        time.sleep(0.05)


def _tail_writer(url: str, writer: int, events: int, barrier: threading.Barrier,
                 results: multiprocessing.Queue[tuple[str, list[str]]]) -> None:
    store = SqlStore.connect(url)
    rng = random.Random(writer)  # noqa: S311 - timing jitter
    outcomes: list[str] = []
    if wait_at(barrier):
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
    if wait_at(barrier):
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


def ticks_in_threads(registries: Sequence[Registry], batch: int,
                     timeout: float = 180.0) -> list[TickReport]:
    """Each registry ticks in a thread of its own, all released at once; their reports (a
    failure in any thread is raised here)."""
    start = threading.Barrier(len(registries))
    reports: list[TickReport] = []
    failures: list[BaseException] = []

    def run(registry: Registry) -> None:
        try:
            start.wait(30)
            reports.append(registry.tick(batch=batch))
        except BaseException as error:  # pragma: no cover - raised below
            failures.append(error)

    workers = [threading.Thread(target=run, args=(r,)) for r in registries]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout)
    if failures:
        raise failures[0]
    return reports


# -- work_due: an application's earliest open deadline, kept by the database's triggers -----------


def work_due_race(url: str, *, processes: int, rounds: int,
                  timeout: float = 120.0) -> tuple[list[str], Counter[str]]:
    """In every round each of ``processes`` workers, in one unit of work, closes the open
    deadline it holds on one shared application and opens another (its own kind, a random due
    date), all released at once and holding no physician; then the first worker compares the
    application's ``work_due`` with its earliest open deadline. Returns the rounds where they
    differed and the workers' outcomes by type."""
    from mdreg.testing.entities import application, physician

    store = SqlStore.connect(url)
    with store.unit_of_work() as uow:
        uow.physicians.put(physician(1))
        uow.applications.add(application(1))
        uow.commit()
    store.close()
    kinds = list(DeadlineKind)[:processes]  # one open deadline per kind and subject
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_work_due_worker,
                               args=(url, n, kinds[n], rounds, barrier, results), daemon=True)
               for n in range(processes)]
    for worker in workers:
        worker.start()
    mismatches: list[str] = []
    outcomes = Counter[str]()
    for found in gather(results, workers, timeout):
        if found is None:
            outcomes["!worker_lost"] += 1
            continue
        outcomes.update(found[0])
        mismatches += found[1]
    return mismatches, outcomes


def _work_due_worker(url: str, n: int, kind: DeadlineKind, rounds: int,
                     barrier: threading.Barrier,
                     results: multiprocessing.Queue[tuple[list[str], list[str]]]) -> None:
    from sqlalchemy import text

    from mdreg.domain.deadlines import Deadline, DeadlineStatus, PeriodUnit

    store = SqlStore.connect(url)
    rng = random.Random(n)  # noqa: S311 - test data
    outcomes: list[str] = []
    mismatches: list[str] = []
    held: Deadline | None = None
    for round_no in range(rounds):
        if not wait_at(barrier):
            outcomes.append("BrokenBarrierError")
            break
        try:
            with store.unit_of_work() as uow:
                if held is not None:
                    uow.deadlines.save(attrs.evolve(held, status=DeadlineStatus.MET,
                                                    closed_on=held.due,
                                                    version=held.version + 1), held.version)
                fresh = Deadline(f"WD{n}-{round_no}", kind, "A1", "P1",
                                 T0.date(), T0.date() + timedelta(days=rng.randrange(1, 90)),
                                 20, PeriodUnit.WORKING_DAYS, "chinesecalendar", T0)
                uow.deadlines.add(fresh)
                time.sleep(rng.uniform(0, 0.003))  # both write before either commits
                uow.commit()
            held = fresh
            outcomes.append("ok")
        except Exception as error:  # every outcome is counted by its type
            outcomes.append(type(error).__name__)
        if not wait_at(barrier):
            break
        if n == 0:
            with store.engine.connect() as conn:
                stored, earliest = conn.execute(text(
                    "SELECT work_due, (SELECT min(due) FROM deadlines WHERE subject_id = 'A1' "
                    "AND status = 'open') FROM applications WHERE id = 'A1'")).one()
            if str(stored) != str(earliest):
                mismatches.append(f"round {round_no}: work_due {stored}, earliest {earliest}")
    results.put((outcomes, mismatches))
    store.close()

"""Many writers, one application: the concurrency check for backends that processes share.

:func:`race` (RELIABILITY R-01/R-02) starts workers with ``spawn`` and a barrier; in every round
all of them fire the same event on the same application with the same expected version.
Exactly one may win each round; every other outcome must be a
:class:`~mdreg.errors.ConcurrencyConflict`. Outcomes are counted by type name, ``"ok"`` for a
success. This module imports neither pytest nor hypothesis, so workers start quickly.
"""

from __future__ import annotations

import multiprocessing
import queue
import threading
from collections import Counter
from datetime import UTC, datetime

import attrs

import mdreg
from mdreg.clock import FakeClock
from mdreg.domain.application import Actor, RegistrationRequest
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

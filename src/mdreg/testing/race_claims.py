"""Officers racing to claim one application of a work list, in several processes at once.

Each round puts a new 注册 application under review; every process claims it for an officer of
its own, released at a :class:`multiprocessing.Barrier`. Exactly one claim may win a round; the
others get :class:`~mdreg.errors.AlreadyClaimed`, and the application ends with the winner as
its assignee and one ``claim`` event.
"""

from __future__ import annotations

import multiprocessing
import threading
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import attrs

import mdreg
from mdreg.domain.application import Actor, RegistrationRequest
from mdreg.domain.clock import FakeClock
from mdreg.errors import MdregError
from mdreg.testing.builders import World
from mdreg.testing.race import gather, wait_at

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@attrs.frozen
class ClaimRaceResult:
    """Per round: the outcomes by kind (``won``, ``AlreadyClaimed`` …), the assignee the
    application ended with, whether it was a winner, and how many ``claim`` events it has."""

    rounds: tuple[Counter[str], ...]
    assignees: tuple[str, ...]
    winners: tuple[tuple[str, ...], ...]
    claim_events: tuple[int, ...]


def claim_race(url: str, *, processes: int, rounds: int, timeout: float = 120.0
               ) -> ClaimRaceResult:
    """Race ``processes`` claims of one application, ``rounds`` times (see the module)."""
    registry = mdreg.open(url, clock=FakeClock(T0))
    world = World(registry)
    hospital = world.institution("110108")
    subjects = []
    for _ in range(rounds):
        doctor = world.physician()
        app = registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
        registry.fire(app.id, "confirm", Actor.institution(hospital.id))
        subjects.append(registry.fire(app.id, "accept", Actor.authority(app.department_id)).id)
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(processes), context.Queue()
    workers = [context.Process(target=_claim, daemon=True,
                               args=(url, f"经办人{n}", subjects, barrier, results))
               for n in range(processes)]
    for worker in workers:
        worker.start()
    per_round = [Counter[str]() for _ in subjects]
    winners: list[list[str]] = [[] for _ in subjects]
    for found in gather(results, workers, timeout):
        for round_no, officer, outcome in found or [(0, "", "worker_lost")]:
            per_round[round_no][outcome] += 1
            if outcome == "won":
                winners[round_no].append(officer)
    apps = [registry.application(subject) for subject in subjects]
    return ClaimRaceResult(
        tuple(per_round), tuple(app.assignee for app in apps),
        tuple(tuple(w) for w in winners),
        tuple(sum(e.event == "claim" for e in registry.history(app.id)) for app in apps))


def _claim(url: str, officer: str, subjects: list[str], barrier: threading.Barrier,
           results: Any) -> None:
    registry = mdreg.open(url, clock=FakeClock(T0), migrate=False)
    view = registry.view(Actor.authority("D110108", user=officer))
    outcomes: list[tuple[int, str, str]] = []
    for round_no, subject in enumerate(subjects):
        if not wait_at(barrier):
            outcomes.append((round_no, officer, "BrokenBarrierError"))
            break
        try:
            view.claim(subject)
            outcomes.append((round_no, officer, "won"))
        except MdregError as error:
            outcomes.append((round_no, officer, type(error).__name__))
    registry.release()
    results.put(outcomes)

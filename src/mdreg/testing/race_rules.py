"""Cross-row rules under concurrency: two decisions that each pass alone but not together.

A rule that reads rows beyond the application it decides (the physician's other registrations,
filings, multi-site records) holds only if no other command of the same physician changes those
rows between the read and the commit. Each :class:`Scenario` here prepares, for a fresh
physician, two applications under review whose approvals are each eligible alone and conflict
together; :func:`rule_race` approves both at once from two processes lined up at a barrier, for
many rounds. Exactly one may win each round; the other must be refused by the scenario's rule
(:class:`~mdreg.errors.IneligibleError`) or get a typed conflict, and the registry's invariants
(:func:`mdreg.simulation.invariants.violations`) must hold afterwards.

The scenarios cover the rules whose reading of another row a concurrent approval can
invalidate: one primary institution per location and an assistant's single location (two
注册), a location kept free by a 变更 (a 变更 and a 注册), a registration still usable (its 注销
and a 备案 under it; an ex-officio 撤销 and a 备案). The other rules that read beyond the
application cannot be raced this way: two applications on the same target (two 备案 at one
institution, two cancellations of one filing or record) cannot both be open (the
``open_application`` index), and where an approval changes what another rule read (a 变更
moving a registration its filings hang under), its effect ends what no longer fits, so either
order keeps the invariants.

This module imports neither pytest nor hypothesis, so workers start quickly.
"""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import attrs

import mdreg
from mdreg.domain.application import (
    Actor,
    Application,
    CancellationGround,
    CancellationRequest,
    ChangeRequest,
    FilingRequest,
    RegistrationRequest,
)
from mdreg.domain.clock import FakeClock
from mdreg.domain.model import Category, Level, Qualification
from mdreg.errors import IneligibleError
from mdreg.service.registry import Registry
from mdreg.simulation.invariants import violations
from mdreg.testing.builders import World
from mdreg.testing.race import SCOPES, gather, wait_at

#: One side of a round: (command, subject id, department id) — ``approve`` an application
#: under review, or ``revoke`` a registration (撤销).
Side = tuple[str, str, str]
#: Both commands of one round.
Pair = tuple[Side, Side]


@attrs.frozen
class Scenario:
    """Two approvals of one physician that pass alone and conflict together.

    Attributes:
        rules: the rules of which one must refuse the loser (their ids; which one depends on
            which approval comes second).
        ref: the rules' reference (``R-…``), for reports.
        prepare: makes a new physician and both applications, taken to 审核中.
        both_may_win: in one order both approvals are eligible (and their outcome keeps the
            invariants); in the other the rule refuses the second.
    """

    rules: tuple[str, ...]
    ref: str
    prepare: Callable[[World], Pair]
    both_may_win: bool = False


_numbers = itertools.count(1)


def _under_review(world: World, app: Application) -> Side:
    registry = world.registry
    registry.fire(app.id, "confirm", Actor.institution(app.institution_id))
    registry.fire(app.id, "accept", Actor.authority(app.department_id))
    return "approve", app.id, app.department_id


def _two_levels(world: World) -> Pair:
    """An assistant 注册 at county 110105 and a 执业医师 注册 (province 110000): the two
    locations overlap."""
    county, city = world.institution("110105"), world.institution("110105")
    number = f"QA{next(_numbers):06d}"
    doctor = world.physician(extra_qualifications=(
        Qualification(number, Level.ASSISTANT, Category.CLINICAL, date(2025, 9, 1)),))
    applicant = Actor.physician(doctor.id)
    first = world.registry.apply(applicant, RegistrationRequest(county.id, number, SCOPES))
    second = world.registry.apply(applicant, RegistrationRequest(
        city.id, doctor.qualifications[0].certificate_no, SCOPES))
    return _under_review(world, first), _under_review(world, second)


def _assistant_twice(world: World) -> Pair:
    """An assistant's 注册 in two counties: an assistant registers one location."""
    east, west = world.institution("110105"), world.institution("110108")
    assistant = world.physician(level=Level.ASSISTANT)
    applicant, number = Actor.physician(assistant.id), assistant.qualifications[0].certificate_no
    first = world.registry.apply(applicant, RegistrationRequest(east.id, number, SCOPES))
    second = world.registry.apply(applicant, RegistrationRequest(west.id, number, SCOPES))
    return _under_review(world, first), _under_review(world, second)


def _change_into_taken(world: World) -> Pair:
    """A 变更 of a Beijing registration to Tianjin and a new 注册 in Tianjin."""
    beijing, tianjin, other = (world.institution("110105"), world.institution("120101"),
                               world.institution("120101"))
    doctor = world.physician()
    registration = world.registration(doctor, beijing)
    applicant = Actor.physician(doctor.id)
    change = world.registry.apply(applicant, ChangeRequest(registration.id, tianjin.id, SCOPES))
    new = world.registry.apply(applicant, RegistrationRequest(
        other.id, doctor.qualifications[0].certificate_no, SCOPES))
    return _under_review(world, change), _under_review(world, new)


def _filing_under_cancelled(world: World) -> Pair:
    """A 注销 of a registration and a 多执业机构备案 under it."""
    home, second = world.institution("110105"), world.institution("110105")
    doctor = world.physician()
    registration = world.registration(doctor, home)
    applicant = Actor.physician(doctor.id)
    today = world.registry.clock.now().date()
    cancel = world.registry.apply(applicant, CancellationRequest(
        registration.id, CancellationGround.OWN_REQUEST, today))
    filing = world.registry.apply(applicant, FilingRequest(
        registration.id, second.id, registration.scopes[:1], valid_from=today,
        valid_to=today + timedelta(days=364)))
    return _under_review(world, cancel), _under_review(world, filing)


def _filing_under_revoked(world: World) -> Pair:
    """A 撤销 of a registration (ex officio) and a 多执业机构备案 under it."""
    home, second = world.institution("110105"), world.institution("110105")
    doctor = world.physician()
    registration = world.registration(doctor, home)
    today = world.registry.clock.now().date()
    filing = world.registry.apply(Actor.physician(doctor.id), FilingRequest(
        registration.id, second.id, registration.scopes[:1], valid_from=today,
        valid_to=today + timedelta(days=364)))
    return ("revoke", registration.id, registration.approved_by), _under_review(world, filing)


#: One scenario per rule that reads another row of the physician and can be raced this way.
SCENARIOS: Mapping[str, Scenario] = {
    "two_levels": Scenario(("practice_location.one_primary_institution",), "R-LOC-5",
                           _two_levels),
    "assistant_twice": Scenario(("practice_location.assistant_single_location",), "R-LOC-3",
                                _assistant_twice),
    "change_into_taken": Scenario(("change.location_free",
                                   "practice_location.one_primary_institution"), "R-LOC-5",
                                  _change_into_taken),
    # a 备案 approved first is ended with its registration by the 注销 that follows
    "filing_under_cancelled": Scenario(("target.registration_usable",), "R-CAN-5",
                                       _filing_under_cancelled, both_may_win=True),
    # the same with an ex-officio 撤销 racing the 备案
    "filing_under_revoked": Scenario(("target.registration_usable",), "R-CAN-5",
                                     _filing_under_revoked, both_may_win=True),
}


@attrs.frozen
class RuleRaceResult:
    """Per round, the two outcomes (``"ok"``, the refusing rule ids, or an error type); and
    the registry's invariant violations afterwards."""

    rounds: tuple[Counter[str], ...]
    violations: tuple[str, ...]


T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)

#: Seconds one side waits after the barrier (the other side in the next round).
HEAD_START = 0.004


def rule_race(url: str, scenario: str, *, rounds: int, timeout: float = 120.0
              ) -> RuleRaceResult:
    """Race the two approvals of ``scenario`` in two processes, ``rounds`` times, each round on
    a new physician."""
    registry = mdreg.open(url, clock=FakeClock(T0))
    world = World(registry)
    pairs = [SCENARIOS[scenario].prepare(world) for _ in range(rounds)]
    physicians = {registry.application(subject).physician_id for pair in pairs
                  for command, subject, _ in pair if command == "approve"}
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(2), context.Queue()
    workers = [context.Process(target=_approve, daemon=True,
                               args=(url, side, pairs, barrier, results))
               for side in (0, 1)]
    for worker in workers:
        worker.start()
    outcomes = [found or [(0, "worker_lost")] for found in gather(results, workers, timeout)]
    per_round = [Counter[str]() for _ in range(rounds)]
    for found in outcomes:
        for round_no, outcome in found:
            per_round[round_no][outcome] += 1
    return RuleRaceResult(tuple(per_round), tuple(violations(registry, sorted(physicians))))


def _approve(url: str, side: int, pairs: list[Pair], barrier: threading.Barrier,
             results: Any) -> None:
    registry: Registry = mdreg.open(url, clock=FakeClock(T0 + timedelta(hours=1)),
                                    migrate=False)
    outcomes: list[tuple[int, str]] = []
    for round_no, pair in enumerate(pairs):
        if not wait_at(barrier):
            outcomes.append((round_no, "BrokenBarrierError"))
            break
        if side == round_no % 2:
            # the sides take turns at a short head start, so both orders occur among the
            # rounds while the two commands still overlap
            time.sleep(HEAD_START)
        command, subject, department = pair[side]
        try:
            if command == "revoke":
                registry.revoke(Actor.authority(department), subject, "以欺骗手段取得注册")
            else:
                registry.fire(subject, "approve", Actor.authority(department))
            outcomes.append((round_no, "ok"))
        except IneligibleError as refused:
            outcomes.append((round_no, ",".join(sorted({v.rule_id for v in refused.violations}))))
        except Exception as error:  # every other outcome is counted by its type
            outcomes.append((round_no, type(error).__name__))
    registry.release()
    results.put(outcomes)

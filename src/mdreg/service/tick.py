"""到期处理 — the tick: claim passed deadlines and apply what the law makes automatic.

A correction window that passed makes the application accepted as of the receipt date
(行政许可法 Art 32(4)), fired as the system; two years in 备案 cancel the registration (2017
measures Art 19); any other passed deadline is flagged once. This module builds on both
:mod:`~mdreg.service.applications` (the deemed acceptance is a transition) and the
:class:`~mdreg.service.deadlines.DeadlineKeeper` (whose hooks the transitions call).
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime

import attrs

from mdreg.domain.application import PENDING_ACCEPTANCE, Actor
from mdreg.domain.clock import business_date, ensure_aware
from mdreg.domain.deadlines import Deadline, DeadlineKind, DeadlineStatus, checked_due_date
from mdreg.domain.model import FilingStatus, RegistrationStatus
from mdreg.errors import CalendarDataMissing
from mdreg.ports import UnitOfWork
from mdreg.service.applications import transition
from mdreg.service.calendar_data import recompute_provisional
from mdreg.service.deadlines import DEEMED_ACCEPTANCE, DeadlineKeeper, TickReport, decision_period
from mdreg.service.reminders import escalate, remind_batch
from mdreg.service.services import RETRY, Services, append_audit, transact

_log = logging.getLogger(__name__)


def tick(services: Services, now: datetime | None = None, *, batch: int = 100) -> TickReport:
    """Apply what the law makes automatic once a deadline has passed, exactly once.

    Claims passed deadlines in batches (one unit of work each): a correction window that
    passed makes the application accepted as of the receipt date (行政许可法 Art 32(4)),
    fired as the system; two years in 备案 cancel the registration (2017 measures Art 19);
    any other passed deadline is flagged once — an overdue decision is also reported to the
    superior department (督办), and a decision whose last day is near is reminded to its
    department (催办; :mod:`mdreg.service.reminders`). Idempotent: a second call finds nothing. A
    deemed acceptance whose decision period reaches a year without calendar data, under a
    policy that refuses provisional deadlines, is left open and reported as ``blocked`` (it
    does not hold up the others). First, provisional deadlines whose years have holiday data
    now are counted again (:func:`~mdreg.service.calendar_data.recompute_provisional`).
    Several workers may call it at once (threads, processes, hosts): each deadline is
    handled by exactly one of them; a batch that loses a race to a command runs again
    (under :data:`~mdreg.service.services.RETRY`).

    Args:
        now: the time to act as of (aware); the registry's clock by default.
        batch: deadlines claimed per unit of work.
    """
    at = ensure_aware(now, "now") if now is not None else services.now()
    again = RETRY.call(lambda: transact(
        services, lambda uow: recompute_provisional(services, uow, services.calendar, at)))
    report = TickReport(business_date(at), recomputed=tuple(r.after for r in again))
    blocked: set[str] = set()
    while True:
        done = _committed_batch(services, at, batch, frozenset(blocked))
        report = report.merge(done)
        blocked.update(d.id for d in done.blocked)
        if not done.handled and not done.blocked:
            break
    while True:
        reminded = RETRY.call(lambda: transact(
            services, lambda uow: remind_batch(services, uow, at, batch)))
        report = report.merge(TickReport(report.as_of, reminded=reminded))
        if not reminded:
            break
    while True:
        lapsed = RETRY.call(lambda: transact(
            services, lambda uow: lapse_filings(services, uow, at, batch)))
        report = report.merge(TickReport(report.as_of, lapsed=lapsed))
        if not lapsed:
            return report


#: The reason a filing closed at the end of its period is audited with.
FILING_LAPSED = "备案有效期届满"


def lapse_filings(services: Services, uow: UnitOfWork, now: datetime, limit: int
                  ) -> tuple[str, ...]:
    """Close up to ``limit`` active filings whose period ended before today as expired (on
    their last day), each audited on the filing's trail; the caller commits. A filing another
    worker closed meanwhile is left alone (the physician is held, the filing read again)."""
    today = business_date(now)
    closed: list[str] = []
    for candidate in uow.filings.lapsed(today, limit):
        uow.hold_physician(candidate.physician_id)
        filing = uow.filings.get(candidate.id)
        if filing is None or not filing.lapsed_on(today):
            continue
        uow.filings.put(attrs.evolve(filing, status=FilingStatus.EXPIRED,
                                     ended_on=filing.valid_to))
        append_audit(uow, filing.id, "lapse", FilingStatus.ACTIVE.value,
                     FilingStatus.EXPIRED.value, Actor.system(), now, reason=FILING_LAPSED,
                     policy=services.policy.name, data={"valid_to": [filing.valid_to.isoformat()]})
        closed.append(filing.id)
    return tuple(closed)


def _committed_batch(services: Services, now: datetime, limit: int,
                     exclude: frozenset[str]) -> TickReport:
    """One batch in its own committed unit of work, claimed again after a lost race."""
    return RETRY.call(lambda: transact(
        services, lambda uow: tick_batch(services, uow, now, limit, exclude)))


def tick_batch(services: Services, uow: UnitOfWork, now: datetime, limit: int,
               exclude: Collection[str] = ()) -> TickReport:
    """Claim up to ``limit`` passed deadlines (not in ``exclude``) and handle each in ``uow``;
    the caller commits."""
    today = business_date(now)
    fired: list[Deadline] = []
    flagged: list[Deadline] = []
    ended: list[Deadline] = []
    blocked: list[Deadline] = []
    escalated: list[Deadline] = []
    for deadline in uow.deadlines.claim(today, limit, exclude):
        if deadline.kind is DeadlineKind.CORRECTION_WINDOW and _missing_data(services, uow,
                                                                             deadline):
            blocked.append(deadline)  # checked before any write: nothing to undo
            continue
        if deadline.kind is DeadlineKind.CORRECTION_WINDOW:
            done = _deem_accepted(services, uow, deadline, now)
        elif deadline.kind is DeadlineKind.FILED_EXPIRY:
            done = _expire(services, uow, deadline, now)
        else:
            done = deadline.flag(today)
            uow.deadlines.save(done, deadline.version)
            if escalate(services, uow, done, now):
                escalated.append(done)
        if done.status is DeadlineStatus.FIRED:
            fired.append(done)
        elif done.status is DeadlineStatus.ENDED:
            ended.append(done)
        else:
            flagged.append(done)
    return TickReport(today, tuple(fired), tuple(flagged), tuple(ended), tuple(blocked),
                      escalated=tuple(escalated))


def _missing_data(services: Services, uow: UnitOfWork, window: Deadline) -> bool:
    """Whether the decision period a deemed acceptance opens lacks calendar data."""
    app = uow.applications.get(window.subject_id)
    period = decision_period(services.policy, app) if app is not None else None
    if period is None:
        return False
    try:
        checked_due_date(DeadlineKind.DECISION, window.start, period.length, services.calendar,
                         services.policy.parameters, period.unit)
    except CalendarDataMissing as missing:
        _log.warning("deadline %s not applied: %s", window.id, missing)
        return True
    return False


def _deem_accepted(services: Services, uow: UnitOfWork, window: Deadline,
                   now: datetime) -> Deadline:
    """行政许可法 Art 32(4): accepted as of the receipt date; the decision period counts from
    there."""
    today = business_date(now)
    app = uow.applications.get(window.subject_id)
    if app is None or app.state != PENDING_ACCEPTANCE:
        done = window.end(today, "tick")
        uow.deadlines.save(done, window.version)
        return done
    done = window.fire(today)
    uow.deadlines.save(done, window.version)
    transition(services, uow, app, "accept", Actor.system(), DEEMED_ACCEPTANCE, (), now=now,
               deemed_at=window.opened_at)
    return done


def _expire(services: Services, uow: UnitOfWork, deadline: Deadline, now: datetime) -> Deadline:
    """备案 → 注销 two years on (or superseded by renewed practice, R-CAN-6)."""
    today = business_date(now)
    registration = uow.registrations.get(deadline.subject_id)
    if registration is not None and uow.hold_physician(registration.physician_id):
        registration = uow.registrations.get(deadline.subject_id)  # renewed practice is read
    if (registration is None or registration.status is not RegistrationStatus.FILED
            or registration.filed_on != deadline.start):
        done = deadline.end(today, "tick")
        uow.deadlines.save(done, deadline.version)
        return done
    DeadlineKeeper(services).expire(uow, registration, deadline.takes_effect, now, "tick")
    return uow.deadlines.get(deadline.id) or deadline

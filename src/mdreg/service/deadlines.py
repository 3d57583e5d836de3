"""期限的开启、关闭与到期处理 — deadlines follow the transitions; ``tick`` applies the law.

Every hook runs inside the caller's unit of work, so a deadline opens or closes atomically with
the transition that caused it:

========================  =====================================  ===================================
deadline                  opened by                              closed by
========================  =====================================  ===================================
correction window (5 WD)  ``confirm``, ``supplement`` (the       leaving 待受理: ``accept``,
                          materials reach the department)        ``request_correction``,
                                                                 ``refuse_acceptance``, ``withdraw``
decision (20 WD)          ``accept`` (deemed: from the receipt   leaving 审核中: ``approve``,
                          date)                                  ``reject``, ``return_to_applicant``
cancellation report (30)  creating a 注销 application            ``submit`` (``withdraw`` ends it)
备案 expiry (2 years)     ``report_departure``                   the registration ending otherwise
========================  =====================================  ===================================

:meth:`DeadlineKeeper.tick_batch` claims passed deadlines and applies what the law makes
automatic — deemed acceptance (行政许可法 Art 32(4)) and 备案 → 注销 (2017 measures Art 19) —
and flags the others (a decision or a report not made in time) once.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING

import attrs

from mdreg.clock import business_date
from mdreg.deadlines import (
    LENGTH_PARAMETERS,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    due_date,
    new_deadline,
)
from mdreg.domain.application import Actor, Application, CancellationRequest
from mdreg.domain.model import Registration, RegistrationStatus
from mdreg.errors import CalendarDataMissing, LimitExceeded
from mdreg.ports import UnitOfWork
from mdreg.workflows.lifecycle import DRAFT, PENDING_ACCEPTANCE, UNDER_REVIEW

if TYPE_CHECKING:
    from mdreg.service.registry import Registry

_log = logging.getLogger(__name__)

#: The application state each kind waits in: leaving it closes the deadline.
WAITS_IN: Mapping[DeadlineKind, str] = {
    DeadlineKind.CORRECTION_WINDOW: PENDING_ACCEPTANCE,
    DeadlineKind.DECISION: UNDER_REVIEW,
    DeadlineKind.CANCELLATION_REPORT: DRAFT,
}

DEEMED_ACCEPTANCE = ("逾期未一次告知补正，自收到申请材料之日起即为受理（行政许可法第三十二条第一款"
                     "第四项）")
FILED_EXPIRED = "备案满二年未再执业，注销注册（医师执业注册管理办法第十九条）"


@attrs.frozen
class TickReport:
    """What :meth:`mdreg.Registry.tick` did, as of the business date ``as_of``.

    ``fired``: deadlines whose legal consequence was applied (the application deemed accepted,
    the filed registration cancelled); ``flagged``: deadlines reported overdue for the first
    time (a decision or a cancellation report not made in time); ``ended``: deadlines whose
    subject had already moved on, closed without action; ``blocked``: deadlines whose
    consequence needs calendar data that is missing (a deemed acceptance whose decision period
    reaches a year without data) — left open, untouched, for a tick after the data is added.
    """

    as_of: date
    fired: tuple[Deadline, ...] = ()
    flagged: tuple[Deadline, ...] = ()
    ended: tuple[Deadline, ...] = ()
    blocked: tuple[Deadline, ...] = ()

    @property
    def handled(self) -> tuple[Deadline, ...]:
        """Every deadline this tick changed."""
        return (*self.fired, *self.flagged, *self.ended)

    def merge(self, other: TickReport) -> TickReport:
        return TickReport(self.as_of, self.fired + other.fired, self.flagged + other.flagged,
                          self.ended + other.ended, self.blocked + other.blocked)


class DeadlineKeeper:
    """Opens, closes and fires a registry's deadlines with its calendar and policy."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry

    # -- opening and closing, inside the caller's unit of work ------------------------------

    def on_create(self, uow: UnitOfWork, app: Application, now: datetime) -> None:
        """A 注销 application: the 30 days to report run from the day the ground was known."""
        if isinstance(app.payload, CancellationRequest):
            self._open(uow, DeadlineKind.CANCELLATION_REPORT, app.id, app.physician_id,
                       app.payload.ground_known_on, now)

    def on_transition(self, uow: UnitOfWork, old: Application, new: Application, event: str,
                      now: datetime) -> None:
        """Close what waited in the state left; open what the state entered waits for.

        Raises:
            CalendarDataMissing: a working-day period reaches a year without calendar data
                (the transition is refused with it).
        """
        if old.state == new.state:
            return
        today = business_date(now)
        for deadline in uow.deadlines.open_for(new.id):
            if WAITS_IN.get(deadline.kind) == old.state:
                done = (deadline.end(today, event) if event == "withdraw"
                        else deadline.close(today, event))
                uow.deadlines.save(done, deadline.version)
        if new.state == PENDING_ACCEPTANCE:
            self._open(uow, DeadlineKind.CORRECTION_WINDOW, new.id, new.physician_id, today, now)
        elif new.state == UNDER_REVIEW:
            accepted = new.accepted_at or now
            self._open(uow, DeadlineKind.DECISION, new.id, new.physician_id,
                       business_date(accepted), accepted)

    def on_departure(self, uow: UnitOfWork, filed: Registration, now: datetime) -> None:
        """备案 since ``filed.filed_on``: two years without renewed practice end in 注销."""
        if filed.filed_on is not None:
            self._open(uow, DeadlineKind.FILED_EXPIRY, filed.id, filed.physician_id,
                       filed.filed_on, now)

    def end_for(self, uow: UnitOfWork, subject_ids: Iterable[str], on: date, by: str) -> None:
        """End the open deadlines of registrations that another route ended (an approved
        注销, an ex-officio cancellation)."""
        for subject_id in subject_ids:
            for deadline in uow.deadlines.open_for(subject_id):
                uow.deadlines.save(deadline.end(on, by), deadline.version)

    def _open(self, uow: UnitOfWork, kind: DeadlineKind, subject_id: str, physician_id: str,
              start: date, opened_at: datetime) -> Deadline:
        registry = self._registry
        earlier = uow.deadlines.count(subject_id, kind.value)
        if earlier >= registry.limits.deadlines_per_kind:
            raise LimitExceeded(f"{kind.value} deadlines", subject_id,
                                registry.limits.deadlines_per_kind)
        deadline = new_deadline(f"{subject_id}:{kind.value}:{earlier + 1}", kind, subject_id,
                                physician_id, start, opened_at, registry.calendar,
                                registry.policy.parameters)
        uow.deadlines.add(deadline)
        return deadline

    # -- what the law makes automatic ---------------------------------------------------------

    def tick_batch(self, uow: UnitOfWork, now: datetime, limit: int,
                   exclude: Collection[str] = ()) -> TickReport:
        """Claim up to ``limit`` passed deadlines (not in ``exclude``) and handle each; the
        caller commits."""
        today = business_date(now)
        fired: list[Deadline] = []
        flagged: list[Deadline] = []
        ended: list[Deadline] = []
        blocked: list[Deadline] = []
        for deadline in uow.deadlines.claim(today, limit, exclude):
            if deadline.kind is DeadlineKind.CORRECTION_WINDOW and self._missing_data(deadline):
                blocked.append(deadline)  # checked before any write: nothing to undo
                continue
            if deadline.kind is DeadlineKind.CORRECTION_WINDOW:
                done = self._deem_accepted(uow, deadline, now)
            elif deadline.kind is DeadlineKind.FILED_EXPIRY:
                done = self._expire(uow, deadline, now)
            else:
                done = deadline.flag(today)
                uow.deadlines.save(done, deadline.version)
            if done.status is DeadlineStatus.FIRED:
                fired.append(done)
            elif done.status is DeadlineStatus.ENDED:
                ended.append(done)
            else:
                flagged.append(done)
        return TickReport(today, tuple(fired), tuple(flagged), tuple(ended), tuple(blocked))

    def _missing_data(self, window: Deadline) -> bool:
        """Whether the decision period a deemed acceptance opens lacks calendar data."""
        registry = self._registry
        length = int(registry.policy.parameters[LENGTH_PARAMETERS[DeadlineKind.DECISION]])
        try:
            due_date(DeadlineKind.DECISION, window.start, length, registry.calendar)
        except CalendarDataMissing as missing:
            _log.warning("deadline %s not applied: %s", window.id, missing)
            return True
        return False

    def _deem_accepted(self, uow: UnitOfWork, window: Deadline, now: datetime) -> Deadline:
        """行政许可法 Art 32(4): accepted as of the receipt date; the decision period counts
        from there."""
        today = business_date(now)
        app = uow.applications.get(window.subject_id)
        if app is None or app.state != PENDING_ACCEPTANCE:
            done = window.end(today, "tick")
            uow.deadlines.save(done, window.version)
            return done
        done = window.fire(today)
        uow.deadlines.save(done, window.version)
        self._registry._transition(uow, app, "accept", Actor.system(), DEEMED_ACCEPTANCE, (),
                                   now=now, deemed_at=window.opened_at)
        return done

    def _expire(self, uow: UnitOfWork, deadline: Deadline, now: datetime) -> Deadline:
        today = business_date(now)
        registration = uow.registrations.get(deadline.subject_id)
        if (registration is None or registration.status is not RegistrationStatus.FILED
                or registration.filed_on != deadline.start):
            done = deadline.end(today, "tick")
            uow.deadlines.save(done, deadline.version)
            return done
        done = deadline.fire(today)
        uow.deadlines.save(done, deadline.version)
        self.expire(uow, registration, deadline.takes_effect, now, "tick")
        return done

    def expire(self, uow: UnitOfWork, registration: Registration, on: date, now: datetime,
               by: str) -> None:
        """Cancel a registration two years in 备案 as of ``on`` and fire its open expiry
        deadline, if any (registrations loaded as reference data have none)."""
        from mdreg.service.announcements import announce
        from mdreg.service.registry import append_audit
        from mdreg.workflows.effects import Effect

        effect = Effect(uow, self._registry.ids, on, self._registry.policy)
        effect.end_registration(registration, RegistrationStatus.CANCELLED)
        done = effect.done
        append_audit(uow, registration.id, "expire_filed", RegistrationStatus.FILED.value,
                     RegistrationStatus.CANCELLED.value, Actor.system(), now,
                     reason=FILED_EXPIRED, policy=self._registry.policy.name, data=done)
        announce(uow, self._registry.ids, now, [registration.id])
        for deadline in uow.deadlines.open_for(registration.id):
            if deadline.kind is DeadlineKind.FILED_EXPIRY:
                uow.deadlines.save(deadline.fire(business_date(now), by), deadline.version)

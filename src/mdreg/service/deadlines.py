"""期限的开启、关闭与到期处理 — deadlines follow the transitions; ``tick`` applies the law.

Every hook runs inside the caller's unit of work, so a deadline opens or closes atomically with
the transition that caused it:

========================  =====================================  ===================================
deadline                  opened by                              closed by
========================  =====================================  ===================================
correction window (5 WD)  ``confirm``, ``supplement`` (the       leaving 待受理: ``accept``,
                          materials reach the department)        ``request_correction``,
                                                                 ``refuse_acceptance``, ``withdraw``
decision (by type, date)  ``accept`` (deemed: from the receipt   leaving 审核中: ``approve``,
                          date; 1998 law: from receipt)          ``reject``, ``return_to_applicant``
cancellation report (30)  creating a 注销 application            ``submit`` (``withdraw`` ends it)
备案 expiry (2 years)     ``report_departure``                   the registration ending otherwise
========================  =====================================  ===================================

:func:`mdreg.service.tick.tick_batch` claims passed deadlines and applies what the law makes
automatic — deemed acceptance (行政许可法 Art 32(4)) and 备案 → 注销 (2017 measures Art 19) —
and flags the others (a decision or a report not made in time) once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

import attrs

from mdreg.domain.application import (
    DRAFT,
    PENDING_ACCEPTANCE,
    REPORTED_GROUNDS,
    UNDER_REVIEW,
    Actor,
    Application,
    CancellationRequest,
)
from mdreg.domain.clock import business_date
from mdreg.domain.deadlines import (
    Deadline,
    DeadlineKind,
    DecisionPeriod,
    PeriodStart,
    new_deadline,
)
from mdreg.domain.model import Registration, RegistrationStatus
from mdreg.errors import LimitExceeded, RuleDefinitionError
from mdreg.ports import UnitOfWork
from mdreg.rules.policy import Policy
from mdreg.service.announcements import announce
from mdreg.service.services import Services, append_audit
from mdreg.workflows import declaration_for
from mdreg.workflows.effects import Effect

#: The application state each kind waits in: leaving it closes the deadline.
WAITS_IN: Mapping[DeadlineKind, str] = {
    DeadlineKind.CORRECTION_WINDOW: PENDING_ACCEPTANCE,
    DeadlineKind.DECISION: UNDER_REVIEW,
    DeadlineKind.CANCELLATION_REPORT: DRAFT,
}

DEEMED_ACCEPTANCE = ("逾期未一次告知补正，自收到申请材料之日起即为受理（行政许可法第三十二条第一款"
                     "第四项）")
FILED_EXPIRED = "备案满二年未再执业，注销注册（医师执业注册管理办法第十九条）"
FILED_SUPERSEDED = ("备案期间已重新注册执业，不予注销；原备案注册失效，不予公告（医师执业注册管理办法"
                    "第十九条）")


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
    #: provisional deadlines counted again because their years have holiday data now
    recomputed: tuple[Deadline, ...] = ()
    #: filings closed as expired because their period ended (ids)
    lapsed: tuple[str, ...] = ()
    #: decision deadlines whose department was reminded (催办)
    reminded: tuple[Deadline, ...] = ()
    #: flagged decision deadlines the superior department was told of (督办)
    escalated: tuple[Deadline, ...] = ()

    @property
    def handled(self) -> tuple[Deadline, ...]:
        """Every deadline this tick changed."""
        return (*self.fired, *self.flagged, *self.ended)

    def merge(self, other: TickReport) -> TickReport:
        return TickReport(self.as_of, self.fired + other.fired, self.flagged + other.flagged,
                          self.ended + other.ended, self.blocked + other.blocked,
                          self.recomputed + other.recomputed, self.lapsed + other.lapsed,
                          self.reminded + other.reminded, self.escalated + other.escalated)


def decision_period(policy: Policy, app: Application) -> DecisionPeriod | None:
    """The decision period of ``app``: its business type's, as of its application date."""
    basis = declaration_for(app.type).decision_period
    return basis.on(app.application_date, policy.parameters)


class DeadlineKeeper:
    """Opens, closes and ends deadlines with a registry's calendar, policy and limits, inside
    the caller's unit of work (the tick that fires them is :mod:`mdreg.service.tick`)."""

    def __init__(self, services: Services) -> None:
        self.services = services

    # -- opening and closing, inside the caller's unit of work ------------------------------

    def on_create(self, uow: UnitOfWork, app: Application, now: datetime) -> None:
        """A 注销 application: the 30 days to report run from the day the ground was known
        (not for a voluntary cancellation, which reports nothing)."""
        if isinstance(app.payload, CancellationRequest) and app.payload.ground in REPORTED_GROUNDS:
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
        received: date | None = None
        for deadline in uow.deadlines.open_for(new.id):
            if WAITS_IN.get(deadline.kind) == old.state:
                done = (deadline.end(today, event) if event == "withdraw"
                        else deadline.close(today, event))
                uow.deadlines.save(done, deadline.version)
            if deadline.kind is DeadlineKind.CORRECTION_WINDOW:
                received = deadline.start
        if new.state == PENDING_ACCEPTANCE and not self._on_receipt():
            self._open(uow, DeadlineKind.CORRECTION_WINDOW, new.id, new.physician_id, today, now)
        elif new.state == UNDER_REVIEW:
            self._open_decision(uow, new, received, now)

    def _open_decision(self, uow: UnitOfWork, app: Application, received: date | None,
                       now: datetime) -> None:
        """The decision period of ``app``'s type and date: from acceptance, or (执业医师法) from
        the day the materials were received — the start of the correction window the
        acceptance closed."""
        period = decision_period(self.services.policy, app)
        if period is None:
            return
        accepted = app.accepted_at or now
        start = business_date(accepted)
        if period.counted_from is PeriodStart.RECEIPT and received is not None:
            start = received
        self._open(uow, DeadlineKind.DECISION, app.id, app.physician_id, start, accepted, period)

    def on_materials(self, uow: UnitOfWork, app: Application, now: datetime) -> None:
        """The department received the paper materials: the five working days to ask for every
        correction run from the receipt (行政许可法 Art 32(4): 自收到申请材料之日起), unless the
        policy counts them from the institution's confirmation, or a window is open already."""
        if self._on_receipt() and not any(d.kind is DeadlineKind.CORRECTION_WINDOW
                                          for d in uow.deadlines.open_for(app.id)):
            self._open(uow, DeadlineKind.CORRECTION_WINDOW, app.id, app.physician_id,
                       business_date(now), now)

    def _on_receipt(self) -> bool:
        return bool(self.services.policy.param("correction_window_from") == "materials_received")

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
              start: date, opened_at: datetime, period: DecisionPeriod | None = None
              ) -> Deadline:
        services = self.services
        earlier = uow.deadlines.count(subject_id, kind.value)
        if earlier >= services.limits.deadlines_per_kind:
            raise LimitExceeded(f"{kind.value} deadlines", subject_id,
                                services.limits.deadlines_per_kind)
        deadline = new_deadline(f"{subject_id}:{kind.value}:{earlier + 1}", kind, subject_id,
                                physician_id, start, opened_at, services.calendar,
                                services.policy.parameters, period)
        uow.deadlines.add(deadline)
        return deadline

    def expire(self, uow: UnitOfWork, registration: Registration, on: date, now: datetime,
               by: str) -> bool:
        """Two years in 备案 as of ``on`` (2017 measures Art 19): cancel the registration and
        announce it — unless the physician has practised again since the filing (holds a valid
        registration approved on or after ``filed_on``). Then, by the policy parameter
        ``filed_after_renewed_practice``, the filed registration ends as superseded (``失效``,
        not announced: nothing was cancelled) or stays filed. The open expiry deadline, if any
        (registrations loaded as reference data have none), fires — or ends, when the
        registration stays filed. The caller holds the physician.

        Returns:
            whether the registration was cancelled.
        """
        services = self.services
        renewed = renewed_practice(uow.registrations.for_physician(registration.physician_id),
                                   registration)
        keep = bool(renewed) and _keeps_filed(services.policy.param("filed_after_renewed_practice"))
        if not keep:
            status = RegistrationStatus.INVALID if renewed else RegistrationStatus.CANCELLED
            effect = Effect(uow, services.ids, on, services.policy)
            effect.end_registration(registration, status)
            data = {**effect.done, "renewed_by": [r.id for r in renewed]} if renewed else effect.done
            append_audit(uow, registration.id, "supersede_filed" if renewed else "expire_filed",
                         RegistrationStatus.FILED.value, status.value, Actor.system(), now,
                         reason=FILED_SUPERSEDED if renewed else FILED_EXPIRED,
                         policy=services.policy.name, data=data)
            if not renewed:
                announce(uow, services.ids, now, [registration.id])
        today = business_date(now)
        for deadline in uow.deadlines.open_for(registration.id):
            if deadline.kind is DeadlineKind.FILED_EXPIRY:
                done = deadline.end(today, by) if keep else deadline.fire(today, by)
                uow.deadlines.save(done, deadline.version)
        return not renewed


def renewed_practice(registrations: Iterable[Registration], filed: Registration
                     ) -> tuple[Registration, ...]:
    """R-CAN-6: the physician's other valid registrations approved on or after the day
    ``filed`` went to 备案 — the renewed practice that keeps two years in 备案 from ending in
    注销 (2017 measures Art 19: 备案满二年且未继续执业的予以注销)."""
    if filed.filed_on is None:
        return ()
    return tuple(r for r in registrations
                 if r.is_valid and r.id != filed.id and r.approved_on >= filed.filed_on)


def _keeps_filed(choice: str) -> bool:
    if choice not in ("supersede", "keep"):
        raise RuleDefinitionError(f"filed_after_renewed_practice is {choice!r}, not "
                                  "'supersede' or 'keep'")
    return choice == "keep"

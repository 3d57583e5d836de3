"""催办与督办 — reminders before a decision's last day, escalation after it.

The tick reminds the deciding department, and the officer who claimed the application,
``reminder_working_days`` working days before a decision's last day (催办), and tells the
superior department when the last day passed without a decision (督办): each an in-portal
notice (:attr:`~mdreg.domain.account.Channel.NOTICE`) addressed to the party, and an event in
the application's history. Both happen exactly once however many workers tick: a reminder is
claimed like a passed deadline (``FOR UPDATE SKIP LOCKED`` on PostgreSQL, the write lock on
SQLite) and marked in the same unit of work; an escalation rides on the deadline's first flag.
"""

from __future__ import annotations

from datetime import datetime

from mdreg.domain.account import Channel, OutboxMessage
from mdreg.domain.application import Actor, Application
from mdreg.domain.clock import business_date
from mdreg.domain.deadlines import Deadline, DeadlineKind
from mdreg.domain.model import HealthDepartment
from mdreg.errors import CalendarDataMissing
from mdreg.ports import UnitOfWork
from mdreg.service.services import Services, append_audit

REMIND, ESCALATE = "remind", "escalate"


def remind_batch(services: Services, uow: UnitOfWork, now: datetime, limit: int
                 ) -> tuple[Deadline, ...]:
    """Claim up to ``limit`` decision deadlines whose last day is within the reminder horizon
    and remind their parties in ``uow`` (the caller commits); the deadlines reminded."""
    days = int(services.policy.parameters.get("reminder_working_days") or 0)
    if days <= 0:
        return ()
    today = business_date(now)
    try:
        horizon = services.calendar.add_workdays(today, days)
    except CalendarDataMissing:  # the year's holidays are not known: no reminder is guessed
        return ()
    done = []
    for deadline in uow.deadlines.claim_reminders(today, horizon, limit):
        reminded = deadline.remind(today)
        uow.deadlines.save(reminded, deadline.version)
        app = uow.applications.get(deadline.subject_id)
        if app is not None:
            holder = Actor.authority(app.department_id, user=app.assignee)
            _notice(services, uow, app, holder, REMIND, now,
                    f"催办：申请 {app.id} 的审批决定期限至 {deadline.due.isoformat()} 届满，"
                    f"请在期限内作出决定。")
        done.append(reminded)
    return tuple(done)


def escalate(services: Services, uow: UnitOfWork, deadline: Deadline, now: datetime) -> bool:
    """Tell the department above the deciding one that a decision is overdue (督办), when
    ``deadline`` is an application's decision deadline being flagged; whether it did."""
    if deadline.kind is not DeadlineKind.DECISION:
        return False
    app = uow.applications.get(deadline.subject_id)
    if app is None:
        return False
    superior = superior_department(uow, app.department_id)
    if superior is None:
        return False
    _notice(services, uow, app, Actor.authority(superior.id), ESCALATE, now,
            f"督办：申请 {app.id} 的审批决定期限已于 {deadline.due.isoformat()} 届满，"
            f"{app.department_id} 尚未作出决定。")
    return True


def superior_department(uow: UnitOfWork, department_id: str) -> HealthDepartment | None:
    """The department of the nearest division above ``department_id``'s (prefecture, then
    province); ``None`` for a province-level department or an unknown one."""
    department = uow.departments.get(department_id)
    if department is None:
        return None
    division = department.division
    for above in (division.prefecture, division.province):
        if above == division or not above.contains(division):
            continue
        found = uow.departments.by_division(above)
        if found:
            return found[0]
    return None


def _notice(services: Services, uow: UnitOfWork, app: Application, to: Actor, event: str,
            now: datetime, body: str) -> None:
    uow.outbox.add(OutboxMessage(services.ids.new("M"), Channel.NOTICE, str(to),
                                 f"deadline_{event}", body, app.id, now))
    append_audit(uow, app.id, event, app.state, app.state, Actor.system(), now,
                 data={"to": [str(to)]}, cap=services.limits.audit_events_per_application)


"""Legal deadlines through the service: R-DL-1/2/3/5, R-CAN-3, R-CAN-6 (through tick), the
missing-year behaviour (D-04 on stored deadlines), dashboards, periodic assessment R-ASM-1..4, and
the decision period by application date and business type.

Every test runs on the in-memory backend with a fake clock; the same repositories are checked on
SQLite and PostgreSQL by the unit-of-work contract, and tick's concurrency in
test_deadlines_durability.py.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise

import attrs
import pytest

import mdreg
from mdreg import (
    Actor,
    Application,
    Assessment,
    AssessmentResult,
    CancellationGround,
    CancellationRequest,
    DepartureKind,
    FilingRequest,
    Physician,
    Record,
    RecordKind,
    Registration,
    RegistrationRequest,
    RegistrationStatus,
)
from mdreg.domain.assessment import (
    AssessmentCycle,
    CycleResult,
    assessment_cycles,
    assessment_status,
    cycle_years,
)
from mdreg.domain.calendar import CalendarOverrides, ChineseCalendar, WeekendFallback, default_calendar
from mdreg.domain.clock import SHANGHAI, FakeClock
from mdreg.domain.dates import add_months, add_years
from mdreg.domain.deadlines import (
    PROVISIONAL,
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    PeriodUnit,
    new_deadline,
    recomputed,
)
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import Category, Institution, Level
from mdreg.errors import (
    CalendarDataMissing,
    CorrectionAlreadyRequested,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationError,
)
from mdreg.service.deadlines import TickReport
from mdreg.service.registry import Registry
from mdreg.testing import World
from mdreg.testing.boundaries import BoundaryCase, boundary
from mdreg.workflows import BASE_POLICY

CAL = default_calendar()


def nine_am(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=SHANGHAI).astimezone(UTC)


class Desk:
    """One hospital, its department, and helpers to move applications and the clock."""

    def __init__(self, registry: Registry, clock: FakeClock) -> None:
        self.registry, self.clock = registry, clock
        self.world = World(registry)
        self.hospital = self.world.institution("110105")
        self.inst = Actor.institution(self.hospital.id)
        self.dept = Actor.authority(self.hospital.approved_by)

    def on(self, day: date) -> Desk:
        self.clock.set(nine_am(day))
        return self

    def submitted(self, day: date) -> Application:
        doctor = self.world.physician()
        self.on(day)
        return self.registry.apply(Actor.physician(doctor.id), RegistrationRequest(
            self.hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))

    def received(self, day: date) -> Application:
        """Submitted and confirmed on ``day``, and the paper materials reach the department."""
        app = self.registry.fire(self.submitted(day).id, "confirm", self.inst)
        return self.registry.receive_materials(app.id, self.dept)

    def accepted(self, received: date, accepted: date) -> Application:
        app = self.received(received)
        return self.on(accepted).registry.fire(app.id, "accept", self.dept)

    def deadline(self, subject_id: str, kind: DeadlineKind) -> Deadline:
        (found,) = [d for d in self.registry.deadlines(subject_id) if d.kind is kind]
        return found

    def tick(self, day: date) -> TickReport:
        return self.registry.tick(nine_am(day))


@pytest.fixture
def desk(registry: Registry, clock: FakeClock) -> Desk:
    return Desk(registry, clock)


def ids(rows: tuple[Deadline, ...]) -> list[str]:
    return [d.id for d in rows]


# R-DL-5 and R-DL-1 ------------------------------------------------------------------------------


def test_r_dl_5_accepted_on_friday_2026_02_13_is_due_on_thursday_2026_03_19(desk: Desk) -> None:
    app = desk.accepted(date(2026, 2, 12), date(2026, 2, 13))
    decision = desk.deadline(app.id, DeadlineKind.DECISION)
    assert (decision.start, decision.due) == (date(2026, 2, 13), date(2026, 3, 19))
    assert (decision.length, decision.unit.value, decision.source) == (20, "working_days",
                                                                       "chinesecalendar")
    assert decision.status is DeadlineStatus.OPEN
    assert decision.opened_at == app.accepted_at


@pytest.mark.parametrize(
    ("accepted", "due"),
    [(date(2026, 9, 25), date(2026, 10, 29)), (date(2026, 4, 28), date(2026, 5, 28)),
     (date(2026, 3, 2), date(2026, 3, 30))],
    ids=["national_day_break_skipped_and_saturday_10_10_counted",
         "labour_day_break_skipped_and_saturday_05_09_counted", "a_plain_month"],
)
def test_r_dl_1_decision_due_20_working_days_after_acceptance(desk: Desk, accepted: date,
                                                              due: date) -> None:
    app = desk.accepted(accepted - timedelta(days=1), accepted)
    decision = desk.deadline(app.id, DeadlineKind.DECISION)
    assert decision.due == due == CAL.add_workdays(accepted, 20)
    assert CAL.workdays_between(accepted, due) == 20


def test_r_dl_1_approval_in_time_meets_the_deadline_and_late_misses_it(desk: Desk) -> None:
    first = desk.accepted(date(2026, 3, 2), date(2026, 3, 2))
    second = desk.accepted(date(2026, 3, 2), date(2026, 3, 2))
    desk.on(date(2026, 3, 30)).registry.fire(first.id, "approve", desk.dept)
    desk.on(date(2026, 3, 31)).registry.fire(second.id, "approve", desk.dept)
    met, missed = (desk.deadline(a.id, DeadlineKind.DECISION) for a in (first, second))
    assert (met.status, met.closed_on, met.closed_by) == (DeadlineStatus.MET, date(2026, 3, 30),
                                                          "approve")
    assert (missed.status, missed.closed_on) == (DeadlineStatus.MISSED, date(2026, 3, 31))


def test_every_business_type_gets_a_decision_deadline(desk: Desk) -> None:
    doctor = desk.world.physician()
    registration = desk.world.registration(doctor, desk.hospital)
    app = desk.registry.apply(Actor.physician(doctor.id), CancellationRequest(
        registration.id, CancellationGround.OWN_REQUEST, date(2026, 3, 1)))
    desk.registry.fire(app.id, "confirm", desk.inst)
    desk.registry.fire(app.id, "accept", desk.dept)
    assert desk.deadline(app.id, DeadlineKind.DECISION).due == date(2026, 3, 30)


# R-DL-2 -----------------------------------------------------------------------------------------


def test_r_dl_2_a_refusal_with_a_reason_within_the_period_meets_the_deadline(desk: Desk) -> None:
    app = desk.accepted(date(2026, 3, 2), date(2026, 3, 2))
    with pytest.raises(ValidationError):
        desk.registry.fire(app.id, "reject", desk.dept, reason="  ")
    assert desk.deadline(app.id, DeadlineKind.DECISION).is_open  # nothing happened
    rejected = desk.on(date(2026, 3, 27)).registry.fire(app.id, "reject", desk.dept,
                                                        reason="学历材料不实")
    decision = desk.deadline(app.id, DeadlineKind.DECISION)
    assert (rejected.state, rejected.reason) == ("rejected", "学历材料不实")
    assert (decision.status, decision.closed_by) == (DeadlineStatus.MET, "reject")
    assert decision.closed_on is not None and decision.closed_on <= decision.due
    assert rejected.decided_at is not None and rejected.decided_at.date() <= decision.due


def test_r_dl_2_a_late_refusal_is_recorded_as_missed(desk: Desk) -> None:
    app = desk.accepted(date(2026, 3, 2), date(2026, 3, 2))
    desk.on(date(2026, 4, 1)).registry.fire(app.id, "reject", desk.dept, reason="不符合条件")
    assert desk.deadline(app.id, DeadlineKind.DECISION).status is DeadlineStatus.MISSED


def test_returning_to_the_applicant_closes_the_decision_and_a_new_acceptance_opens_another(
        desk: Desk) -> None:
    app = desk.accepted(date(2026, 3, 2), date(2026, 3, 3))
    desk.registry.fire(app.id, "return_to_applicant", desk.dept, reason="照片不清晰")
    desk.registry.fire(app.id, "resubmit", app.applicant)
    desk.on(date(2026, 3, 10)).registry.fire(app.id, "confirm", desk.inst)
    desk.registry.fire(app.id, "accept", desk.dept)
    decisions = [d for d in desk.registry.deadlines(app.id) if d.kind is DeadlineKind.DECISION]
    assert [(d.id, d.status, d.closed_by, d.version) for d in decisions] == [
        (f"{app.id}:decision:1", DeadlineStatus.MET, "return_to_applicant", 2),
        (f"{app.id}:decision:2", DeadlineStatus.OPEN, "", 1)]
    assert decisions[1].start == date(2026, 3, 10)


def test_each_change_to_a_deadline_adds_exactly_one_to_its_version() -> None:
    opened = new_deadline("A1:decision:1", DeadlineKind.DECISION, "A1", "P1", date(2026, 3, 2),
                          nine_am(date(2026, 3, 2)), CAL, BASE_POLICY.parameters)
    assert opened.version == 1
    flagged = opened.flag(date(2026, 4, 1))
    reminded = flagged.remind(date(2026, 4, 2))
    assert (flagged.version, reminded.version) == (2, 3)
    assert [d.version for d in (reminded.close(date(2026, 4, 3), "approve"),
                                reminded.fire(date(2026, 4, 3)),
                                reminded.end(date(2026, 4, 3), "withdraw"))] == [4, 4, 4]


def test_a_provisional_deadline_counted_again_replaces_it_with_the_next_version() -> None:
    provisional = attrs.evolve(
        new_deadline("A1:decision:1", DeadlineKind.DECISION, "A1", "P1", date(2026, 3, 2),
                     nine_am(date(2026, 3, 2)), CAL, BASE_POLICY.parameters),
        source=PROVISIONAL, version=3)
    counted = recomputed(provisional, CAL)
    assert counted is not None
    assert (counted.version, counted.source) == (4, "chinesecalendar")


# R-DL-3: the correction window and deemed acceptance ---------------------------------------------


def test_r_dl_3_confirmation_opens_a_five_working_day_correction_window(desk: Desk) -> None:
    app = desk.received(date(2026, 2, 10))
    window = desk.deadline(app.id, DeadlineKind.CORRECTION_WINDOW)
    # 02-11, 02-12, 02-13, Saturday 02-14 (make-up day), then the Spring Festival break to 02-23
    assert (window.start, window.due, window.source) == (date(2026, 2, 10), date(2026, 2, 24),
                                                         "chinesecalendar")


def test_r_dl_3_silence_for_five_working_days_is_deemed_acceptance_exactly_once(
        desk: Desk) -> None:
    app = desk.received(date(2026, 3, 2))
    received_at = app.updated_at
    assert desk.tick(date(2026, 3, 9)).handled == ()  # the last day of the window
    report = desk.tick(date(2026, 3, 10))
    assert [d.id for d in report.fired] == [f"{app.id}:correction_window:1"]
    assert (report.flagged, report.ended) == ((), ())
    accepted = desk.registry.application(app.id)
    assert (accepted.state, accepted.version) == ("under_review", app.version + 1)
    assert accepted.accepted_at == received_at  # accepted on the receipt date
    last = desk.registry.history(app.id)[-1]
    assert (last.event, last.actor, last.at) == ("accept", Actor.system(), nine_am(date(2026, 3, 10)))
    assert "行政许可法第三十二条" in last.reason
    window = desk.deadline(app.id, DeadlineKind.CORRECTION_WINDOW)
    assert (window.status, window.closed_on, window.closed_by) == (DeadlineStatus.FIRED,
                                                                   date(2026, 3, 10), "tick")
    decision = desk.deadline(app.id, DeadlineKind.DECISION)
    assert (decision.start, decision.due) == (date(2026, 3, 2), CAL.add_workdays(date(2026, 3, 2), 20))
    history = len(desk.registry.history(app.id))
    for _ in range(3):
        assert desk.tick(date(2026, 3, 11)).handled == ()
    assert len(desk.registry.history(app.id)) == history
    approved = desk.registry.fire(app.id, "approve", desk.dept)  # the department decides later
    assert approved.state == "approved"


@pytest.mark.parametrize(
    ("event", "options", "status"),
    [("accept", {}, DeadlineStatus.MET),
     ("request_correction", {"corrections": ("学历证明",)}, DeadlineStatus.MET),
     ("refuse_acceptance", {"reason": "不属于本机关职权范围"}, DeadlineStatus.MET),
     ("withdraw", {}, DeadlineStatus.ENDED)],
)
def test_r_dl_3_acting_within_the_window_closes_it_and_tick_leaves_it(
        desk: Desk, event: str, options: dict[str, object], status: DeadlineStatus) -> None:
    app = desk.received(date(2026, 3, 2))
    actor = app.applicant if event == "withdraw" else desk.dept
    desk.on(date(2026, 3, 6)).registry.fire(app.id, event, actor, **options)  # type: ignore[arg-type]
    window = desk.deadline(app.id, DeadlineKind.CORRECTION_WINDOW)
    assert (window.status, window.closed_by) == (status, event)
    assert desk.tick(date(2026, 3, 20)).fired == ()


def test_r_dl_3_supplemented_materials_open_a_new_window(desk: Desk) -> None:
    app = desk.received(date(2026, 3, 2))
    desk.registry.fire(app.id, "request_correction", desk.dept, corrections=("照片",))
    desk.on(date(2026, 3, 13)).registry.fire(app.id, "supplement", app.applicant)
    assert [d.status for d in desk.registry.deadlines(app.id)
            if d.kind is DeadlineKind.CORRECTION_WINDOW] == [DeadlineStatus.MET]
    desk.on(date(2026, 3, 16)).registry.receive_materials(app.id, desk.dept, ["近6个月2寸白底免冠正面半身照片"])
    windows = [d for d in desk.registry.deadlines(app.id)
               if d.kind is DeadlineKind.CORRECTION_WINDOW]
    assert [(d.status, d.start) for d in windows] == [(DeadlineStatus.MET, date(2026, 3, 2)),
                                                      (DeadlineStatus.OPEN, date(2026, 3, 16))]
    (fired,) = desk.tick(date(2026, 3, 24)).fired
    assert fired.id == windows[1].id
    assert desk.deadline(app.id, DeadlineKind.DECISION).start == date(2026, 3, 16)


def test_r_dl_3_the_window_counts_from_the_receipt_of_the_paper_materials(desk: Desk) -> None:
    app = desk.registry.fire(desk.submitted(date(2026, 3, 2)).id, "confirm", desk.inst)
    assert [d.kind for d in desk.registry.deadlines(app.id)
            if d.kind is DeadlineKind.CORRECTION_WINDOW] == []
    assert desk.tick(date(2026, 3, 30)).handled == ()  # nothing received: nothing deemed
    received = desk.on(date(2026, 4, 1)).registry.receive_materials(
        app.id, desk.dept, ["医师执业注册申请审核表"])
    assert received.version == app.version + 1 and received.state == "pending_acceptance"
    window = desk.deadline(app.id, DeadlineKind.CORRECTION_WINDOW)
    assert (window.start, window.due) == (date(2026, 4, 1), CAL.add_workdays(date(2026, 4, 1), 5))
    event = desk.registry.history(app.id)[-1]
    assert (event.event, event.actor, event.data["materials"]) == (
        "receive_materials", desk.dept, ["医师执业注册申请审核表"])
    assert "《医师资格证书》" in event.data["missing"]
    desk.registry.receive_materials(app.id, desk.dept)  # the rest arrives: no second window
    assert len([d for d in desk.registry.deadlines(app.id)
                if d.kind is DeadlineKind.CORRECTION_WINDOW]) == 1
    (deemed,) = desk.tick(window.due + timedelta(days=1)).fired
    assert deemed.id == window.id
    accepted = desk.registry.application(app.id)
    assert (accepted.state, accepted.accepted_at) == ("under_review", nine_am(date(2026, 4, 1)))


def test_r_dl_3_only_the_deciding_department_records_a_receipt_while_waiting(desk: Desk) -> None:
    app = desk.submitted(date(2026, 3, 2))
    with pytest.raises(TransitionNotAllowed):
        desk.registry.receive_materials(app.id, desk.dept)
    desk.registry.fire(app.id, "confirm", desk.inst)
    for stranger in (desk.inst, Actor.authority("D310104"), app.applicant):
        with pytest.raises(PermissionDenied):
            desk.registry.receive_materials(app.id, stranger)
    with pytest.raises(ValidationError) as refused:
        desk.registry.receive_materials(app.id, desk.dept, ["  "])
    assert refused.value.field == "materials"


def test_r_dl_3_a_policy_may_count_the_window_from_the_confirmation(
        registry: Registry, clock: FakeClock) -> None:
    registry.policy = BASE_POLICY.with_changes("online", correction_window_from="confirmed")
    desk = Desk(registry, clock)
    app = desk.registry.fire(desk.submitted(date(2026, 3, 2)).id, "confirm", desk.inst)
    assert desk.deadline(app.id, DeadlineKind.CORRECTION_WINDOW).start == date(2026, 3, 2)


def test_r_dl_4_corrections_are_asked_for_once_per_submission(desk: Desk) -> None:
    app = desk.received(date(2026, 3, 2))
    desk.registry.fire(app.id, "request_correction", desk.dept, corrections=("照片", "学历证明"))
    desk.on(date(2026, 3, 4)).registry.fire(app.id, "supplement", app.applicant)
    before = desk.registry.application(app.id)
    with pytest.raises(CorrectionAlreadyRequested) as refused:
        desk.registry.fire(app.id, "request_correction", desk.dept, corrections=("身份证",))
    assert isinstance(refused.value, TransitionNotAllowed)
    assert desk.registry.application(app.id) == before
    # returned and submitted again: a new submission may be asked for corrections once more
    desk.registry.fire(app.id, "accept", desk.dept)
    desk.registry.fire(app.id, "return_to_applicant", desk.dept, reason="执业范围填写有误")
    desk.registry.fire(app.id, "resubmit", app.applicant)
    desk.registry.fire(app.id, "confirm", desk.inst)
    again = desk.registry.fire(app.id, "request_correction", desk.dept, corrections=("身份证",))
    assert again.state == "needs_correction"


def test_a_late_acceptance_closes_the_window_as_missed(desk: Desk) -> None:
    app = desk.received(date(2026, 3, 2))
    desk.on(date(2026, 3, 12)).registry.fire(app.id, "accept", desk.dept)  # before any tick
    assert desk.deadline(app.id, DeadlineKind.CORRECTION_WINDOW).status is DeadlineStatus.MISSED
    assert desk.tick(date(2026, 3, 13)).handled == ()


def test_threads_ticking_at_once_accept_each_application_once(desk: Desk) -> None:
    apps = [desk.received(date(2026, 3, 2)) for _ in range(12)]
    reports: list[TickReport] = []
    start = threading.Barrier(4)

    def work() -> None:
        start.wait(10)
        reports.append(desk.registry.tick(nine_am(date(2026, 3, 10)), batch=2))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    fired = [d.subject_id for r in reports for d in r.fired]
    assert sorted(fired) == sorted(a.id for a in apps)
    for app in apps:
        assert [e.event for e in desk.registry.history(app.id)].count("accept") == 1


# R-CAN-3: the cancellation report ------------------------------------------------------------------


def _cancellation(desk: Desk, known: date, *, submit: bool) -> Application:
    doctor = desk.world.physician()
    registration = desk.world.registration(doctor, desk.hospital)
    return desk.registry.apply(desk.inst, CancellationRequest(
        registration.id, CancellationGround.HEALTH_UNFIT, known), physician_id=doctor.id,
        submit=submit)


def test_r_can_3_a_report_in_time_meets_its_30_day_deadline(desk: Desk) -> None:
    app = _cancellation(desk.on(date(2026, 3, 31)), date(2026, 3, 1), submit=True)
    report = desk.deadline(app.id, DeadlineKind.CANCELLATION_REPORT)
    assert (report.start, report.due, report.source) == (date(2026, 3, 1), date(2026, 3, 31), "none")
    assert (report.status, report.closed_by) == (DeadlineStatus.MET, "submit")
    assert desk.registry.history(app.id)[-1].data["reported_late"] == ["False"]


def test_r_can_3_tick_flags_an_unreported_ground_once_and_the_late_report_is_missed(
        desk: Desk) -> None:
    draft = _cancellation(desk.on(date(2026, 3, 20)), date(2026, 3, 1), submit=False)
    assert desk.tick(date(2026, 3, 31)).handled == ()
    (flagged,) = desk.tick(date(2026, 4, 1)).flagged
    assert (flagged.subject_id, flagged.flagged_on) == (draft.id, date(2026, 4, 1))
    assert flagged.status is DeadlineStatus.OPEN
    assert desk.tick(date(2026, 4, 2)).handled == ()  # flagged once
    assert ids(desk.registry.overdue(date(2026, 4, 2))) == [flagged.id]
    desk.on(date(2026, 4, 3)).registry.fire(draft.id, "submit", desk.inst)
    report = desk.deadline(draft.id, DeadlineKind.CANCELLATION_REPORT)
    assert (report.status, report.closed_on) == (DeadlineStatus.MISSED, date(2026, 4, 3))
    assert desk.registry.history(draft.id)[-1].data["reported_late"] == ["True"]  # the audit flag
    assert desk.registry.overdue(date(2026, 4, 3)) == ()


def test_r_can_3_a_withdrawn_draft_ends_its_report_deadline(desk: Desk) -> None:
    draft = _cancellation(desk.on(date(2026, 3, 20)), date(2026, 3, 1), submit=False)
    desk.registry.fire(draft.id, "withdraw", desk.inst)
    assert desk.deadline(draft.id, DeadlineKind.CANCELLATION_REPORT).status is DeadlineStatus.ENDED


# R-CAN-6: 备案 → 注销 after two years, through tick ----------------------------------------------------


def _filed(desk: Desk, on: date = date(2026, 3, 2)) -> Registration:
    doctor = desk.world.physician()
    registration = desk.world.registration(doctor, desk.hospital)
    return desk.registry.report_departure(desk.inst, registration.id, DepartureKind.RETIREMENT, on)


def test_r_can_6_two_years_in_filing_cancel_the_registration_through_tick(desk: Desk) -> None:
    filed = _filed(desk)
    expiry = desk.deadline(filed.id, DeadlineKind.FILED_EXPIRY)
    assert (expiry.start, expiry.due, expiry.unit.value) == (date(2026, 3, 2), date(2028, 3, 1),
                                                             "years")
    assert desk.tick(date(2028, 3, 1)).handled == ()
    (fired,) = desk.tick(date(2028, 3, 2)).fired
    assert (fired.id, fired.status) == (expiry.id, DeadlineStatus.FIRED)
    (row,) = desk.registry.registrations(filed.physician_id)
    assert (row.status, row.ended_on) == (RegistrationStatus.CANCELLED, date(2028, 3, 2))
    trail = desk.registry.trail(filed.id)
    assert [(e.event, e.actor) for e in trail[-2:]] == [
        ("report_departure", desk.inst), ("expire_filed", Actor.system())]
    assert desk.tick(date(2028, 3, 3)).handled == ()
    assert desk.registry.expire_filed(date(2028, 3, 3)) == ()  # nothing left for the sweep
    assert len(desk.registry.trail(filed.id)) == len(trail)


def test_r_can_6_a_late_tick_cancels_as_of_the_legal_date(desk: Desk) -> None:
    filed = _filed(desk)
    desk.tick(date(2028, 6, 1))
    (row,) = desk.registry.registrations(filed.physician_id)
    assert row.ended_on == date(2028, 3, 2)


def test_r_can_6_the_sweep_fires_the_stored_deadline_too(desk: Desk) -> None:
    filed = _filed(desk)
    assert desk.registry.expire_filed(date(2028, 3, 2)) == (filed.id,)
    expiry = desk.deadline(filed.id, DeadlineKind.FILED_EXPIRY)
    assert (expiry.status, expiry.closed_by) == (DeadlineStatus.FIRED, "expire_filed")
    assert desk.tick(date(2028, 3, 3)).handled == ()


def test_r_can_6_a_filed_registration_cancelled_otherwise_ends_its_expiry(desk: Desk) -> None:
    filed = _filed(desk)
    desk.registry.cancel_ex_officio(Actor.authority(filed.approved_by), filed.id,
                                    CancellationGround.DEATH, "死亡证明")
    expiry = desk.deadline(filed.id, DeadlineKind.FILED_EXPIRY)
    assert (expiry.status, expiry.closed_by) == (DeadlineStatus.ENDED, "cancel_ex_officio")
    assert desk.tick(date(2029, 1, 1)).handled == ()


# D-04 on stored deadlines: a year without calendar data ---------------------------------------------


def strict(desk: Desk) -> Desk:
    """The desk under a policy that refuses provisional deadlines."""
    desk.registry.policy = BASE_POLICY.with_changes("strict", provisional_deadlines=False)
    return desk


def test_a_deadline_into_a_year_without_data_refuses_the_transition(desk: Desk) -> None:
    app = strict(desk).received(date(2026, 12, 3))
    before = desk.registry.application(app.id)
    with pytest.raises(CalendarDataMissing) as raised:
        desk.on(date(2026, 12, 10)).registry.fire(app.id, "accept", desk.dept)
    assert raised.value.year == 2027
    assert "2027" in str(raised.value) and "from_toml" in str(raised.value)
    assert desk.registry.application(app.id) == before  # nothing changed
    assert [d.kind for d in desk.registry.deadlines(app.id)] == [DeadlineKind.CORRECTION_WINDOW]


def test_a_deemed_acceptance_without_calendar_data_is_blocked_not_blocking(desk: Desk) -> None:
    early = strict(desk).received(date(2026, 12, 1))      # decision from 12-01: due 12-29
    december = desk.received(date(2026, 12, 10))  # window due 12-17; decision reaches 2027
    first = desk.tick(date(2026, 12, 18))
    assert [d.subject_id for d in first.fired] == [early.id]  # not held up
    assert [d.subject_id for d in first.blocked] == [december.id]
    again = desk.tick(date(2026, 12, 18))
    assert (again.handled, [d.subject_id for d in again.blocked]) == ((), [december.id])
    assert desk.registry.application(early.id).state == "under_review"
    assert desk.registry.application(december.id).state == "pending_acceptance"
    window = desk.deadline(december.id, DeadlineKind.CORRECTION_WINDOW)
    assert (window.status, window.flagged_on, window.version) == (DeadlineStatus.OPEN, None, 1)
    desk.registry.calendar = ChineseCalendar(overrides=CalendarOverrides.loads(
        '[years.2027]\nholidays = ["2027-01-01"]\n', source="calendar.toml"))
    (fired,) = desk.tick(date(2026, 12, 21)).fired
    assert fired.id == window.id
    decision = desk.deadline(december.id, DeadlineKind.DECISION)
    assert (decision.start, decision.due, decision.source) == (date(2026, 12, 10),
                                                               date(2027, 1, 8), "override")


def test_with_an_explicit_fallback_the_deadline_records_it(clock: FakeClock) -> None:
    registry = mdreg.open("memory://", clock=clock, ids=mdreg.SequentialIds(),
                          calendar=ChineseCalendar(fallback=WeekendFallback()))
    desk = Desk(registry, clock)
    app = desk.accepted(date(2026, 12, 9), date(2026, 12, 10))
    decision = desk.deadline(app.id, DeadlineKind.DECISION)
    assert (decision.due, decision.source) == (date(2027, 1, 7), "fallback")
    window = desk.deadline(app.id, DeadlineKind.CORRECTION_WINDOW)
    assert window.source == "chinesecalendar"  # 2026 only


def test_an_override_year_is_recorded_as_such(clock: FakeClock) -> None:
    overrides = CalendarOverrides.loads(
        '[years.2027]\nholidays = ["2027-01-01"]\nworkdays = []\n', source="calendar.toml")
    registry = mdreg.open("memory://", clock=clock, ids=mdreg.SequentialIds(),
                          calendar=ChineseCalendar(overrides=overrides))
    desk = Desk(registry, clock)
    app = desk.accepted(date(2026, 12, 9), date(2026, 12, 10))
    decision = desk.deadline(app.id, DeadlineKind.DECISION)
    assert (decision.due, decision.source) == (date(2027, 1, 8), "override")
    assert registry.calendar.data_source(2027) == "override"


# dashboards --------------------------------------------------------------------------------------------


def test_overdue_and_due_between_list_open_deadlines_by_due_date(desk: Desk) -> None:
    early = desk.accepted(date(2026, 3, 2), date(2026, 3, 2))     # due 03-30
    late = desk.accepted(date(2026, 3, 2), date(2026, 3, 4))      # due 04-01
    done = desk.accepted(date(2026, 3, 2), date(2026, 3, 3))      # due 03-31, then approved
    desk.registry.fire(done.id, "approve", desk.dept)
    window = desk.received(date(2026, 3, 20))                     # due 03-27
    decisions = [desk.deadline(a.id, DeadlineKind.DECISION).id for a in (early, late)]
    correction = desk.deadline(window.id, DeadlineKind.CORRECTION_WINDOW).id
    assert ids(desk.registry.due_between(date(2026, 3, 27), date(2026, 4, 1))) == [
        correction, *decisions]
    assert ids(desk.registry.overdue(date(2026, 3, 31))) == [correction, decisions[0]]
    desk.on(date(2026, 3, 31))
    assert ids(desk.registry.overdue()) == [correction, decisions[0]]  # today by default
    assert ids(desk.registry.overdue(date(2026, 3, 27))) == []


# R-ASM-1..4: periodic assessment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("first", "labels"),
    [(date(2019, 5, 10), ["2019-2020", "2021-2022", "2023-2025", "2026-2028"]),
     (date(2022, 6, 1), ["2022-2023", "2024-2026"]),
     (date(2023, 1, 1), ["2023-2025", "2026-2028"])],
    ids=["two_year_cycles_under_the_2007_measures_then_three",
         "a_cycle_starting_before_2022_03_01_lasts_two_years", "three_year_cycles"],
)
def test_r_asm_1_cycles_are_three_years_two_before_2022_03_01(first: date,
                                                              labels: list[str]) -> None:
    cycles = assessment_cycles(first, date(2026, 11, 26), BASE_POLICY.parameters)
    assert [c.label for c in cycles] == labels
    assert all(b.start == a.end + timedelta(days=1) for a, b in pairwise(cycles))


def test_r_asm_1_the_cycle_length_is_a_policy_parameter() -> None:
    province = BASE_POLICY.with_changes("p", periodic_assessment_years=4,
                                        periodic_assessment_years_before_2022=3)
    assert [c.label for c in assessment_cycles(date(2019, 1, 1), date(2026, 1, 1),
                                               province.parameters)] == [
        "2019-2021", "2022-2024", "2025-2028"]


@pytest.mark.parametrize("case", boundary(
    date(2022, 3, 1), build=lambda day: day, before=2, on=3, name="R-ASM-1").params())
def test_r_asm_1_a_cycle_starting_on_2022_03_01_lasts_three_years(
        case: BoundaryCase[date, int]) -> None:
    assert cycle_years(case.day, BASE_POLICY.parameters) == case.expected


CYCLE = AssessmentCycle(date(2023, 1, 1), date(2025, 12, 31))


def _assessed(day: date) -> Assessment:
    """A result recorded under no cycle label: only its date places it."""
    return Assessment("AS-1", "P1", "", AssessmentResult.PASSED, day, "")


@pytest.mark.parametrize("case", [
    *boundary(CYCLE.start, build=_assessed, before=False, on=True, name="R-ASM-1-first-day"),
    *boundary(CYCLE.end, build=_assessed, before=True, on=True, after=False,
              name="R-ASM-1-last-day")], ids=lambda case: case.id)
def test_r_asm_1_an_assessment_on_a_cycles_first_or_last_day_belongs_to_it(
        case: BoundaryCase[Assessment, bool]) -> None:
    assert CYCLE.holds(case.case) is case.expected


@pytest.mark.parametrize("case", boundary(
    CYCLE.end, build=lambda day: day, before=CycleResult.CURRENT, on=CycleResult.CURRENT,
    after=CycleResult.MISSED, name="R-ASM-3").params())
def test_r_asm_3_a_cycle_without_a_result_is_missed_only_after_its_last_day(
        world: World, case: BoundaryCase[date, CycleResult]) -> None:
    """Registered since 2021 with no result: 2021-2022 is missed; 2023-2025 runs to its last
    day and is missed, the second in a row, from the next."""
    doctor = world.physician()
    registration = Registration(
        "R-1", doctor.id, doctor.qualifications[0].certificate_no, Level.PHYSICIAN,
        Category.CLINICAL, ("内科专业",), DivisionCode("110000"), "I1", "D110105",
        date(2021, 1, 1), "110000000000001")
    status = assessment_status(doctor, [registration], [], case.day, BASE_POLICY.parameters)
    assert [c.cycle for c in status.cycles[:2]] == [
        AssessmentCycle(date(2021, 1, 1), date(2022, 12, 31)), CYCLE]
    assert status.cycles[1].result is case.expected
    assert [c.assessment_ids for c in status.cycles] == [()] * len(status.cycles)
    assert status.current is not None
    assert (status.current.cycle == CYCLE) is (case.day <= CYCLE.end)
    missed = case.expected is CycleResult.MISSED
    assert status.missed_in_a_row == (2 if missed else 1)
    assert (status.ground_known_on == CYCLE.end + timedelta(days=1)) is missed


#: ``start +N years|months = expected``: 29 February falls back to 28 February, a day a shorter
#: month lacks to its last day; months carry across one or two year ends.
DATE_SUM_TEXT = ("2024-02-29 +1 years = 2025-02-28, 2024-02-29 +2 years = 2026-02-28, "
                 "2024-02-29 +4 years = 2028-02-29, 2024-03-01 +2 years = 2026-03-01, "
                 "2026-09-15 +3 months = 2026-12-15, 2026-10-15 +3 months = 2027-01-15, "
                 "2026-12-31 +1 months = 2027-01-31, 2026-12-31 +2 months = 2027-02-28, "
                 "2026-08-31 +6 months = 2027-02-28, 2027-11-30 +3 months = 2028-02-29, "
                 "2026-06-01 +18 months = 2027-12-01, 2026-06-01 +19 months = 2028-01-01")
DATE_SUMS = DATE_SUM_TEXT.split(", ")


@pytest.mark.parametrize("line", DATE_SUMS, ids=lambda line: line.replace(" ", ""))
def test_add_years_and_add_months_keep_the_day_or_fall_back_to_the_months_last(
        line: str) -> None:
    start, n, unit, _, expected = line.split()
    add = add_years if unit == "years" else add_months
    assert add(date.fromisoformat(start), int(n)) == date.fromisoformat(expected)


def test_r_asm_2_a_suspension_from_october_ends_in_the_next_year(desk: Desk) -> None:
    staff = Staff(desk, date(2025, 6, 1))
    staff.result(1, date(2026, 10, 15), AssessmentResult.FAILED, months=3)
    (record,) = desk.registry.physician(staff.doctor.id).records
    assert (record.on, record.until) == (date(2026, 10, 15), date(2027, 1, 15))


class Staff:
    """A physician registered since 2019 (loaded), at a hospital with its department."""

    def __init__(self, desk: Desk, first: date = date(2019, 5, 10),
                 records: tuple[Record, ...] = ()) -> None:
        self.desk = desk
        self.doctor: Physician = desk.world.physician(records=records)
        self.registration = Registration(
            f"R-{self.doctor.id}", self.doctor.id, self.doctor.qualifications[0].certificate_no,
            Level.PHYSICIAN, Category.CLINICAL, ("内科专业",), DivisionCode("110000"),
            desk.hospital.id, desk.hospital.approved_by, first, "110000000000001")
        desk.registry.load(registrations=[self.registration])

    def result(self, n: int, on: date, result: AssessmentResult, *, cycle: str = "",
               months: int | None = None, actor: Actor | None = None) -> Assessment:
        assessment = Assessment(f"AS-{self.doctor.id}-{n}", self.doctor.id, cycle or "",
                                result, on, "")
        return self.desk.registry.record_assessment(actor or self.desk.inst, assessment,
                                                    suspension_months=months)


def test_r_asm_2_a_failure_suspends_practice_three_to_six_months(desk: Desk) -> None:
    staff = Staff(desk, date(2025, 6, 1))
    for months in (2, 7, None):
        with pytest.raises(ValidationError):
            staff.result(1, date(2026, 6, 1), AssessmentResult.FAILED, months=months)
    with pytest.raises(ValidationError):
        staff.result(1, date(2026, 6, 1), AssessmentResult.PASSED, months=3)
    assert desk.registry.physician(staff.doctor.id).records == ()  # nothing was recorded
    recorded = staff.result(1, date(2026, 6, 1), AssessmentResult.FAILED, months=6)
    assert recorded.recorded_by == desk.hospital.id
    (record,) = desk.registry.physician(staff.doctor.id).records
    assert (record.kind, record.on, record.until) == (RecordKind.ASSESSMENT_SUSPENSION,
                                                      date(2026, 6, 1), date(2026, 12, 1))
    status = desk.registry.assessment_status(staff.doctor.id, date(2026, 7, 1))
    assert status.suspended_until == date(2026, 12, 1) and status.needs_action
    assert status.current is not None and status.current.result is CycleResult.FAILED
    assert status.ground is None


def test_r_asm_2_a_suspension_stored_before_it_had_its_own_kind_still_counts(desk: Desk) -> None:
    """mdreg once wrote 暂停执业活动 as ``practice_suspended``: such a record on a failed
    result's day still loads and still suspends."""
    old = Record(RecordKind.PRACTICE_SUSPENDED, date(2026, 3, 2), date(2026, 6, 2))
    staff = Staff(desk, date(2025, 6, 1), records=(old,))
    desk.registry.load(assessments=[Assessment("AS-old", staff.doctor.id, "", AssessmentResult.FAILED,
                                               date(2026, 3, 2), desk.hospital.id)])
    status = desk.registry.assessment_status(staff.doctor.id, date(2026, 4, 1))
    assert (status.suspended_until, status.ground) == (date(2026, 6, 2), None)
    assert desk.registry.physician(staff.doctor.id).records == (old,)


def test_r_asm_2_a_pass_on_reassessment_restores_practice(desk: Desk) -> None:
    staff = Staff(desk, date(2025, 6, 1))
    staff.result(1, date(2026, 6, 1), AssessmentResult.FAILED, months=3)
    staff.result(2, date(2026, 9, 1), AssessmentResult.PASSED)
    status = desk.registry.assessment_status(staff.doctor.id, date(2026, 9, 2))
    assert status.suspended_until == date(2026, 9, 1)
    assert status.current is not None and status.current.result is CycleResult.PASSED
    assert status.current.assessment_ids == (f"AS-{staff.doctor.id}-1", f"AS-{staff.doctor.id}-2")
    assert (status.ground, status.needs_action) == (None, False)


def test_r_asm_2_failing_the_reassessment_is_a_cancellation_ground(desk: Desk) -> None:
    staff = Staff(desk, date(2025, 6, 1))
    staff.result(1, date(2026, 3, 2), AssessmentResult.FAILED, months=3)
    with pytest.raises(ValidationError):  # no second suspension: it is a 注销 ground
        staff.result(2, date(2026, 6, 2), AssessmentResult.FAILED, months=3)
    staff.result(2, date(2026, 6, 2), AssessmentResult.FAILED)
    (record,) = desk.registry.physician(staff.doctor.id).records  # one suspension only
    assert record.kind is RecordKind.ASSESSMENT_SUSPENSION
    assert desk.registry.trail(f"AS-{staff.doctor.id}-2")[-1].data["ground"] == [
        "failed_reassessment"]
    status = desk.registry.assessment_status(staff.doctor.id, date(2026, 6, 3))
    assert (status.ground, status.ground_known_on, status.report_due) == (
        CancellationGround.FAILED_REASSESSMENT, date(2026, 6, 2), date(2026, 7, 2))


def test_r_asm_2_a_reassessment_failed_in_the_next_cycle_is_a_cancellation_ground(
        desk: Desk) -> None:
    staff = Staff(desk, date(2023, 6, 1))            # cycles 2023-2025, 2026-2028
    staff.result(1, date(2025, 10, 1), AssessmentResult.FAILED, months=6)
    staff.result(2, date(2026, 4, 1), AssessmentResult.FAILED)
    status = desk.registry.assessment_status(staff.doctor.id, date(2026, 4, 2))
    assert [(c.result, c.assessment_ids) for c in status.cycles] == [
        (CycleResult.FAILED, (f"AS-{staff.doctor.id}-1",)),
        (CycleResult.FAILED, (f"AS-{staff.doctor.id}-2",))]
    assert (status.ground, status.ground_known_on) == (
        CancellationGround.FAILED_REASSESSMENT, date(2026, 4, 1))


def test_r_asm_2_a_failure_after_a_passed_reassessment_suspends_again(desk: Desk) -> None:
    staff = Staff(desk, date(2023, 6, 1))
    staff.result(1, date(2025, 3, 2), AssessmentResult.FAILED, months=3)
    staff.result(2, date(2025, 6, 2), AssessmentResult.PASSED)
    with pytest.raises(ValidationError):             # a first failure again: months needed
        staff.result(3, date(2026, 6, 1), AssessmentResult.FAILED)
    staff.result(3, date(2026, 6, 1), AssessmentResult.FAILED, months=3)
    status = desk.registry.assessment_status(staff.doctor.id, date(2026, 6, 2))
    assert (status.ground, status.suspended_until) == (None, date(2026, 9, 1))


def test_r_asm_2_the_reassessment_comes_after_the_suspension(desk: Desk) -> None:
    staff = Staff(desk, date(2025, 6, 1))
    staff.result(1, date(2026, 3, 2), AssessmentResult.FAILED, months=6)
    for result in (AssessmentResult.PASSED, AssessmentResult.FAILED):
        with pytest.raises(ValidationError):
            staff.result(2, date(2026, 9, 1), result)
    staff.result(2, date(2026, 9, 2), AssessmentResult.PASSED)
    assert desk.registry.assessment_status(staff.doctor.id, date(2026, 9, 3)).ground is None


def test_r_asm_3_two_consecutive_missed_cycles_are_a_cancellation_ground(desk: Desk) -> None:
    missing, one_gap, diligent = Staff(desk), Staff(desk), Staff(desk)
    one_gap.result(1, date(2022, 11, 1), AssessmentResult.PASSED, actor=desk.dept)
    for n, year in enumerate((2020, 2022), 1):
        diligent.result(n, date(year, 11, 1), AssessmentResult.PASSED)
    status = desk.registry.assessment_status(missing.doctor.id, date(2023, 1, 2))
    assert [(c.cycle.label, c.result) for c in status.cycles] == [
        ("2019-2020", CycleResult.MISSED), ("2021-2022", CycleResult.MISSED),
        ("2023-2025", CycleResult.CURRENT)]
    assert status.missed_in_a_row == 2
    assert (status.ground, status.ground_known_on, status.report_due) == (
        CancellationGround.MISSED_ASSESSMENTS, date(2023, 1, 1), date(2023, 1, 31))
    gap = desk.registry.assessment_status(one_gap.doctor.id, date(2023, 1, 2))
    assert (gap.missed_in_a_row, gap.ground) == (0, None)
    assert gap.cycles[0].result is CycleResult.MISSED
    due = desk.registry.assessment_due(
        [missing.doctor.id, one_gap.doctor.id, diligent.doctor.id], date(2023, 1, 2))
    assert [s.physician_id for s in due] == [missing.doctor.id]


def _loaded(desk: Desk, doctor: Physician, n: int, granted: date, ended: date | None = None
            ) -> Registration:
    status = RegistrationStatus.VALID if ended is None else RegistrationStatus.CANCELLED
    row = Registration(f"R-{doctor.id}-{n}", doctor.id, doctor.qualifications[0].certificate_no,
                       Level.PHYSICIAN, Category.CLINICAL, ("内科专业",), DivisionCode("110000"),
                       desk.hospital.id, desk.hospital.approved_by, granted, f"1100000000{n:05d}",
                       status, ended)
    desk.registry.load(registrations=[row])
    return row


@pytest.mark.parametrize(
    ("qualified", "periods", "results", "known", "earlier"),
    [(date(1999, 9, 1), [(date(2000, 3, 1), None)],
      ["no_duty", "no_duty", "no_duty", "missed", "missed", "current"], date(2010, 1, 1),
      date(2008, 1, 2)),
     (date(2009, 9, 1), [(date(2010, 2, 1), date(2011, 6, 30)), (date(2016, 3, 1), None)],
      ["missed", "no_duty", "no_duty", "missed", "missed", "current"], date(2020, 1, 1),
      date(2018, 1, 2))],
    ids=["no_cycle_counts_before_the_2007_measures", "cycles_without_a_registration_do_not_count"],
)
def test_r_asm_3_only_cycles_with_a_duty_count(
        desk: Desk, qualified: date, periods: list[tuple[date, date | None]], results: list[str],
        known: date, earlier: date) -> None:
    doctor = desk.world.physician(qualified_on=qualified)
    for n, (granted, ended) in enumerate(periods, 1):
        _loaded(desk, doctor, n, granted, ended)
    status = desk.registry.assessment_status(doctor.id, known + timedelta(days=1))
    assert [c.result.value for c in status.cycles] == results
    assert (status.ground, status.ground_known_on) == (CancellationGround.MISSED_ASSESSMENTS, known)
    before = desk.registry.assessment_status(doctor.id, earlier)
    assert (before.ground, before.missed_in_a_row) == (None, 1)


def test_r_asm_3_the_days_that_make_a_duty_are_a_policy_parameter(desk: Desk) -> None:
    doctor = desk.world.physician(qualified_on=date(2018, 9, 1))
    _loaded(desk, doctor, 1, date(2019, 2, 1), date(2019, 2, 28))   # 28 days of 2019-2020
    _loaded(desk, doctor, 2, date(2023, 6, 1))
    as_of = date(2024, 1, 2)
    results = [c.result for c in desk.registry.assessment_status(doctor.id, as_of).cycles]
    assert results == [CycleResult.MISSED, CycleResult.NO_DUTY, CycleResult.CURRENT]
    desk.registry.policy = BASE_POLICY.with_changes("a-year", assessment_duty_min_days=365)
    results = [c.result for c in desk.registry.assessment_status(doctor.id, as_of).cycles]
    assert results == [CycleResult.NO_DUTY, CycleResult.NO_DUTY, CycleResult.CURRENT]


def test_r_asm_3_a_result_counts_for_the_cycle_its_label_names(desk: Desk) -> None:
    staff = Staff(desk)
    staff.result(1, date(2021, 1, 15), AssessmentResult.PASSED, cycle="2019-2020")
    status = desk.registry.assessment_status(staff.doctor.id, date(2023, 1, 2))
    assert [c.result for c in status.cycles[:2]] == [CycleResult.PASSED, CycleResult.PASSED]
    assert status.cycles[0].cycle == AssessmentCycle(date(2019, 1, 1), date(2020, 12, 31))


def test_r_asm_4_results_are_recorded_by_the_primary_institution_or_its_department(
        desk: Desk) -> None:
    staff = Staff(desk)
    other: Institution = desk.world.institution("110108")
    for actor in (Actor.institution(other.id), Actor.authority(other.approved_by),
                  Actor.physician(staff.doctor.id), Actor.system()):
        with pytest.raises(PermissionDenied):
            staff.result(1, date(2026, 6, 1), AssessmentResult.PASSED, actor=actor)
    by_department = staff.result(1, date(2026, 6, 1), AssessmentResult.PASSED, actor=desk.dept)
    assert by_department.recorded_by == desk.hospital.approved_by
    (event,) = desk.registry.trail(by_department.id)
    assert (event.event, event.actor, event.to_state) == ("record_assessment", desk.dept, "passed")
    assert [a.id for a in desk.registry.accounts.assessments(
        Actor.physician(staff.doctor.id))] == [by_department.id]


# The decision period by application date (执业医师法 Art 13 / 医师法 Art 13) and by type --------------


def test_a_registration_of_2021_is_due_30_calendar_days_after_the_materials_arrived(
        desk: Desk) -> None:
    app = desk.accepted(date(2021, 6, 1), date(2021, 6, 4))
    decision = desk.deadline(app.id, DeadlineKind.DECISION)
    assert (decision.start, decision.due) == (date(2021, 6, 1), date(2021, 7, 1))
    assert (decision.length, decision.unit, decision.source) == (30, PeriodUnit.CALENDAR_DAYS,
                                                                 "none")
    assert decision.basis == "30日，自收到申请之日起（《中华人民共和国执业医师法》第十三条）"


def test_a_registration_of_2022_03_is_due_20_working_days_after_acceptance(desk: Desk) -> None:
    app = desk.accepted(date(2022, 3, 1), date(2022, 3, 4))
    decision = desk.deadline(app.id, DeadlineKind.DECISION)
    assert (decision.start, decision.due) == (date(2022, 3, 4), date(2022, 4, 1))
    assert (decision.length, decision.unit) == (20, PeriodUnit.WORKING_DAYS)
    assert decision.basis == "20工作日，自受理申请之日起（《中华人民共和国医师法》第十三条）"


def _filing_under_review(desk: Desk) -> str:
    registration = desk.on(date(2026, 3, 2)).world.registration(desk.world.physician(),
                                                                desk.hospital)
    other = desk.world.institution("110108")
    app = desk.registry.apply(
        Actor.physician(registration.physician_id),
        FilingRequest(registration.id, other.id, registration.scopes,
                      valid_from=date(2026, 3, 2), valid_to=date(2027, 3, 1)))
    app = desk.registry.fire(app.id, "confirm", Actor.institution(other.id))
    return desk.registry.fire(app.id, "accept", Actor.authority(other.approved_by)).id


def test_a_filing_has_no_statutory_period_and_its_deadline_says_so(desk: Desk) -> None:
    decision = desk.deadline(_filing_under_review(desk), DeadlineKind.DECISION)
    assert decision.length == 20
    assert decision.basis.startswith("20工作日，自受理申请之日起（[I] 备案不是行政许可")


def test_a_policy_may_open_no_decision_deadline_where_no_law_sets_one(desk: Desk) -> None:
    desk.registry.policy = BASE_POLICY.with_changes(
        "statute_only", decision_working_days_without_statute=None)
    filed = _filing_under_review(desk)
    assert DeadlineKind.DECISION not in {d.kind for d in desk.registry.deadlines(filed)}
    registration = desk.accepted(date(2026, 3, 2), date(2026, 3, 3))
    assert desk.deadline(registration.id, DeadlineKind.DECISION).basis.endswith("第十三条）")


def test_the_2021_request_is_judged_by_the_rules_of_its_date(desk: Desk) -> None:
    app = desk.accepted(date(2021, 6, 1), date(2021, 6, 4))
    assert isinstance(app.payload, RegistrationRequest)
    checked = desk.registry.check(app.id, "approve")
    assert checked.passed and "refusal.failed_assessment_cancellation" not in checked.checked

"""R-DL-2: a refusal is a written decision carrying its reasons, the rules not met, the parties to
notify and the remedies with their time limits (行政许可法 Art 38; 医师法 Art 16)."""

from __future__ import annotations

from datetime import date

import attrs
import pytest

from mdreg import Actor, Category, Level, Qualification, RegistrationRequest
from mdreg.domain.remedies import LITIGATION, RECONSIDERATION, Refusal
from mdreg.service.registry import Registry
from mdreg.testing import World


def submitted(world: World) -> tuple[str, Actor, Actor]:
    hospital = world.institution("110105")
    doctor = world.physician()
    number = doctor.qualifications[0].certificate_no
    app = world.registry.apply(Actor.physician(doctor.id),
                               RegistrationRequest(hospital.id, number, ("内科专业",)))
    world.registry.fire(app.id, "confirm", Actor.institution(hospital.id))
    return app.id, Actor.authority(app.department_id), Actor.institution(hospital.id)


def test_r_dl_2_a_rejection_records_reason_parties_and_remedies(world: World,
                                                                registry: Registry) -> None:
    app_id, department, institution = submitted(world)
    registry.fire(app_id, "accept", department)
    assert registry.refusal(app_id) is None
    registry.fire(app_id, "reject", department, reason="聘用证明与原件不符")
    refusal = registry.refusal(app_id)
    assert refusal is not None
    app = registry.application(app_id)
    assert (refusal.decision, refusal.reason) == ("不予注册", "聘用证明与原件不符")
    assert refusal.notify == (f"physician:{app.physician_id}", str(institution))
    assert refusal.remedies == (RECONSIDERATION, LITIGATION)
    decided = app.decided_at.date() if app.decided_at else None
    assert refusal.decided_on == decided
    assert refusal.last_day(RECONSIDERATION) == date(2026, 5, 1)  # 60 days after 2026-03-02
    assert refusal.last_day(LITIGATION) == date(2026, 9, 2)  # six months
    assert [str(c) for c in refusal.basis] == ["《中华人民共和国行政许可法》第三十八条第二款"]
    event = registry.history(app_id)[-1]
    assert event.data["remedy_until"] == ["2026-05-01", "2026-09-02"]


def test_r_dl_2_a_rejection_lists_every_rule_the_approval_would_fail(
        world: World, registry: Registry) -> None:
    app_id, department, _ = submitted(world)
    registry.fire(app_id, "accept", department)
    app = registry.application(app_id)
    # the physician's qualification record is corrected meanwhile: the request no longer fits
    doctor = registry.physician(app.physician_id)
    wrong = Qualification(doctor.qualifications[0].certificate_no, Level.PHYSICIAN,
                          Category.DENTAL, date(2025, 9, 1))
    registry.load(physicians=[attrs.evolve(doctor, qualifications=(wrong,))])
    failing = registry.check(app_id, "approve").failed_rule_ids
    assert failing
    registry.fire(app_id, "reject", department, reason="资格类别与申请不符")
    refusal = registry.refusal(app_id)
    assert refusal is not None
    assert refusal.rules == tuple(dict.fromkeys(failing))
    assert len(refusal.findings) >= len(refusal.rules)


def test_r_dl_2_not_accepting_is_a_refusal_too(world: World, registry: Registry) -> None:
    app_id, department, _ = submitted(world)
    registry.fire(app_id, "refuse_acceptance", department, reason="不属于本机关职权范围")
    refusal = registry.refusal(app_id)
    assert refusal is not None
    assert (refusal.decision, refusal.reason) == ("不予受理", "不属于本机关职权范围")


@pytest.mark.parametrize(("decided", "reconsider", "sue"), [
    (date(2026, 1, 31), date(2026, 4, 1), date(2026, 7, 31)),
    (date(2026, 8, 31), date(2026, 10, 30), date(2027, 2, 28)),  # no 31 February: its last day
])
def test_r_dl_2_remedy_time_limits(decided: date, reconsider: date, sue: date) -> None:
    refusal = Refusal("不予注册", "A1", decided, "理由")
    assert (refusal.last_day(RECONSIDERATION), refusal.last_day(LITIGATION)) == (reconsider, sue)
    again = Refusal.from_data("不予注册", "A1", decided, "理由", refusal.data())
    assert again == refusal

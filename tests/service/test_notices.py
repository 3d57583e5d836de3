"""Every decision step issues its notice to the right parties, written as the law asks: all the
corrections at once, a refusal's reasons, rules and remedies; personal data masked, user text
escaped; and each business type prints its application form with its materials checklist."""

from __future__ import annotations

from datetime import UTC, date, datetime

import attrs
import pytest
from test_business_types import CASES, Case, Scene

from mdreg import (
    Actor,
    Application,
    BusinessType,
    Category,
    FakeClock,
    Level,
    NotFoundError,
    NoticeKind,
    Qualification,
)
from mdreg.domain.remedies import LITIGATION, RECONSIDERATION
from mdreg.service.registry import Registry
from mdreg.testing import World
from mdreg.workflows import declaration_for

TYPES = pytest.mark.parametrize("business", list(CASES), ids=[b.value for b in CASES])


@pytest.fixture
def scene(world: World) -> Scene:
    return Scene(world)


def submitted(scene: Scene, business: BusinessType) -> tuple[Case, Application, Actor, Actor]:
    case = CASES[business](scene)
    app = scene.apply(case.payload, case.physician.id)
    return case, app, Actor.institution(case.confirms.id), Actor.authority(case.decides)


def parties(app: Application) -> tuple[str, str]:
    return str(Actor.physician(app.physician_id)), str(Actor.institution(app.institution_id))


@TYPES
def test_every_step_notifies_the_right_parties(scene: Scene, business: BusinessType) -> None:
    registry = scene.registry
    case, app, institution, department = submitted(scene, business)
    physician, routed = parties(app)
    assert registry.notices(app.id) == ()  # a submission decides nothing
    registry.fire(app.id, "send_back", institution, reason="请补充聘用证明")
    registry.fire(app.id, "resubmit", Actor.physician(case.physician.id))
    registry.fire(app.id, "confirm", institution)
    registry.fire(app.id, "request_correction", department, corrections=["照片", "聘用证明"])
    registry.fire(app.id, "supplement", Actor.physician(case.physician.id))
    registry.fire(app.id, "accept", department)
    registry.fire(app.id, "approve", department)
    label = declaration_for(business).definition.event("approve")
    assert label is not None
    assert [(n.kind, n.title, n.recipients) for n in registry.notices(app.id)] == [
        (NoticeKind.SENT_BACK, "机构退回通知", (physician,)),  # the institution wrote it
        (NoticeKind.CORRECTION, "补正材料通知书", (physician, routed)),
        (NoticeKind.ACCEPTANCE, "受理通知书", (physician, routed)),
        (NoticeKind.APPROVAL, f"{label.label}决定书", (physician, routed)),
    ]


@TYPES
@pytest.mark.parametrize(("event", "kind", "title"), [
    ("reject", NoticeKind.REFUSAL, "{reject}决定书"),
    ("return_to_applicant", NoticeKind.RETURNED, "退回申请通知"),
])
def test_decisions_under_review_notify_both_parties(scene: Scene, business: BusinessType,
                                                     event: str, kind: NoticeKind,
                                                     title: str) -> None:
    _, app, institution, department = submitted(scene, business)
    scene.registry.fire(app.id, "confirm", institution)
    scene.registry.fire(app.id, "accept", department)
    scene.registry.fire(app.id, event, department, reason="材料不实")
    notice = scene.registry.notices(app.id)[-1]
    reject = declaration_for(business).definition.event("reject")
    assert reject is not None
    assert (notice.kind, notice.title, notice.recipients) == (
        kind, title.format(reject=reject.label), parties(app))
    assert "材料不实" in notice.text


def test_refusing_acceptance_is_a_written_decision_with_remedies(scene: Scene) -> None:
    _, app, institution, department = submitted(scene, BusinessType.REGISTRATION)
    scene.registry.fire(app.id, "confirm", institution)
    scene.registry.fire(app.id, "refuse_acceptance", department, reason="不属于本机关职权范围")
    (notice,) = scene.registry.notices(app.id)
    assert (notice.kind, notice.title) == (NoticeKind.NON_ACCEPTANCE, "不予受理决定书")
    assert "不属于本机关职权范围" in notice.text and "行政复议" in notice.text


def test_a_correction_notice_lists_every_correction_at_once(scene: Scene) -> None:
    _, app, institution, department = submitted(scene, BusinessType.REGISTRATION)
    scene.registry.fire(app.id, "confirm", institution)
    corrections = [f"第{n}项：{what}" for n, what in enumerate(
        ["聘用证明未盖章", "照片不是白底", "资格证书复印件不清", "缺少体检证明"], start=1)]
    scene.registry.fire(app.id, "request_correction", department, corrections=corrections)
    (notice,) = scene.registry.notices(app.id)
    assert "共4项" in notice.text
    for n, correction in enumerate(corrections, start=1):
        assert f"{n}. {correction}" in notice.text
        assert f"<li>{correction}</li>" in notice.html


def test_a_refusal_lists_every_failed_rule_and_both_remedies_with_last_days(
        scene: Scene) -> None:
    registry = scene.registry
    _, app, institution, department = submitted(scene, BusinessType.REGISTRATION)
    registry.fire(app.id, "confirm", institution)
    registry.fire(app.id, "accept", department)
    doctor = registry.physician(app.physician_id)  # the record is corrected meanwhile
    wrong = Qualification(doctor.qualifications[0].certificate_no, Level.PHYSICIAN,
                          Category.DENTAL, date(2025, 9, 1))
    registry.load(physicians=[attrs.evolve(doctor, qualifications=(wrong,))])
    registry.fire(app.id, "reject", department, reason="资格类别与申请不符")
    refusal = registry.refusal(app.id)
    notice = registry.notices(app.id)[-1]
    assert notice.kind is NoticeKind.REFUSAL
    assert refusal is not None and refusal.rules and refusal.findings
    for rule_id in refusal.rules:
        assert rule_id in notice.text and rule_id in notice.html
    for finding in refusal.findings:
        assert finding in notice.text
    for remedy, last_day in ((RECONSIDERATION, "2026-05-01"), (LITIGATION, "2026-09-02")):
        assert refusal.last_day(remedy).isoformat() == last_day
        assert f"{remedy.label}（{remedy.english}） | {remedy.time_limit} | {remedy.citation} | " \
               f"{last_day}" in notice.text
        assert f"<td>{last_day}</td>" in notice.html
    assert "资格类别与申请不符" in notice.text


def test_user_text_is_escaped_in_html_and_kept_in_text(scene: Scene) -> None:
    _, app, institution, _ = submitted(scene, BusinessType.REGISTRATION)
    reason = "<script>alert('x')</script> & 材料"
    scene.registry.fire(app.id, "send_back", institution, reason=reason)
    (notice,) = scene.registry.notices(app.id)
    assert "<script>" not in notice.html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; 材料" in notice.html
    assert reason in notice.text


def test_a_notice_masks_numbers_shows_the_name_and_hides_its_body_in_repr(scene: Scene) -> None:
    case, app, institution, _ = submitted(scene, BusinessType.REGISTRATION)
    scene.registry.fire(app.id, "send_back", institution, reason="请补充材料")
    (notice,) = scene.registry.notices(app.id)
    number = case.physician.id_number
    for document in (notice.text, notice.html):
        assert case.physician.name in document
        assert number.value not in document and number.masked in document
    assert notice.text not in repr(notice) and "请补充材料" not in repr(notice)
    assert case.physician.name not in repr(notice)
    assert "@page" in notice.html and "@media print" in notice.html


def test_a_notice_is_read_by_its_id(scene: Scene) -> None:
    _, app, institution, _ = submitted(scene, BusinessType.REGISTRATION)
    scene.registry.fire(app.id, "send_back", institution, reason="请补充材料")
    (notice,) = scene.registry.notices(app.id)
    assert scene.registry.notice(notice.id) == notice
    with pytest.raises(NotFoundError):
        scene.registry.notice("N-none")
    assert scene.registry.notice_counts()["sent_back"] == 1


@TYPES
def test_the_application_form_lists_the_types_materials(scene: Scene,
                                                        business: BusinessType) -> None:
    _, app, _, _ = submitted(scene, business)
    form = scene.registry.application_form(app.id)
    materials = declaration_for(business).materials
    assert materials
    assert form.title == f"医师执业注册业务申请审核表（{business.label}）"
    for material in materials:
        assert f"[ ] {material.name}（{material.english}）" in form.text
        assert material.name in form.html
    assert "申请人签字" in form.text and "@page" in form.html
    assert app.id in form.text and form.text not in repr(form)


def test_a_deemed_acceptance_says_the_law_accepted_it(registry: Registry,
                                                      clock: FakeClock) -> None:
    scene = Scene(World(registry))
    _, app, institution, department = submitted(scene, BusinessType.REGISTRATION)
    registry.fire(app.id, "confirm", institution)
    registry.receive_materials(app.id, department)
    clock.set(datetime(2026, 3, 10, 1, tzinfo=UTC))  # five working days without a request
    registry.tick()
    (notice,) = registry.notices(app.id)
    assert (notice.kind, notice.issued_by) == (NoticeKind.ACCEPTANCE, str(Actor.system()))
    assert "自收到申请材料之日起即为受理" in notice.text
    assert "本机关将于2026年03月30日前作出决定" in notice.text

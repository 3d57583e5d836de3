"""Reads scoped to the actor, the physician's own applications, and work lists."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest

import mdreg
from mdreg import Actor, BusinessType
from mdreg.errors import AlreadyClaimed, PermissionDenied, ValidationError
from mdreg.service.views import ActorView, WorkFilter, worked_states
from mdreg.testing import World
from mdreg.workflows import Role


@pytest.fixture
def scene(world: World, registry: mdreg.Registry) -> dict[str, Any]:
    """Dr A registered at hospital A (朝阳, 110105) with an application routed there; Dr B at
    hospital B (广州, 440103)."""
    hospital_a, hospital_b = world.institution("110105"), world.institution("440103")
    doctor_a, doctor_b = world.physician(), world.physician()
    world.registration(doctor_a, hospital_a)
    world.registration(doctor_b, hospital_b)
    filing = mdreg.FilingRequest(registry.registrations(doctor_a.id)[0].id,
                                 world.institution("110105").id, ("内科专业",),
                                 valid_from=date(2026, 4, 1), valid_to=date(2027, 3, 31))
    app = registry.apply(Actor.physician(doctor_a.id), filing)
    decided = registry.registrations(doctor_a.id)[0].application_id or ""
    return {"decided": decided, "notice": registry.notices(decided)[-1].id, "a": doctor_a, "b": doctor_b, "hospital_a": hospital_a, "hospital_b": hospital_b,
            "app": app, "city": world.department("110000"), "other": world.department("440103")}


#: Who may read Dr A, her registrations and her application, and who may not.
SEES = {
    "physician A": True, "physician B": False, "hospital A": True, "hospital B": False,
    "filing hospital": True, "district department": True, "city department": True,
    "other department": False, "system": True,
}


def actor(name: str, scene: dict[str, Any]) -> Actor:
    app = scene["app"]
    return {
        "physician A": Actor.physician(scene["a"].id),
        "physician B": Actor.physician(scene["b"].id),
        "hospital A": Actor.institution(scene["hospital_a"].id),
        "hospital B": Actor.institution(scene["hospital_b"].id),
        "filing hospital": Actor.institution(app.institution_id),
        "district department": Actor.authority(app.department_id),
        "city department": Actor.authority(scene["city"].id),
        "other department": Actor.authority(scene["other"].id),
        "system": Actor.system(),
    }[name]


READS: dict[str, Callable[[ActorView, dict[str, Any]], object]] = {
    "application": lambda view, s: view.application(s["app"].id),
    "notices": lambda view, s: view.notices(s["decided"]),
    "notice": lambda view, s: view.notice(s["notice"]),
    "history": lambda view, s: view.history(s["app"].id),
    "physician": lambda view, s: view.physician(s["a"].id),
    "registrations": lambda view, s: view.registrations(s["a"].id),
}


@pytest.mark.parametrize("read", sorted(READS))
@pytest.mark.parametrize("who", sorted(SEES))
def test_every_read_is_scoped_to_its_actor(registry: mdreg.Registry, scene: dict[str, Any],
                                           read: str, who: str) -> None:
    view = registry.view(actor(who, scene))
    if SEES[who]:
        assert READS[read](view, scene)
    else:
        with pytest.raises(PermissionDenied):
            READS[read](view, scene)


def test_a_physician_sees_his_applications_with_their_next_step(
        registry: mdreg.Registry, scene: dict[str, Any]) -> None:
    mine = registry.view(Actor.physician(scene["a"].id)).my_applications()
    assert mine[0].application.id == scene["app"].id  # newest first
    status = mine[0]
    assert (status.state_label, status.holder, status.holder_label) == (
        "待机构确认", Role.INSTITUTION, "医疗机构")
    assert [step for step, _ in status.next_steps] == ["confirm", "send_back"]
    approved = [s for s in mine if s.application.state == "approved"]
    assert approved and approved[0].next_steps == () and approved[0].due is None
    assert [n.title for n in approved[0].notices][-1] == "准予注册决定书"
    assert registry.view(Actor.physician(scene["b"].id)).my_applications()[0].application \
        .physician_id == scene["b"].id
    with pytest.raises(PermissionDenied):
        registry.view(Actor.institution(scene["hospital_a"].id)).my_applications()


def review_queue(world: World, registry: mdreg.Registry, n: int) -> tuple[Actor, list[str]]:
    """``n`` 注册 applications accepted by one district department, a day apart."""
    hospital = world.institution("110108")
    ids = []
    for _ in range(n):
        doctor = world.physician()
        app = registry.apply(Actor.physician(doctor.id), mdreg.RegistrationRequest(
            hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))
        registry.fire(app.id, "confirm", Actor.institution(hospital.id))
        registry.fire(app.id, "accept", Actor.authority(app.department_id))
        ids.append(app.id)
        registry.clock.advance(days=1)  # type: ignore[attr-defined]
    return Actor.authority("D110108", user="张科员"), ids


def test_a_work_list_pages_through_everything_by_due_date(world: World,
                                                          registry: mdreg.Registry) -> None:
    officer, ids = review_queue(world, registry, 7)
    view = registry.view(officer)
    seen, after = [], None
    while True:
        page = view.work_list(limit=3, after=after)
        seen += page.items
        if page.next is None:
            break
        after = page.next
    assert [item.application.id for item in seen] == ids  # accepted a day apart: due in order
    dues = [item.due for item in seen]
    assert dues == sorted(dues) and None not in dues
    assert view.counts() == {"under_review": 7}
    assert set(worked_states(Role.AUTHORITY)) >= {"pending_acceptance", "under_review"}


def test_work_list_filters(world: World, registry: mdreg.Registry) -> None:
    officer, ids = review_queue(world, registry, 4)
    view = registry.view(officer)
    everything = view.work_list().items
    cut = everything[1].due
    assert cut is not None
    before = view.work_list(WorkFilter(due_before=cut)).items
    assert [i.application.id for i in before] == [i.application.id for i in everything
                                                  if i.due is not None and i.due < cut]
    assert view.work_list(WorkFilter(types=(BusinessType.CANCELLATION,))).items == ()
    assert view.work_list(WorkFilter(states=("pending_acceptance",))).items == ()
    assert view.work_list(WorkFilter(overdue=True)).items == ()
    registry.clock.advance(days=60)  # type: ignore[attr-defined]
    late = registry.view(officer).work_list(WorkFilter(overdue=True)).items
    assert [i.application.id for i in late] == ids and all(i.overdue for i in late)


@pytest.mark.parametrize(("call", "field"), [
    (lambda v: v.work_list(limit=0), "limit"),
    (lambda v: v.work_list(limit=True), "limit"),
    (lambda v: v.work_list(after="nonsense"), "after"),
    (lambda v: v.work_list(after="2026-13-01~A1"), "after"),
    (lambda v: v.work_list(WorkFilter(states=("approved",))), "states"),
    (lambda v: v.assign("A1", " "), "officer"),
])
def test_bad_work_list_input_names_the_field(registry: mdreg.Registry,
                                             call: Callable[[ActorView], object],
                                             field: str) -> None:
    with pytest.raises(ValidationError) as error:
        call(registry.view(Actor.authority("D110108", user="张科员")))
    assert error.value.field == field


def test_only_institutions_and_departments_have_work_lists(registry: mdreg.Registry) -> None:
    for who in (Actor.physician("P1"), Actor.system()):
        with pytest.raises(PermissionDenied):
            registry.view(who).work_list()


def test_a_claim_names_its_officer_and_a_second_officer_is_refused(
        world: World, registry: mdreg.Registry) -> None:
    officer, ids = review_queue(world, registry, 1)
    claimed = registry.view(officer).claim(ids[0])
    assert claimed.assignee == "张科员"
    assert registry.view(officer).claim(ids[0]).assignee == "张科员"  # claiming again is fine
    with pytest.raises(AlreadyClaimed):
        registry.view(Actor.authority("D110108", user="李科员")).claim(ids[0])
    with pytest.raises(PermissionDenied):
        registry.view(Actor.authority("D110105", user="王科员")).claim(ids[0])
    with pytest.raises(ValidationError):
        registry.view(Actor.authority("D110108")).claim(ids[0])
    moved = registry.view(Actor.authority("D110108", user="科长")).assign(ids[0], "李科员")
    assert moved.assignee == "李科员"
    trail = registry.history(ids[0])
    assert [(e.event, e.data["assignee"]) for e in trail[-3:]] == [
        ("claim", ["张科员"]), ("claim", ["张科员"]), ("assign", ["李科员"])]
    assert trail[-1].to_state == "under_review"
    assert registry.application(ids[0]).state == "under_review"
    assert registry.view(officer).work_list().items[0].application.assignee == "李科员"

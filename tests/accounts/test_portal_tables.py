"""The portal workflow tables (account, personal change) decide who may fire each event and what
it needs: an actor of another kind than the ``by`` column names is refused (PermissionDenied), an
event whose row asks for a reason is refused without one (ValidationError), and nothing is
kept."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from portal_kit import Portal

from mdreg import Actor, PermissionDenied, Physician, ValidationError
from mdreg.domain.account import ChangeKind
from mdreg.domain.application import ActorKind
from mdreg.domain.model import Institution
from mdreg.service import account_steps
from mdreg.service import personal_changes as changes
from mdreg.service.authorization import ROLE_KINDS, authorize_kind, require_inputs
from mdreg.workflows.account import ACCOUNT
from mdreg.workflows.base import EventSpec, Role, WorkflowDefinition
from mdreg.workflows.personal_change import PERSONAL_CHANGE

NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
ACTORS = {ActorKind.PHYSICIAN: Actor.physician("P-1"), ActorKind.INSTITUTION: Actor.institution("I-1"),
          ActorKind.AUTHORITY: Actor.authority("D-1"), ActorKind.SYSTEM: Actor.system()}
TABLES = {"account": ACCOUNT, "personal_change": PERSONAL_CHANGE}
CASES = [(name, e.id, kind) for name, d in TABLES.items() for e in d.events for kind in ActorKind
         if kind in ACTORS]


def test_who_fires_each_portal_event() -> None:
    assert {e.id: e.by for e in ACCOUNT.events} == {
        "verify_phone": Role.APPLICANT, "verify_email": Role.APPLICANT,
        "activate_with_code": Role.APPLICANT, "auto_activate": Role.SYSTEM,
        "activate_with_qualification": Role.APPLICANT, "activate_on_approval": Role.AUTHORITY}
    assert {e.id: e.by for e in PERSONAL_CHANGE.events} == {
        "replace": Role.APPLICANT, "approve": Role.INSTITUTION, "reject": Role.INSTITUTION,
        "take_effect": Role.APPLICANT}


@pytest.mark.parametrize(("table", "event", "kind"), CASES,
                         ids=[f"{t}.{e}.{k.value}" for t, e, k in CASES])
def test_only_the_kind_the_table_names_may_fire(table: str, event: str, kind: ActorKind) -> None:
    definition: WorkflowDefinition = TABLES[table]
    spec = definition.event(event)
    assert spec is not None
    if ROLE_KINDS[spec.by] is kind:
        authorize_kind(ACTORS[kind], definition, event, "X-1")
    else:
        with pytest.raises(PermissionDenied):
            authorize_kind(ACTORS[kind], definition, event, "X-1")


def test_what_each_portal_event_needs() -> None:
    """Only an institution's 审核不通过 needs a written reason; no portal event takes
    corrections (补正 belongs to the business types)."""
    needs = {(name, e.id): (e.needs_reason, e.needs_corrections)
             for name, d in TABLES.items() for e in d.events}
    assert {k for k, (reason, _) in needs.items() if reason} == {("personal_change", "reject")}
    assert not any(corrections for _, corrections in needs.values())


INPUT_CASES = [(name, e.id) for name, d in TABLES.items() for e in d.events]


@pytest.mark.parametrize(("table", "event"), INPUT_CASES, ids=[f"{t}.{e}" for t, e in INPUT_CASES])
def test_a_row_that_asks_for_a_reason_refuses_an_invisible_one(table: str, event: str) -> None:
    spec = TABLES[table].event(event)
    assert spec is not None
    require_inputs(spec, "证明材料不清晰")
    for blank in ("", " \t", "\u200b\u3000"):
        if spec.needs_reason:
            with pytest.raises(ValidationError) as caught:
                require_inputs(spec, blank)
            assert (caught.value.field, caught.value.field_label) == ("reason", "理由")
        else:
            require_inputs(spec, blank)


def test_a_row_that_asks_for_corrections_refuses_none() -> None:
    spec = EventSpec("ask", "补正", ("s",), "s", Role.AUTHORITY, needs_corrections=True)
    require_inputs(spec, "", ["补交学历证明"])
    for given in ([], ["", "\u200b"]):
        with pytest.raises(ValidationError) as caught:
            require_inputs(spec, "", given)
        assert (caught.value.field, caught.value.field_label) == ("corrections", "补正事项")


def test_a_rejection_with_only_invisible_characters_keeps_the_change_pending(
        portal: Portal, hospital: Institution, pending: tuple[Physician, Actor, str]) -> None:
    _, me, change_id = pending
    with pytest.raises(ValidationError):
        portal.accounts.reject_change(Actor.institution(hospital.id), change_id, "\u200b\u3000")
    assert [c.state for c in portal.accounts.changes(me)] == ["pending"]


def test_an_unknown_event_is_refused() -> None:
    with pytest.raises(PermissionDenied):
        authorize_kind(Actor.system(), ACCOUNT, "activate_by_magic", "X-1")


def _fire_as(portal: Portal, doctor: Physician, event: str, actor: Actor) -> None:
    with portal.registry.services.uow() as uow:
        account = account_steps.account_of(uow, doctor.id)
        account_steps.fire(uow, account, event, actor, NOW)
        uow.commit()


@pytest.mark.parametrize("spec", ACCOUNT.allowed("verified"), ids=lambda e: e.id)
def test_an_account_event_fired_by_another_kind_of_actor_is_refused(
        portal: Portal, hospital: Institution, spec: EventSpec) -> None:
    doctor = portal.physician()
    portal.verified(doctor)
    before = portal.registry.trail(portal.account(doctor).id)
    for kind, actor in ACTORS.items():
        if kind is not ROLE_KINDS[spec.by]:
            with pytest.raises(PermissionDenied):
                _fire_as(portal, doctor, spec.id, actor)
    assert portal.account(doctor).state == "verified"
    assert portal.registry.trail(portal.account(doctor).id) == before
    _fire_as(portal, doctor, spec.id, ACTORS[ROLE_KINDS[spec.by]])
    assert portal.account(doctor).state == "active"


def test_a_phone_verification_by_an_institution_is_refused(portal: Portal) -> None:
    doctor = portal.physician()
    portal.sign_up(doctor)
    with pytest.raises(PermissionDenied):
        _fire_as(portal, doctor, "verify_phone", Actor.institution("I-1"))
    assert portal.account(doctor).state == "registered"


@pytest.fixture
def pending(portal: Portal, hospital: Institution) -> tuple[Physician, Actor, str]:
    """An active, employed physician with a pending change of personal information."""
    doctor = portal.physician()
    portal.registration(doctor, hospital)
    me = portal.verified(doctor)
    portal.accounts.issue_activation_code(Actor.institution(hospital.id), doctor.id)
    portal.accounts.activate(me, portal.code())
    return doctor, me, portal.accounts.request_info_change(me, title="主治医师").id


@pytest.mark.parametrize("event", ["approve", "reject"])
@pytest.mark.parametrize("kind", [ActorKind.PHYSICIAN, ActorKind.AUTHORITY, ActorKind.SYSTEM])
def test_only_an_institution_decides_a_personal_change(
        portal: Portal, hospital: Institution, pending: tuple[Physician, Actor, str],
        event: str, kind: ActorKind) -> None:
    _, me, change_id = pending
    actor = me if kind is ActorKind.PHYSICIAN else Actor(kind, hospital.id)
    decide = {"approve": lambda: portal.accounts.approve_change(actor, change_id),
              "reject": lambda: portal.accounts.reject_change(actor, change_id, "照片不合格")}
    with pytest.raises(PermissionDenied):
        decide[event]()
    assert [c.state for c in portal.accounts.changes(me)] == ["pending"]


@pytest.mark.parametrize("event", ["replace", "take_effect"])
def test_an_institution_cannot_replace_or_choose_for_the_physician(
        portal: Portal, hospital: Institution, pending: tuple[Physician, Actor, str],
        event: str) -> None:
    doctor, me, _ = pending
    staff, ids = Actor.institution(hospital.id), portal.registry.services.ids
    act = {"replace": lambda uow: changes.submit(uow, ids, staff, doctor.id, ChangeKind.INFO, None,
                                                  NOW, title="副主任医师"),
           "take_effect": lambda uow: changes.choose_department(uow, ids, staff, doctor.id, None,
                                                                "儿科", NOW)}
    with portal.registry.services.uow() as uow, pytest.raises(PermissionDenied):
        act[event](uow)
    assert [(c.kind, c.state, c.title) for c in portal.accounts.changes(me)] == [
        (ChangeKind.INFO, "pending", "主治医师")]

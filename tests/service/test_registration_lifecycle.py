"""注册 through the service: every path of the lifecycle, actor checks, and bad input that changes nothing."""

from __future__ import annotations

import pytest

import mdreg
from mdreg import (
    Actor,
    ConcurrencyConflict,
    DivisionCode,
    HealthDepartment,
    Institution,
    InstitutionKind,
    NotFoundError,
    PermissionDenied,
    RegistrationRequest,
    TransitionNotAllowed,
    UniquenessConflict,
    ValidationError,
)
from mdreg.errors import ApplicationNotFound, IdempotencyConflict, OfflineOnlyBusiness
from mdreg.rules import Policy
from mdreg.service.registry import Registry
from mdreg.testing import World


class Case:
    def __init__(self, world: World) -> None:
        self.registry = world.registry
        self.hospital = world.institution("110105")
        self.doctor = world.physician()
        self.me = Actor.physician(self.doctor.id)
        self.inst = Actor.institution(self.hospital.id, user="王科长")
        self.dept = Actor.authority(self.hospital.approved_by, user="李审批")

    def request(self) -> RegistrationRequest:
        return RegistrationRequest(self.hospital.id, self.doctor.qualifications[0].certificate_no,
                                   ("内科专业",))

    def apply(self, **kw: object) -> str:
        return self.registry.apply(self.me, self.request(), **kw).id  # type: ignore[arg-type]

    def fire(self, app_id: str, event: str, actor: Actor, **kw: object) -> str:
        return self.registry.fire(app_id, event, actor, **kw).state  # type: ignore[arg-type]

    def snapshot(self, app_id: str) -> tuple[object, ...]:
        return (mdreg.infra.serialization.dumps(self.registry.application(app_id)),
                len(self.registry.history(app_id)), self.registry.registrations(self.doctor.id),
                self.registry.audit_count())


@pytest.fixture
def case(world: World) -> Case:
    return Case(world)


def test_happy_path_creates_a_valid_registration_with_audit(case: Case) -> None:
    app = case.apply()
    assert case.fire(app, "confirm", case.inst) == "pending_acceptance"
    assert case.fire(app, "accept", case.dept) == "under_review"
    assert case.fire(app, "approve", case.dept) == "approved"
    (registration,) = case.registry.registrations(case.doctor.id)
    assert registration.is_valid and registration.application_id == app
    history = case.registry.history(app)
    assert [e.seq for e in history] == [1, 2, 3, 4, 5]
    assert [(e.from_state, e.to_state) for e in history][-1] == ("under_review", "approved")
    assert history[-1].actor == case.dept and history[-1].at.tzinfo is not None
    assert "practice_location.one_primary_institution" in history[-1].verdict
    assert case.registry.application(app).version == 5


def test_returned_by_institution_and_resubmitted(case: Case) -> None:
    app = case.apply()
    assert case.fire(app, "send_back", case.inst, reason="照片不合格") == "returned"
    assert case.registry.application(app).reason == "照片不合格"
    assert case.fire(app, "resubmit", case.me) == "pending_institution"
    assert case.fire(app, "confirm", case.inst) == "pending_acceptance"


def test_corrections_then_acceptance(case: Case) -> None:
    app = case.apply()
    case.fire(app, "confirm", case.inst)
    assert case.fire(app, "request_correction", case.dept,
                     corrections=["体检证明", "聘用证明"]) == "needs_correction"
    assert case.registry.application(app).corrections == ("体检证明", "聘用证明")
    assert case.fire(app, "supplement", case.me) == "pending_acceptance"
    assert case.fire(app, "accept", case.dept) == "under_review"


@pytest.mark.parametrize(
    ("path", "final"),
    [
        ([("confirm", "inst"), ("refuse_acceptance", "dept")], "not_accepted"),
        ([("confirm", "inst"), ("accept", "dept"), ("reject", "dept")], "rejected"),
        ([("confirm", "inst"), ("accept", "dept"), ("return_to_applicant", "dept")], "returned"),
        ([("withdraw", "me")], "withdrawn"),
        ([("confirm", "inst"), ("withdraw", "me")], "withdrawn"),
    ],
    ids=["not_accepted", "rejected", "returned_by_department", "withdrawn_early", "withdrawn_later"],
)
def test_other_endings(case: Case, path: list[tuple[str, str]], final: str) -> None:
    app = case.apply()
    state = ""
    for event, who in path:
        state = case.fire(app, event, getattr(case, who), reason="不符合要求")
    assert state == final
    assert case.registry.registrations(case.doctor.id) == ()


def test_a_decided_application_is_final(case: Case) -> None:
    app = case.apply()
    case.fire(app, "withdraw", case.me)
    for event in ("resubmit", "confirm", "approve", "withdraw"):
        with pytest.raises(TransitionNotAllowed):
            case.fire(app, event, case.me)


@pytest.mark.parametrize(
    ("event", "who"),
    [("confirm", "other_inst"), ("confirm", "dept"), ("withdraw", "other_doctor"),
     ("withdraw", "inst"), ("confirm", "me")],
)
def test_wrong_actor_is_refused_and_nothing_changes(case: Case, world: World, event: str, who: str) -> None:
    app = case.apply()
    actors = {"other_inst": Actor.institution(world.institution("110105").id),
              "other_doctor": Actor.physician(world.physician().id),
              "dept": case.dept, "inst": case.inst, "me": case.me}
    before = case.snapshot(app)
    with pytest.raises(PermissionDenied):
        case.fire(app, event, actors[who])
    assert case.snapshot(app) == before


def test_only_the_deciding_department_decides(case: Case, world: World) -> None:
    app = case.apply()
    case.fire(app, "confirm", case.inst)
    other = Actor.authority(world.department("310104").id)
    with pytest.raises(PermissionDenied):
        case.fire(app, "accept", other)
    with pytest.raises(PermissionDenied):
        case.fire(app, "accept", case.inst)


def test_a_physician_applies_only_for_themselves(case: Case, world: World) -> None:
    stranger = Actor.physician(world.physician().id)
    with pytest.raises(PermissionDenied):
        case.registry.apply(stranger, case.request(), physician_id=case.doctor.id)
    elsewhere = Actor.institution(world.institution("110105").id)
    with pytest.raises(PermissionDenied):
        case.registry.apply(elsewhere, case.request(), physician_id=case.doctor.id)
    on_behalf = case.registry.apply(case.inst, case.request(), physician_id=case.doctor.id)
    assert on_behalf.applicant == case.inst


@pytest.mark.parametrize("event", ["reject", "send_back", "refuse_acceptance", "return_to_applicant"])
def test_missing_reason_is_refused_and_nothing_changes(case: Case, event: str) -> None:
    app = case.apply()
    if event != "send_back":
        case.fire(app, "confirm", case.inst)
    if event in ("reject", "return_to_applicant"):
        case.fire(app, "accept", case.dept)
    actor = case.inst if event == "send_back" else case.dept
    before = case.snapshot(app)
    with pytest.raises(ValidationError) as err:
        case.fire(app, event, actor, reason="   ")
    assert err.value.field == "reason"
    assert case.snapshot(app) == before


def test_corrections_must_be_listed(case: Case) -> None:
    app = case.apply()
    case.fire(app, "confirm", case.inst)
    with pytest.raises(ValidationError):
        case.fire(app, "request_correction", case.dept, corrections=[""])


def test_stale_expected_version_is_a_conflict(case: Case) -> None:
    app = case.registry.apply(case.me, case.request())
    case.fire(app.id, "confirm", case.inst, expected_version=app.version)
    before = case.snapshot(app.id)
    with pytest.raises(ConcurrencyConflict) as err:
        case.fire(app.id, "accept", case.dept, expected_version=app.version)
    assert (err.value.expected, err.value.actual) == (app.version, app.version + 1)
    assert case.snapshot(app.id) == before


def test_unknown_institution_or_application(case: Case) -> None:
    with pytest.raises(NotFoundError):
        case.registry.apply(case.me, RegistrationRequest("NOPE", "Q", ("内科专业",)))
    with pytest.raises(ApplicationNotFound):
        case.fire("A-missing", "confirm", case.inst)
    assert case.registry.audit_count() == 0


def test_malformed_id_number_never_reaches_the_registry(registry: Registry) -> None:
    with pytest.raises(ValidationError) as err:
        mdreg.Physician("P9", "李四", mdreg.ResidentId.parse("360426199101010072"))
    assert "360426199101010072" not in str(err.value)
    with pytest.raises(NotFoundError):
        registry.physician("P9")


def test_reference_data_loads_all_or_nothing(registry: Registry) -> None:
    department = HealthDepartment("D1", "卫健委", DivisionCode("110105"))
    good = Institution("I1", "甲医院", DivisionCode("110105"), InstitutionKind.MEDICAL, "D1")
    bad = Institution("I2", "乙医院", DivisionCode("110105"), InstitutionKind.MEDICAL, "D-unknown")
    with pytest.raises(NotFoundError):
        registry.load(departments=[department], institutions=[good, bad])
    with pytest.raises(NotFoundError):
        registry.institution("I1")


def test_one_open_application_per_type_and_location(case: Case) -> None:
    case.apply()
    with pytest.raises(UniquenessConflict):
        case.apply()


def test_idempotent_commands_return_the_first_result(case: Case) -> None:
    first = case.registry.apply(case.me, case.request(), idempotency_key="k1")
    again = case.registry.apply(case.me, case.request(), idempotency_key="k1")
    assert again == first
    confirmed = [case.registry.fire(first.id, "confirm", case.inst, idempotency_key="k2")
                 for _ in range(5)]
    assert all(c == confirmed[0] for c in confirmed)
    assert len(case.registry.history(first.id)) == 3
    with pytest.raises(IdempotencyConflict):
        case.registry.fire(first.id, "withdraw", case.me, idempotency_key="k2")


def test_offline_business_is_refused_with_an_explanation(case: Case) -> None:
    with pytest.raises(OfflineOnlyBusiness) as err:
        case.registry.apply(case.me, case.request(), business="港澳台医师内地短期行医")
    assert "港澳台" in err.value.describe()
    with pytest.raises(ValidationError):
        case.registry.apply(case.me, case.request(), business="no-such-business")


def test_store_invariant_backs_the_rule_and_rolls_back_everything(clock) -> None:
    registry = mdreg.open("memory://", clock=clock, policy=Policy("no-rules", {}),
                          ids=mdreg.SequentialIds())
    case = Case(World(registry))
    second_hospital = World(registry).institution("110108", approved_by=case.hospital.approved_by)
    first = case.apply()
    for event, actor in (("confirm", case.inst), ("accept", case.dept), ("approve", case.dept)):
        case.fire(first, event, actor)
    second = registry.apply(case.me, RegistrationRequest(
        second_hospital.id, case.doctor.qualifications[0].certificate_no, ("外科专业",))).id
    case.fire(second, "confirm", Actor.institution(second_hospital.id))
    case.fire(second, "accept", case.dept)
    before = case.snapshot(second)
    with pytest.raises(UniquenessConflict) as err:
        case.fire(second, "approve", case.dept)
    assert err.value.constraint == "registration_location"
    assert case.snapshot(second) == before


def test_inboxes_route_to_institution_and_department(case: Case) -> None:
    app = case.apply()
    assert [a.id for a in case.registry.inbox(case.inst)] == [app]
    assert case.registry.inbox(case.dept) == ()
    case.fire(app, "confirm", case.inst)
    assert case.registry.inbox(case.inst) == ()
    assert [a.id for a in case.registry.inbox(case.dept)] == [app]
    with pytest.raises(PermissionDenied):
        case.registry.inbox(case.me)

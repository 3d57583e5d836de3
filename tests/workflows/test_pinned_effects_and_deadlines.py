"""Pinned details of registry effects, deadline values and declaration texts: what an approval
says when the filing or legacy record it cancels is gone, what a record on the physician's file
leaves in the audit data, when an ended deadline was closed, the cutoff of the 备案 expiry
sweep, the decision period a reference page states, and the refusal of a rule that reads
other payloads."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

from mdreg import Actor, NotFoundError, Registry
from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.domain.application import (
    BusinessType,
    Evidence,
    FilingCancelRequest,
    FilingRequest,
    MultisiteCancelRequest,
    RegistrationRequest,
    UpgradeRequest,
)
from mdreg.domain.calendar import ChineseCalendar
from mdreg.domain.deadlines import (
    Deadline,
    DeadlineKind,
    DeadlineStatus,
    PeriodUnit,
    checked_due_date,
    filed_expiry_cutoff,
)
from mdreg.domain.model import Record, RecordKind
from mdreg.errors import WorkflowDefinitionError
from mdreg.reference import workflow_page
from mdreg.rules import Rule
from mdreg.rules.refusal import FullCivilCapacity
from mdreg.service.ids import SequentialIds
from mdreg.testing import World
from mdreg.workflows import BASE_POLICY, declaration_for, periods
from mdreg.workflows.declaration import checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.registration import REGISTRATION

TODAY = date(2026, 3, 2)  # the plugin's clock: 2026-03-02 09:00 Beijing time


def _empty_store_effect() -> Effect:
    """An effect over a store that holds nothing: what an approval meets when the object it acts
    on was removed after the application was made."""
    return Effect(InMemoryUnitOfWork(MemoryStore()), SequentialIds(), TODAY, BASE_POLICY)


def _untouched(effect: Effect) -> None:
    assert effect.done == {"created": [], "ended": [], "changed": []}


# -- an approval whose subject disappeared -----------------------------------------------------

def test_approving_a_filing_cancellation_whose_filing_is_gone_names_the_filing(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    filing = world.filing(registration, world.institution("110108"))
    app = registry.apply(Actor.physician(doctor.id), FilingCancelRequest(filing.id))
    effect = _empty_store_effect()
    with pytest.raises(NotFoundError) as missing:
        declaration_for(BusinessType.FILING_CANCEL).effects["approve"](effect, app, app.payload)
    assert (missing.value.kind, missing.value.key) == ("filing", filing.id)
    assert str(missing.value) == f"no filing with key {filing.id}"
    assert missing.value.describe() == f"对象不存在: no filing with key {filing.id}"
    _untouched(effect)


def test_approving_a_multisite_cancellation_whose_legacy_record_is_gone_names_the_record(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    site = world.legacy_site(registration, world.institution("110108"))
    app = registry.apply(Actor.physician(doctor.id), MultisiteCancelRequest(site.id))
    effect = _empty_store_effect()
    with pytest.raises(NotFoundError) as missing:
        declaration_for(BusinessType.MULTISITE_CANCEL).effects["approve"](effect, app,
                                                                           app.payload)
    assert (missing.value.kind, missing.value.key) == ("legacy record", site.id)
    assert str(missing.value) == f"no legacy record with key {site.id}"
    assert missing.value.label == "对象不存在"
    _untouched(effect)


# -- facts on the physician's record -----------------------------------------------------------

def test_a_record_for_a_physician_who_is_gone_names_the_physician() -> None:
    effect = _empty_store_effect()
    with pytest.raises(NotFoundError) as missing:
        effect.add_record("P-gone", Record(RecordKind.REGISTRATION_REVOKED, TODAY))
    assert (missing.value.kind, missing.value.key) == ("physician", "P-gone")
    assert str(missing.value) == "no physician with key P-gone"
    _untouched(effect)


def test_a_revocation_lists_the_fact_it_put_on_the_record_in_its_audit_data(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    registration = world.registration(doctor, world.institution("110105"))
    registry.revoke(Actor.authority(registration.approved_by), registration.id, "骗取注册")
    (event,) = registry.trail(registration.id)
    assert event.data["recorded"] == [f"registration_revoked:{TODAY.isoformat()}"]


def test_a_fact_already_on_the_record_is_not_added_or_listed_again(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    fact = Record(RecordKind.PRACTICE_BAN, date(2025, 5, 6))
    with registry.services.uow() as uow:
        effect = Effect(uow, SequentialIds(), TODAY, BASE_POLICY)
        effect.add_record(doctor.id, fact)
        effect.add_record(doctor.id, fact)
        assert effect.done["recorded"] == ["practice_ban:2025-05-06"]
        stored = uow.physicians.get(doctor.id)
        assert stored is not None and stored.records == (fact,)


# -- deadline values ---------------------------------------------------------------------------

def test_an_ended_deadline_keeps_the_day_it_ended() -> None:
    opened = Deadline("DL1", DeadlineKind.DECISION, "A1", "P1", date(2026, 3, 2),
                      date(2026, 3, 30), 20, PeriodUnit.WORKING_DAYS, "chinesecalendar",
                      datetime(2026, 3, 2, 1, tzinfo=UTC))
    ended = opened.end(date(2026, 3, 10), "withdraw")
    assert (ended.status, ended.closed_on, ended.closed_by, ended.version) == (
        DeadlineStatus.ENDED, date(2026, 3, 10), "withdraw", 2)


@pytest.mark.parametrize(("as_of", "two_years", "three_years"), [
    (date(2026, 3, 2), date(2024, 3, 3), date(2023, 3, 3)),
    (date(2026, 2, 28), date(2024, 2, 29), date(2023, 3, 1)),
    (date(2026, 12, 31), date(2025, 1, 1), date(2024, 1, 1)),
], ids=["an_ordinary_day", "before_a_leap_day", "the_last_day_of_a_year"])
def test_the_filed_expiry_sweep_looks_back_the_policy_years_from_the_day_after(
        as_of: date, two_years: date, three_years: date) -> None:
    assert BASE_POLICY.parameters["filed_expiry_years"] == 2
    assert filed_expiry_cutoff(as_of, BASE_POLICY.parameters) == two_years
    assert filed_expiry_cutoff(as_of, {"filed_expiry_years": 3}) == three_years


# -- what the reference pages state ------------------------------------------------------------

@pytest.mark.parametrize("business", [BusinessType.FILING_CANCEL, BusinessType.MULTISITE_CANCEL],
                         ids=["filing_cancel", "multisite_cancel"])
def test_a_reference_page_states_the_service_target_the_base_policy_applies(
        business: BusinessType) -> None:
    period = declaration_for(business).decision_period.on(TODAY, BASE_POLICY.parameters)
    assert period is not None
    assert (period.length, period.unit) == (20, PeriodUnit.WORKING_DAYS)
    line = next(line for line in workflow_page(business).splitlines()
                if line.startswith("- 审批期限 Decision period: "))
    assert line == (
        "- 审批期限 Decision period: [I] no statutory period (备案不是行政许可，未规定办理期限："
        "《医师执业注册管理办法》第十条): the policy's service target "
        "(decision_working_days_without_statute): 20 working days from acceptance")


@pytest.mark.parametrize(("target", "stated"), [
    (10, "10 working days from acceptance"), (None, "no decision deadline")])
def test_a_reference_page_states_the_service_target_its_policy_sets(
        target: int | None, stated: str) -> None:
    policy = BASE_POLICY.with_changes("province", decision_working_days_without_statute=target)
    line = next(line for line in workflow_page(BusinessType.FILING_CANCEL, policy).splitlines()
                if line.startswith("- 审批期限 Decision period: "))
    assert line.endswith(f"(decision_working_days_without_statute): {stated}")


def test_an_undeclared_period_describes_the_policy_parameter_it_falls_back_to() -> None:
    assert periods.UNDECLARED.describe() == (
        "[I] no statutory period (no decision period declared): the policy's service target "
        "(decision_working_days_without_statute; the base policy's is 20 working days from "
        "acceptance)")
    assert BASE_POLICY.parameters["decision_working_days_without_statute"] == 20


# -- declarations ------------------------------------------------------------------------------

class _UpgradeOrFiling(Rule[UpgradeRequest | FilingRequest]):
    id = "test.upgrade_or_filing"
    label = "只读升级或备案申请"
    title = "Reads an upgrade or a filing request"
    citations = FullCivilCapacity.citations

    def check(self, ctx: Any) -> Any:
        return ()


def test_a_rule_reading_other_payloads_is_refused_naming_each_of_them() -> None:
    with pytest.raises(WorkflowDefinitionError) as refused:
        attrs.evolve(REGISTRATION, rules=checked_on([_UpgradeOrFiling()]))
    assert str(refused.value) == (
        "business type 'registration': rule test.upgrade_or_filing on 'submit' reads "
        f"UpgradeRequest | FilingRequest, not {RegistrationRequest.__name__}")


def test_approving_a_registration_whose_qualification_is_gone_names_the_qualification(
        world: World, registry: Registry) -> None:
    """The rules refuse such an approval first; the effect itself refuses too, naming the
    number, and writes nothing."""
    doctor = world.physician()
    institution = world.institution("110105")
    number = doctor.qualifications[0].certificate_no
    app = registry.apply(Actor.institution(institution.id),
                         RegistrationRequest(institution.id, number, ("内科专业",)),
                         physician_id=doctor.id, submit=False)
    registry.load(physicians=[attrs.evolve(doctor, qualifications=())])
    with registry.services.uow() as uow:
        effect = Effect(uow, SequentialIds(), TODAY, BASE_POLICY)
        with pytest.raises(NotFoundError) as missing:
            REGISTRATION.effects["approve"](effect, app, app.payload)
        assert (missing.value.kind, missing.value.key) == ("qualification", number)
        assert str(missing.value) == f"no qualification with key {number}"
        _untouched(effect)
    assert registry.registrations(doctor.id) == ()


def test_a_checked_due_date_without_a_unit_counts_in_its_kind_s_unit() -> None:
    """A report period is in calendar days, a correction window in working days: the kind
    decides when no unit is given."""
    calendar = ChineseCalendar()
    start = date(2026, 9, 25)  # a Friday; 国庆 from 1 October
    assert checked_due_date(DeadlineKind.CANCELLATION_REPORT, start, 30, calendar, {}) == (
        date(2026, 10, 25), "none")  # calendar days read no calendar
    # 28, 29, 30 September, then 8 and 9 October: 1–7 October are not counted
    assert checked_due_date(DeadlineKind.CORRECTION_WINDOW, start, 5, calendar, {}) == (
        date(2026, 10, 9), "chinesecalendar")


def test_approving_at_an_institution_that_is_gone_names_the_institution(
        world: World, registry: Registry) -> None:
    doctor = world.physician()
    institution = world.institution("110105")
    app = registry.apply(Actor.institution(institution.id),
                         RegistrationRequest(institution.id,
                                             doctor.qualifications[0].certificate_no,
                                             ("内科专业",)),
                         physician_id=doctor.id, submit=False)
    effect = _empty_store_effect()
    with pytest.raises(NotFoundError) as missing:
        REGISTRATION.effects["approve"](effect, app, app.payload)
    assert (missing.value.kind, missing.value.key) == ("institution", institution.id)
    assert str(missing.value) == f"no institution with key {institution.id}"
    _untouched(effect)


def test_an_approved_registration_is_numbered_as_a_registration(world: World) -> None:
    doctor = world.physician()
    institution = world.institution("110105")
    app = world.approve(world.registry.apply(
        Actor.institution(institution.id),
        RegistrationRequest(institution.id, doctor.qualifications[0].certificate_no,
                            ("内科专业",), evidence=Evidence(6, True)),
        physician_id=doctor.id))
    (row,) = world.registry.registrations(doctor.id)
    assert re.fullmatch(r"R\d{6}", row.id) and row.application_id == app.id


@pytest.mark.parametrize("decision", ["approve", "reject", "refuse_acceptance"])
def test_a_decision_stamps_the_moment_it_was_made(world: World, decision: str) -> None:
    doctor = world.physician()
    institution = world.institution("110105")
    app = world.registry.apply(
        Actor.institution(institution.id),
        RegistrationRequest(institution.id, doctor.qualifications[0].certificate_no,
                            ("内科专业",), evidence=Evidence(6, True)),
        physician_id=doctor.id)
    department = Actor.authority(app.department_id)
    world.registry.fire(app.id, "confirm", Actor.institution(institution.id))
    if decision != "refuse_acceptance":
        world.registry.fire(app.id, "accept", department)
    assert world.registry.application(app.id).decided_at is None
    reason = "" if decision == "approve" else "材料不实"
    decided = world.registry.fire(app.id, decision, department, reason=reason)
    assert decided.decided_at == world.registry.clock.now()

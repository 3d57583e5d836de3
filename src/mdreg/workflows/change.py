"""变更 — change of practice location, scope, category or primary institution (医师法 Art 18).

Confirmed by the intended (new) institution; decided by the department that granted the
registration, or — by default — the department that approved a new primary institution (policy
parameter ``change_decided_by_new_department``). On approval the registration's fields are
replaced (its history stays in the audit trail); filings outside the new location, or at the new
primary institution, end.
"""

from __future__ import annotations

from typing import Any

import attrs

from mdreg.domain.application import Application, BusinessType, ChangeRequest
from mdreg.domain.model import Physician, practice_location
from mdreg.rules import change, individual_practice, refusal, scope, target
from mdreg.rules import practice_location as location_rules
from mdreg.rules.base import Rule
from mdreg.rules.policy import Policy
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing

RULES: tuple[Rule[Any], ...] = (
    *target.RULES, *change.RULES, location_rules.AssistantCountyLocation(), *scope.RULES,
    *refusal.RULES, *individual_practice.RULES,
)


def route(routing: Routing, physician: Physician, payload: ChangeRequest,
          policy: Policy) -> Route:
    registration = routing.registration(physician, payload.registration_id)
    new = routing.institution(payload.institution_id)
    moved = new.id != registration.primary_institution_id
    if moved and policy.param("change_decided_by_new_department"):
        return routing.by_institution(new, registration.id)
    return routing.by_registration(new, registration, registration.id)


def change_registration(effect: Effect, app: Application, payload: ChangeRequest) -> None:
    """The registration's institution, location, category and scopes are replaced.

    Category and level are the qualification's (R-CHG-1): the one the change names, else the
    one the registration rests on; the practice location follows the level (2017 Art 7).
    """
    old = effect.registration(payload.registration_id)
    institution = effect.institution(payload.institution_id)
    qualification_no = payload.qualification_no or old.qualification_no
    physician = effect.uow.physicians.get(app.physician_id)
    held = physician.qualification(qualification_no) if physician else None
    level, category = (held.level, held.category) if held else (old.level, old.category)
    new = attrs.evolve(
        old, primary_institution_id=institution.id, qualification_no=qualification_no,
        level=level, category=category, location=practice_location(level, institution),
        scopes=payload.scopes, approved_by=app.department_id, approved_on=effect.on,
        registered_on=old.granted_on, application_id=app.id,
    )
    effect.change_registration(new)
    stranded = []
    for filing in effect.active_filings(old.id, app.physician_id):
        filed_at = effect.uow.institutions.get(filing.institution_id)
        outside = filed_at is None or not new.location.contains(filed_at.division)
        if outside or filing.institution_id == new.primary_institution_id:
            stranded.append(filing)
    effect.end_filings(stranded)


CHANGE: BusinessTypeDeclaration[ChangeRequest] = BusinessTypeDeclaration(
    business=BusinessType.CHANGE,
    payload=ChangeRequest,
    definition=application_lifecycle("change", "变更", approve_label="准予变更",
                                     reject_label="不予变更"),
    basis="医师法第十八条；医师执业注册管理办法第二十条",
    rules=checked_on(RULES),
    route=route,
    confirms="拟执业机构（新的主要执业机构） (the intended, new institution)",
    decides="准予注册的部门；变更主要执业机构时为批准新机构的部门 (医师法 Art 18; [I])",
    effects={"approve": change_registration},
    institution_may_apply="institution_applies_for_change",
    activates_account_on="approve",
    materials=(materials.APPLICATION_FORM, materials.PHOTO, materials.EMPLOYMENT_PROOF,
               materials.PRACTICE_CERTIFICATE),
    decision_period=periods.CHANGE_PERIOD,
)

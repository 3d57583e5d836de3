"""注册 — practice registration (医师法 Art 13; 医师执业注册管理办法 Arts 5–12).

Confirmed by the intended primary institution; decided by the health department that approved
that institution (a prevention institution: the department at its own level). On approval the
registry gains a valid registration whose practice location is the institution's province
(执业医师) or county (执业助理医师); a registration in another province stays valid only if
qualification and scopes are identical (R-LOC-7). An institution may apply for its staff.
"""

from __future__ import annotations

from mdreg.domain.application import (
    Application,
    BusinessType,
    MilitaryInRequest,
    RegistrationRequest,
)
from mdreg.domain.model import Level, Physician, Registration, RegistrationStatus, practice_location
from mdreg.errors import NotFoundError
from mdreg.rules import individual_practice, qualification, refusal, scope
from mdreg.rules import practice_location as location_rules
from mdreg.rules.policy import Policy
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing

RULES = (qualification.RULES + refusal.RULES + location_rules.RULES + scope.RULES
         + individual_practice.RULES)


def route_new_registration(routing: Routing, physician: Physician,
                           payload: RegistrationRequest | MilitaryInRequest,
                           policy: Policy) -> Route:
    """Confirmed by the intended institution, decided by the department that decides for it
    (2017 Art 9); the target is the practice location the registration would get."""
    institution = routing.institution(payload.institution_id)
    held = physician.qualification(payload.qualification_no)
    location = (practice_location(held.level, institution) if held is not None
                else institution.division)
    return routing.by_institution(institution, location.code)


def add_registration(effect: Effect, app: Application,
                     payload: RegistrationRequest | MilitaryInRequest) -> None:
    """A valid registration at the institution's province or county (2017 Art 7)."""
    physician = effect.uow.physicians.get(app.physician_id)
    institution = effect.institution(app.institution_id)
    held = physician.qualification(payload.qualification_no) if physician else None
    if held is None:
        raise NotFoundError("qualification", payload.qualification_no)
    new = Registration(
        id=effect.ids.new("R"), physician_id=app.physician_id,
        qualification_no=held.number, level=held.level, category=held.category,
        scopes=payload.scopes, location=practice_location(held.level, institution),
        primary_institution_id=institution.id, approved_by=app.department_id,
        approved_on=effect.on, certificate_no=effect.ids.certificate_no(), application_id=app.id,
    )
    _second_province(effect, new)
    effect.add_registration(new)


def _second_province(effect: Effect, new: Registration) -> None:
    """R-LOC-7: other provinces' registrations stay valid only if qualification and scopes match."""
    if not effect.policy.param("second_province_identical") or new.level is not Level.PHYSICIAN:
        return
    for other in effect.uow.registrations.for_physician(new.physician_id):
        same = (other.qualification_no == new.qualification_no
                and sorted(other.scopes) == sorted(new.scopes))
        if other.is_valid and other.location != new.location and not same:
            effect.end_registration(other, RegistrationStatus.INVALID)


REGISTRATION: BusinessTypeDeclaration[RegistrationRequest] = BusinessTypeDeclaration(
    business=BusinessType.REGISTRATION,
    payload=RegistrationRequest,
    definition=application_lifecycle("registration", "注册", approve_label="准予注册",
                                     reject_label="不予注册"),
    basis="医师法第十三条、第十六条；医师执业注册管理办法第五条至第十二条",
    rules=checked_on(RULES),
    route=route_new_registration,
    confirms="拟执业机构 (the intended primary institution)",
    decides="批准该机构执业的卫生健康主管部门；预防机构为同级卫生健康主管部门 (2017 Art 9)",
    effects={"approve": add_registration},
    institution_may_apply=True,
    activates_account_on="approve",
    materials=(materials.APPLICATION_FORM, materials.PHOTO, materials.EMPLOYMENT_PROOF,
               materials.QUALIFICATION_CERTIFICATE, materials.PROVINCIAL),
    decision_period=periods.LICENCE,
)

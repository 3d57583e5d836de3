"""助理医师升执业医师 — an assistant who obtained the 执业医师 qualification upgrades the registration.

Same category and same primary institution (portal help, 业务说明 2; 医师执业注册暂行办法 (1999)
Art 11). Confirmed by the registration's primary institution, decided by the department that
approved it. On approval the assistant registration ends and a 执业医师 registration replaces it
at the institution's province; the old certificate is withdrawn and a new one issued; active
filings and legacy multi-site records move to the new registration.
"""

from __future__ import annotations

import attrs

from mdreg.domain.application import Application, BusinessType, UpgradeRequest
from mdreg.domain.model import Level, Physician, RegistrationStatus, practice_location
from mdreg.rules import refusal, target, upgrade_military
from mdreg.rules.policy import Policy
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing

RULES = target.RULES + upgrade_military.UPGRADE_RULES + refusal.RULES


def route(routing: Routing, physician: Physician, payload: UpgradeRequest,
          policy: Policy) -> Route:
    registration = routing.registration(physician, payload.registration_id)
    primary = routing.institution(registration.primary_institution_id)
    return routing.by_institution(primary, registration.id)


def upgrade(effect: Effect, app: Application, payload: UpgradeRequest) -> None:
    """The assistant registration ends; a province-level 执业医师 registration replaces it."""
    old = effect.registration(payload.registration_id)
    institution = effect.institution(old.primary_institution_id)
    effect.uow.registrations.put(attrs.evolve(old, status=RegistrationStatus.INVALID,
                                              ended_on=effect.on))
    effect.done["ended"].append(old.id)
    new = attrs.evolve(
        old, id=effect.ids.new("R"), qualification_no=payload.qualification_no,
        level=Level.PHYSICIAN, location=practice_location(Level.PHYSICIAN, institution),
        approved_by=app.department_id, approved_on=effect.on,
        certificate_no=effect.ids.certificate_no(), application_id=app.id,
        registered_on=None,  # a new grant: its 注册日期 is today's, whatever a 变更 kept before
    )
    effect.add_registration(new)
    for filing in effect.active_filings(old.id, app.physician_id):
        effect.uow.filings.put(attrs.evolve(filing, registration_id=new.id))
        effect.done["changed"].append(filing.id)
    for site in effect.active_legacy(old.id, app.physician_id):
        effect.uow.legacy.put(attrs.evolve(site, registration_id=new.id))
        effect.done["changed"].append(site.id)


UPGRADE: BusinessTypeDeclaration[UpgradeRequest] = BusinessTypeDeclaration(
    business=BusinessType.UPGRADE,
    payload=UpgradeRequest,
    definition=application_lifecycle("upgrade", "助理医师升执业医师", approve_label="准予升级",
                                     reject_label="不予升级"),
    basis="医师执业注册暂行办法（1999）第十一条；医师法第十三条",
    rules=checked_on(RULES),
    route=route,
    confirms="主要执业机构 (the registration's primary institution)",
    decides="批准该机构执业的卫生健康主管部门 (2017 Art 15 → Art 9)",
    effects={"approve": upgrade},
    materials=(materials.APPLICATION_FORM, materials.PHOTO, materials.QUALIFICATION_CERTIFICATE,
               materials.PRACTICE_CERTIFICATE),
    decision_period=periods.LICENCE,
)

"""变更到军队 — a civilian physician joins the army (解放军实施《执业医师法》办法 Art 10).

Confirmed by the primary institution of the named registration; decided by the department that
granted it. On approval every local registration, filing and legacy multi-site record of the
physician ends (R-MIL-1); one such application per physician at a time (target ``military``).
"""

from __future__ import annotations

from mdreg.domain.application import Application, BusinessType, MilitaryOutRequest
from mdreg.domain.model import Physician, RegistrationStatus
from mdreg.rules import target
from mdreg.rules.policy import Policy
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing


def route(routing: Routing, physician: Physician, payload: MilitaryOutRequest,
          policy: Policy) -> Route:
    registration = routing.registration(physician, payload.registration_id)
    primary = routing.institution(registration.primary_institution_id)
    return routing.by_registration(primary, registration, "military")


def leave_for_the_army(effect: Effect, app: Application, payload: MilitaryOutRequest) -> None:
    """Every local registration, filing and legacy multi-site record ends (R-MIL-1)."""
    effect.end_everything(app.physician_id, RegistrationStatus.MILITARY)


MILITARY_OUT: BusinessTypeDeclaration[MilitaryOutRequest] = BusinessTypeDeclaration(
    business=BusinessType.MILITARY_OUT,
    payload=MilitaryOutRequest,
    definition=application_lifecycle("military_out", "变更到军队",
                                     approve_label="准予变更到军队",
                                     reject_label="不予变更到军队"),
    basis="中国人民解放军实施《执业医师法》办法第十条",
    rules=checked_on(target.RULES),
    route=route,
    confirms="所选注册的主要执业机构 (the registration's primary institution)",
    decides="准予该注册的卫生健康主管部门 (the department that granted the registration)",
    effects={"approve": leave_for_the_army},
    materials=(materials.CONFIRMED_ONLINE, materials.PRACTICE_CERTIFICATE,
               materials.CIVILIAN_PROOF),
    decision_period=periods.MILITARY_OUT_PERIOD,
)

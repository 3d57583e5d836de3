"""多执业机构备案 — filing another institution inside the registration's practice location
(2017 measures Art 10).

Confirmed by the filed institution; decided by the department that approved it. On approval a
filing with start and end dates hangs under the registration; one open application per
registration and institution.
"""

from __future__ import annotations

import attrs

from mdreg.domain.application import Application, BusinessType, FilingRequest
from mdreg.domain.model import Filing, FilingStatus, Physician
from mdreg.rules import filing, target
from mdreg.rules.policy import Policy
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing

RULES = target.RULES + filing.FILING_RULES


def route(routing: Routing, physician: Physician, payload: FilingRequest,
          policy: Policy) -> Route:
    registration = routing.registration(physician, payload.registration_id)
    other = routing.institution(payload.institution_id)
    return routing.by_institution(other, f"{registration.id}:{other.id}")


def file(effect: Effect, app: Application, payload: FilingRequest) -> None:
    """备案: a filing under the registration, decided by the department that approved the
    filed institution. An earlier filing at the same institution whose period has ended is
    closed as expired (on its last day) first."""
    for lapsed in effect.active_filings(payload.registration_id, app.physician_id):
        if lapsed.institution_id == payload.institution_id and lapsed.lapsed_on(effect.on):
            effect.uow.filings.put(attrs.evolve(lapsed, status=FilingStatus.EXPIRED,
                                                ended_on=lapsed.valid_to))
            effect.done["ended"].append(lapsed.id)
    new = Filing(
        id=effect.ids.new("F"), registration_id=payload.registration_id,
        physician_id=app.physician_id, institution_id=payload.institution_id,
        scopes=payload.scopes, valid_from=payload.valid_from, valid_to=payload.valid_to,
        approved_by=app.department_id, application_id=app.id,
    )
    effect.uow.filings.put(new)
    effect.done["created"].append(new.id)


FILING: BusinessTypeDeclaration[FilingRequest] = BusinessTypeDeclaration(
    business=BusinessType.FILING,
    payload=FilingRequest,
    definition=application_lifecycle("filing", "多执业机构备案", approve_label="准予备案",
                                     reject_label="不予备案"),
    basis="医师执业注册管理办法第十条",
    rules=checked_on(RULES),
    route=route,
    confirms="拟备案的执业机构 (the institution being filed)",
    decides="批准该机构执业的卫生健康主管部门 (2017 Art 10)",
    effects={"approve": file},
    materials=(materials.CONFIRMED_ONLINE, materials.PRACTICE_CERTIFICATE,
               materials.EMPLOYMENT_PROOF),
    decision_period=periods.FILING_PERIOD,
)

"""申请取消“多地点执业” — cancelling a legacy multi-site record (they are never created).

Confirmed by the primary institution of the registration; decided by its registering department
(not documented: an assumption, [I]). On approval the legacy record ends.
"""

from __future__ import annotations

import attrs

from mdreg.domain.application import Application, BusinessType, MultisiteCancelRequest
from mdreg.domain.model import FilingStatus, Physician
from mdreg.errors import NotFoundError
from mdreg.rules import filing
from mdreg.rules.policy import Policy
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing


def route(routing: Routing, physician: Physician, payload: MultisiteCancelRequest,
          policy: Policy) -> Route:
    record = routing.legacy(physician, payload.legacy_id)
    registration = routing.registration(physician, record.registration_id)
    primary = routing.institution(registration.primary_institution_id)
    return routing.by_registration(primary, registration, record.id)


def cancel_legacy(effect: Effect, app: Application, payload: MultisiteCancelRequest) -> None:
    record = effect.uow.legacy.get(payload.legacy_id)
    if record is None:
        raise NotFoundError("legacy record", payload.legacy_id)
    effect.uow.legacy.put(attrs.evolve(record, status=FilingStatus.CANCELLED, ended_on=effect.on))
    effect.done["ended"].append(record.id)


MULTISITE_CANCEL: BusinessTypeDeclaration[MultisiteCancelRequest] = BusinessTypeDeclaration(
    business=BusinessType.MULTISITE_CANCEL,
    payload=MultisiteCancelRequest,
    definition=application_lifecycle("multisite_cancel", "申请取消“多地点执业”",
                                     approve_label="准予取消多地点执业",
                                     reject_label="不予取消多地点执业"),
    basis="医师执业注册管理办法第十条（原多地点执业记录只可查询、取消；门户帮助）",
    rules=checked_on(filing.LEGACY_RULES),
    route=route,
    confirms="该注册的主要执业机构 (the registration's primary institution; [I])",
    decides="准予该注册的卫生健康主管部门 (the registering department; [I])",
    effects={"approve": cancel_legacy},
    materials=(materials.CONFIRMED_ONLINE,),
    decision_period=periods.FILING_PERIOD,
)

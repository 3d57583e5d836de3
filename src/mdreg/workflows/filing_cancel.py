"""多执业机构取消备案 — cancelling an active filing.

Confirmed by the filed institution; decided by the department that approved the filing. On
approval the filing ends (cancelled).
"""

from __future__ import annotations

from mdreg.domain.application import Application, BusinessType, FilingCancelRequest
from mdreg.domain.model import FilingStatus, Physician
from mdreg.errors import NotFoundError
from mdreg.rules import filing
from mdreg.rules.policy import Policy
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing


def route(routing: Routing, physician: Physician, payload: FilingCancelRequest,
          policy: Policy) -> Route:
    found = routing.filing(physician, payload.filing_id)
    return Route(routing.institution(found.institution_id), routing.department(found.approved_by),
                 found.id)


def cancel_filing(effect: Effect, app: Application, payload: FilingCancelRequest) -> None:
    found = effect.uow.filings.get(payload.filing_id)
    if found is None:
        raise NotFoundError("filing", payload.filing_id)
    effect.end_filings((found,), FilingStatus.CANCELLED)


FILING_CANCEL: BusinessTypeDeclaration[FilingCancelRequest] = BusinessTypeDeclaration(
    business=BusinessType.FILING_CANCEL,
    payload=FilingCancelRequest,
    definition=application_lifecycle("filing_cancel", "多执业机构取消备案",
                                     approve_label="准予取消备案", reject_label="不予取消备案"),
    basis="医师执业注册管理办法第十条（备案的取消；[I]）",
    rules=checked_on(filing.FILING_CANCEL_RULES),
    route=route,
    confirms="备案的执业机构 (the filed institution)",
    decides="批准该备案的卫生健康主管部门 (the department that approved the filing; [I])",
    effects={"approve": cancel_filing},
    materials=(materials.CONFIRMED_ONLINE,),
    decision_period=periods.FILING_PERIOD,
)

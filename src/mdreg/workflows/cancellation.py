"""注销 — cancellation of a registration (医师法 Art 17; 2017 measures Art 18).

Applied for by the physician or by the primary institution; confirmed by the primary
institution; decided by the department that granted the registration. The ground is reported
within 30 days of becoming known (R-CAN-3: a late report is recorded, not refused); a
voluntary cancellation (本人主动申请) has no report period. Person-wide
grounds end every registration of the physician (policy parameter ``person_wide_cancellation``);
the cancellation is announced (医师法 Art 21).
"""

from __future__ import annotations

from mdreg.domain.application import (
    PERSON_WIDE_GROUNDS,
    REPORTED_GROUNDS,
    Application,
    BusinessType,
    CancellationRequest,
)
from mdreg.domain.clock import business_date
from mdreg.domain.deadlines import cancellation_report_due
from mdreg.domain.model import Physician
from mdreg.rules import cancellation, target
from mdreg.rules.policy import Policy
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing

RULES = target.RULES + cancellation.RULES


def route(routing: Routing, physician: Physician, payload: CancellationRequest,
          policy: Policy) -> Route:
    registration = routing.registration(physician, payload.registration_id)
    primary = routing.institution(registration.primary_institution_id)
    return routing.by_registration(primary, registration, registration.id)


def cancel(effect: Effect, app: Application, payload: CancellationRequest) -> None:
    """The registration (or, for a person-wide ground, every registration) is cancelled; a
    revoked certificate or a failed re-assessment goes on the physician's record, so that a new
    注册 is refused within two years or one (R-REG-4, R-REG-5)."""
    effect.cancel(app.physician_id, payload.registration_id,
                  payload.ground in PERSON_WIDE_GROUNDS)
    effect.record_ground(app.physician_id, payload.ground, payload.ground_known_on)


def report_deadline(app: Application, payload: CancellationRequest,
                    policy: Policy) -> dict[str, list[str]]:
    """R-CAN-3: the report is due 30 days after the ground was known; a late one is flagged.
    A voluntary cancellation (本人主动申请) reports nothing, so it has no report period."""
    if payload.ground not in REPORTED_GROUNDS:
        return {}
    due = cancellation_report_due(payload.ground_known_on, policy.parameters)
    reported = business_date(app.submitted_at) if app.submitted_at else app.application_date
    return {"report_due": [due.isoformat()], "reported_late": [str(reported > due)]}


CANCELLATION: BusinessTypeDeclaration[CancellationRequest] = BusinessTypeDeclaration(
    business=BusinessType.CANCELLATION,
    payload=CancellationRequest,
    definition=application_lifecycle("cancellation", "注销", approve_label="准予注销",
                                     reject_label="不予注销"),
    basis="医师法第十七条、第二十一条；医师执业注册管理办法第十八条",
    rules=checked_on(RULES),
    route=route,
    confirms="主要执业机构 (the registration's primary institution)",
    decides="准予该注册的卫生健康主管部门 (医师法 Art 17)",
    effects={"approve": cancel},
    institution_may_apply=True,
    facts={"submit": report_deadline},
    materials=(materials.CONFIRMED_ONLINE, materials.PRACTICE_CERTIFICATE),
    decision_period=periods.CANCELLATION_PERIOD,
)

"""补办执业证书 — a business type declared outside mdreg, as a host would (docs/architecture.md).

Run it: ``python examples/certificate_reissue.py``.

A physician whose practice certificate was lost or damaged asks for a new one; the primary
institution confirms, the department that granted the registration decides, and on approval the
registration gets a new certificate number. (An illustration of the extension point: the steps
are modelled on 注册; this is not one of the nine business types of the portal.)
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import attrs

import mdreg
from mdreg import (
    Account,
    Actor,
    Category,
    DivisionCode,
    HealthDepartment,
    Institution,
    InstitutionKind,
    Level,
    Physician,
    Qualification,
    RegistrationRequest,
    ResidentId,
)
from mdreg.domain.application import Application, BusinessType
from mdreg.domain.model import RegistrationStatus
from mdreg.rules import EligibilityContext, Rule, Violation
from mdreg.rules.citations import REGISTRATION_MEASURES
from mdreg.rules.policy import Policy
from mdreg.workflows import BusinessTypeDeclaration, Material, base_policy, checked_on, register
from mdreg.workflows.effects import Effect
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.routing import Route, Routing

REISSUE_TYPE = BusinessType.define("certificate_reissue", "补办执业证书")


@attrs.frozen
class ReissueRequest:
    """补办 payload: the registration whose certificate is replaced, and why."""

    registration_id: str
    reason: str


class ReissueNeedsValidRegistration(Rule[ReissueRequest]):
    """只有有效的执业注册才能补办执业证书."""

    id = "reissue.valid_registration"
    label = "补办执业证书须有有效的执业注册"
    title = "A certificate is reissued only for a valid registration"
    citations = (REGISTRATION_MEASURES.article("第二十二条", "S3"),)
    fix = "先办理注册"

    def check(self, ctx: EligibilityContext[ReissueRequest]) -> Iterator[Violation]:
        registration = ctx.registration_named(ctx.payload.registration_id)
        if registration is None or registration.status is not RegistrationStatus.VALID:
            yield self.violation("该执业注册不是有效状态", "the registration is not valid",
                                 registration=ctx.payload.registration_id)


def route(routing: Routing, physician: Physician, payload: ReissueRequest,
          policy: Policy) -> Route:
    registration = routing.registration(physician, payload.registration_id)
    primary = routing.institution(registration.primary_institution_id)
    return routing.by_registration(primary, registration, registration.id)


def reissue(effect: Effect, app: Application, payload: ReissueRequest) -> None:
    """The registration gets a new certificate number."""
    old = effect.registration(payload.registration_id)
    effect.change_registration(attrs.evolve(old, certificate_no=effect.ids.certificate_no()))


REISSUE: BusinessTypeDeclaration[ReissueRequest] = BusinessTypeDeclaration(
    business=REISSUE_TYPE,
    payload=ReissueRequest,
    definition=application_lifecycle("certificate_reissue", "补办执业证书",
                                     approve_label="准予补办", reject_label="不予补办"),
    basis="医师执业注册管理办法第二十二条（示例）",
    rules=checked_on([ReissueNeedsValidRegistration()]),
    route=route,
    confirms="主要执业机构 (the primary institution)",
    decides="准予该注册的卫生健康主管部门 (the department that granted the registration)",
    effects={"approve": reissue},
    materials=(Material("遗失声明", "a published notice of the loss"),),
)


def open_demo(url: str, policy: Policy) -> mdreg.Registry:
    """A registry at ``url`` with one department, one hospital and one physician with an active
    portal account (the clock stands at 2026-03-02)."""
    clock = mdreg.FakeClock(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    registry = mdreg.open(url, clock=clock, policy=policy)
    registry.load(
        departments=[HealthDepartment("D110105", "朝阳区卫生健康委员会", DivisionCode("110105"))],
        institutions=[Institution("I1", "朝阳医院", DivisionCode("110105"),
                                  InstitutionKind.MEDICAL, approved_by="D110105")],
        physicians=[Physician("P1", "张三", ResidentId.parse("11010519491231002X"),
                              (Qualification("Q1", Level.PHYSICIAN, Category.CLINICAL,
                                             date(2025, 9, 1)),))],
        accounts=[Account.imported("U1", "P1", "zhangsan", at=clock.now())],
    )
    return registry


def decide(registry: mdreg.Registry, payload: object) -> mdreg.Application:
    """Apply as the physician; the hospital confirms, the department accepts and approves."""
    app = registry.apply(Actor.physician("P1"), payload)  # type: ignore[arg-type]
    for event, actor in (("confirm", Actor.institution("I1")),
                         ("accept", Actor.authority("D110105")),
                         ("approve", Actor.authority("D110105"))):
        app = registry.fire(app.id, event, actor)
    return app


def main() -> None:
    """Declare the type, then run a 注册 and a 补办 through the real engine in memory."""
    remove = register(REISSUE)
    try:
        registry = open_demo("memory://", base_policy())
        first = decide(registry, RegistrationRequest("I1", "Q1", ("内科专业",)))
        print(f"{first.type.label}: {first.state}")
        (registration,) = registry.registrations("P1")
        app = decide(registry, ReissueRequest(registration.id, "遗失"))
        print(f"{app.type.label}: {app.state}")
        print("events:", " → ".join(e.event for e in registry.history(app.id)))
    finally:
        remove()


if __name__ == "__main__":
    main()

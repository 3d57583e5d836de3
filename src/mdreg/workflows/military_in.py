"""军队变更入 — a military physician moves into civilian practice (解放军实施《执业医师法》办法 Art 9).

Like 注册: confirmed by the intended institution, decided by the department that decides for it,
a new civilian registration on approval. The applicant hands back the military certificate and
brings the original military registering organ's proof, which states the military registration
(R-MIL-2, R-MIL-3); the rules of 注册 apply — a late first registration (R-REG-7), a return after
two years without practice, counted from the end of military practice (R-REG-8), the refusal
grounds, practice locations, scopes, 个体行医 (R-IND-1, R-AST-1).
"""

from __future__ import annotations

from typing import Any

from mdreg.domain.application import BusinessType, MilitaryInRequest
from mdreg.rules import individual_practice, qualification, refusal, scope, upgrade_military
from mdreg.rules import practice_location as location_rules
from mdreg.rules.base import Rule
from mdreg.workflows import materials, periods
from mdreg.workflows.declaration import BusinessTypeDeclaration, checked_on
from mdreg.workflows.lifecycle import application_lifecycle
from mdreg.workflows.registration import add_registration, route_new_registration

RULES: tuple[Rule[Any], ...] = (
    *upgrade_military.MILITARY_IN_RULES,
    *qualification.RULES,
    *refusal.RULES,
    *location_rules.RULES,
    *scope.RULES,
    *individual_practice.RULES,
)

MILITARY_IN: BusinessTypeDeclaration[MilitaryInRequest] = BusinessTypeDeclaration(
    business=BusinessType.MILITARY_IN,
    payload=MilitaryInRequest,
    definition=application_lifecycle("military_in", "军队变更入", approve_label="准予转入",
                                      reject_label="不予转入"),
    basis="中国人民解放军实施《执业医师法》办法第九条；医师法第十三条",
    rules=checked_on(RULES),
    route=route_new_registration,
    confirms="拟执业机构 (the intended primary institution)",
    decides="县级以上地方卫生健康主管部门，实践中为批准拟执业机构的部门 (S6 Art 9)",
    effects={"approve": add_registration},
    materials=(materials.APPLICATION_FORM, materials.PHOTO, materials.EMPLOYMENT_PROOF,
               materials.QUALIFICATION_CERTIFICATE, materials.MILITARY_PROOF),
    decision_period=periods.MILITARY_IN_PERIOD,
)

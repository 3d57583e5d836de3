"""A province's policy on top of mdreg's base policy — without editing mdreg.

It adds one scope, switches one inferred rule off, and adds one rule of its own. Run it to see
the difference from the base policy and a few submissions judged by it:

    python examples/province_policy.py
    mdreg rules diff base examples/province_policy.py:POLICY
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from mdreg import BusinessType, FilingRequest, Level, RegistrationRequest
from mdreg.rules import EligibilityContext, Instrument, Rule, Violation
from mdreg.rules.export import diff, export
from mdreg.testing.scenario import Scenario
from mdreg.workflows import BASE_POLICY

#: An illustrative provincial notice; a real province cites its own document here.
NOTICE = Instrument("example_province_notice", "（示例）省级多机构执业管理通知",
                    "Example provincial notice on multi-institution practice (illustrative)",
                    effective_from=date(2026, 1, 1))


class AtMostTwoFilings(Rule[FilingRequest]):
    """本省执业医师的有效多执业机构备案不超过两个（示例）."""

    id = "example_province.at_most_two_filings"
    ref = "PROV-1"
    label = "有效多执业机构备案不超过两个"
    title = "At most two active filings per physician (example provincial rule)"
    citations = (NOTICE.article("第三条"),)
    effective_from = date(2026, 1, 1)
    fix = "先取消一个已有的备案"

    def check(self, ctx: EligibilityContext[FilingRequest]) -> Iterator[Violation]:
        active = [f for f in ctx.filings if f.is_active]
        if len(active) >= 2:
            yield self.violation(f"已有{len(active)}个有效备案", f"{len(active)} active filings exist")


FILING_EVENTS = ("submit", "resubmit", "supplement", "approve")

POLICY = BASE_POLICY.override(
    "example-province",
    add={(BusinessType.FILING, event): (AtMostTwoFilings(),) for event in FILING_EVENTS},
    switch_off=["filing.scope_within_registration"],
    extra_scopes={"clinical": ("老年医学专业",)},
)


def main() -> None:
    changes = diff(export(BASE_POLICY), export(POLICY))
    print(f"{changes['before']} → {changes['after']}")
    for change in changes["rules"]:
        print(f"  rule {change['rule']}: {change['change']}")
    for name, values in changes["parameters"].items():
        print(f"  parameter {name}: {values['before']} → {values['after']}")

    scenario = Scenario(policy=POLICY)
    hospital = scenario.institution("330106")
    doctor = scenario.physician(level=Level.PHYSICIAN)
    number = doctor.qualifications[0].certificate_no
    outcome = scenario.applies(doctor, RegistrationRequest(hospital.id, number, ("老年医学专业",)))
    print(f"注册 with the province's extra scope 老年医学专业: passed={outcome.verdict.passed}")
    outcome.approved()
    home = scenario.registry.registrations(doctor.id)[0]
    for code in ("330102", "330108"):
        scenario.world.filing(home, scenario.institution(code))
    third = scenario.applies(doctor, FilingRequest(
        home.id, scenario.institution("330109").id, ("老年医学专业",),
        valid_from=date(2026, 3, 2), valid_to=date(2027, 3, 1)))
    print(f"a third filing is refused by {list(third.rule_ids)}")


if __name__ == "__main__":
    main()

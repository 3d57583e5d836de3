"""审批期限 — the decision period of each business type, and its basis, by application date.

A licence decision has a statutory period. Under the 执业医师法 (applications dated up to
2022-02-28) the department decided a registration **within 30 days from receipt of the
application** (自收到申请之日起三十日内, Art 13; a change followed Art 13 by Art 17). The law says
日 and sets no working-day rule of its own; the 行政许可法 counts working days only for the
periods it sets itself (Art 82), and gives way to another law's period (Art 42). So these are
**calendar days**, counted from the day the materials reached the department. Under the 医师法
(from 2022-03-01) it is **20 working days from acceptance** (自受理申请之日起二十个工作日内, Art 13;
a change: Art 18, 依照本法规定).

注销, 备案 and the other business types are not licence decisions with a period of their own: the
医师法 asks for a cancellation "promptly" (及时, Art 17), and the 2017 measures set no period for
a 备案 (Art 10). For them the policy parameter ``decision_working_days_without_statute`` (default
20) is a service target, tag [I], recorded as such; set it to ``None`` to open no decision
deadline for them.

>>> from datetime import date
>>> from mdreg.rules.policy import PARAMETERS
>>> defaults = {name: p.default for name, p in PARAMETERS.items()}
>>> print(LICENCE.on(date(2021, 6, 1), defaults))
30日，自收到申请之日起（《中华人民共和国执业医师法》第十三条）
>>> print(LICENCE.on(date(2022, 3, 1), defaults))
20工作日，自受理申请之日起（《中华人民共和国医师法》第十三条）
>>> FILING_PERIOD.on(date(2026, 1, 5), defaults).statutory
False
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Protocol

import attrs

from mdreg.domain.deadlines import DecisionPeriod, PeriodStart, PeriodUnit
from mdreg.rules.base import Citation
from mdreg.rules.citations import (
    PHYSICIANS_LAW,
    PLA_MEASURES,
    PRACTISING_PHYSICIANS_LAW,
    REGISTRATION_MEASURES,
)


class DecisionBasis(Protocol):
    """What a business type's decision period rests on."""

    def on(self, day: date, parameters: Mapping[str, Any]) -> DecisionPeriod | None:
        """The period of an application dated ``day`` (``None``: no decision deadline)."""

    def describe(self) -> str:
        """The basis in a sentence, for the generated pages."""


def _cited(citations: tuple[Citation, ...]) -> str:
    return "；".join(str(c) for c in citations)


@attrs.frozen
class Statutory:
    """A licence decision: the 执业医师法's period before 2022-03-01, the 医师法's from then on."""

    before_2022: tuple[Citation, ...]
    since_2022: tuple[Citation, ...]

    def on(self, day: date, parameters: Mapping[str, Any]) -> DecisionPeriod:
        if day < PHYSICIANS_LAW.effective_from:
            return DecisionPeriod(int(parameters["decision_days_before_2022"]),
                                  PeriodUnit.CALENDAR_DAYS, PeriodStart.RECEIPT,
                                  _cited(self.before_2022))
        return DecisionPeriod(int(parameters["decision_working_days"]), PeriodUnit.WORKING_DAYS,
                              PeriodStart.ACCEPTANCE, _cited(self.since_2022))

    def describe(self) -> str:
        return (f"dated before 2022-03-01: 30 days from receipt ({_cited(self.before_2022)}); "
                f"from 2022-03-01: 20 working days from acceptance ({_cited(self.since_2022)})")


@attrs.frozen
class WithoutStatute:
    """No law sets a decision period: the policy's service target applies, tag [I]."""

    reason: str

    def on(self, day: date, parameters: Mapping[str, Any]) -> DecisionPeriod | None:
        length = parameters.get("decision_working_days_without_statute")
        if length is None:
            return None
        return DecisionPeriod(int(length), PeriodUnit.WORKING_DAYS, PeriodStart.ACCEPTANCE,
                              f"[I] {self.reason}；服务时限 (policy service target)",
                              statutory=False)

    def describe(self) -> str:
        return (f"[I] no statutory period ({self.reason}): the policy's service target "
                "(decision_working_days_without_statute; the base policy's is 20 working days "
                "from acceptance)")

    def describe_under(self, parameters: Mapping[str, Any]) -> str:
        """:meth:`describe`, with the service target ``parameters`` set (or that there is none)."""
        length = parameters.get("decision_working_days_without_statute")
        target = ("no decision deadline" if length is None
                  else f"{int(length)} working days from acceptance")
        return (f"[I] no statutory period ({self.reason}): the policy's service target "
                f"(decision_working_days_without_statute): {target}")


#: A business type that declares no decision period.
UNDECLARED = WithoutStatute("no decision period declared")
#: 注册, 助理医师升执业医师: a registration (执业医师法 Art 13; 医师法 Art 13).
LICENCE = Statutory((PRACTISING_PHYSICIANS_LAW.article("第十三条", "S2"),),
                    (PHYSICIANS_LAW.article("第十三条", "S1"),))
#: 变更: a change registration "according to Art 13" (执业医师法 Art 17; 医师法 Art 18).
CHANGE_PERIOD = Statutory((PRACTISING_PHYSICIANS_LAW.article("第十七条、第十三条", "S2"),),
                          (PHYSICIANS_LAW.article("第十八条、第十三条", "S1"),))
#: 军队变更入: a change registration at the local department (PLA measures Art 9).
MILITARY_IN_PERIOD = Statutory(
    (PLA_MEASURES.article("第九条", "S6"), PRACTISING_PHYSICIANS_LAW.article("第十七条、第十三条", "S2")),
    (PLA_MEASURES.article("第九条", "S6"), PHYSICIANS_LAW.article("第十八条、第十三条", "S1")))
#: 注销: cancelled promptly (及时), no period in days.
CANCELLATION_PERIOD = WithoutStatute(
    f"注销应当及时办理，未规定期限：{PHYSICIANS_LAW.article('第十七条第二款')}")
#: 多执业机构备案 and its cancellation, 取消多地点执业: a 备案 is not a licence decision.
FILING_PERIOD = WithoutStatute(
    f"备案不是行政许可，未规定办理期限：{REGISTRATION_MEASURES.article('第十条')}")
#: 变更到军队: the local department certifies the move and ends the local registration.
MILITARY_OUT_PERIOD = WithoutStatute(
    f"原注册机关出具证明，未规定期限：{PLA_MEASURES.article('第十条')}")

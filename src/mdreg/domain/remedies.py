"""救济途径 — what a written refusal must tell the applicant: the reasons and the remedies.

A department that refuses a licence (不予注册, 不予受理 …) does so in writing, with its reasons, and
tells the applicant of the right to apply for administrative reconsideration or to sue
(行政许可法 Art 38 para 2; 医师法 Art 16: 书面通知申请人，并说明理由). :class:`Refusal` is what such
a decision carries — the decision, the written reason, the rules not met, the parties to notify
and the remedies with their last days — so a notice can be written from it at any later time.

>>> refusal = Refusal("不予注册", "A1", date(2026, 3, 16), "材料不实", ("refusal.exam_fraud",),
...                   ("参与有组织作弊",), ("physician:P1", "institution:I1"))
>>> [(r.label, refusal.last_day(r).isoformat()) for r in refusal.remedies]
[('行政复议', '2026-05-15'), ('行政诉讼', '2026-09-16')]
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

import attrs

from mdreg.domain.dates import add_months
from mdreg.domain.law import Citation, Instrument

#: The instrument rules cite too (:mod:`mdreg.rules.citations` takes it from here).
LICENSING_LAW = Instrument(
    "administrative_licensing_law",
    "中华人民共和国行政许可法",
    "Administrative Licensing Law of the PRC",
    effective_from=date(2004, 7, 1),
    document_no="中华人民共和国主席令第七号",
    note="adopted 2003-08-27, amended 2019-04-23; articles are cited from the 2019 text",
)
RECONSIDERATION_LAW = Instrument(
    "administrative_reconsideration_law", "中华人民共和国行政复议法",
    "Administrative Reconsideration Law of the PRC", effective_from=date(1999, 10, 1))
LITIGATION_LAW = Instrument(
    "administrative_litigation_law", "中华人民共和国行政诉讼法",
    "Administrative Litigation Law of the PRC", effective_from=date(1990, 10, 1))


@attrs.frozen
class Remedy:
    """A remedy against a refusal and the time within which it is taken, counted from the day
    the applicant learns of the decision (知道或者应当知道该行政行为之日)."""

    key: str
    label: str
    english: str
    time_limit: str
    citation: Citation
    days: int = 0
    months: int = 0

    def last_day(self, known_on: date) -> date:
        """The last day to take this remedy when the decision was known on ``known_on``."""
        if self.months:
            return add_months(known_on, self.months)
        return known_on + timedelta(days=self.days)


RECONSIDERATION = Remedy(
    "reconsideration", "行政复议", "administrative reconsideration",
    "自知道或者应当知道该行政行为之日起六十日内提出行政复议申请",
    RECONSIDERATION_LAW.article("第二十条"), days=60)
LITIGATION = Remedy(
    "litigation", "行政诉讼", "administrative litigation",
    "自知道或者应当知道作出行政行为之日起六个月内向人民法院提起诉讼",
    LITIGATION_LAW.article("第四十六条"), months=6)

#: Every remedy a refusal names, in the order a notice lists them.
REMEDIES: tuple[Remedy, ...] = (RECONSIDERATION, LITIGATION)
#: Why a refusal carries reasons and remedies.
BASIS: tuple[Citation, ...] = (LICENSING_LAW.article("第三十八条第二款"),)


@attrs.frozen
class Refusal:
    """A written refusal: what was decided, on which application and day, why (the written
    reason and the rules not met, by id, with their findings), whom it is sent to (the
    applicant and the institution, as ``kind:id``) and the remedies."""

    decision: str
    application_id: str
    decided_on: date
    reason: str
    rules: tuple[str, ...] = ()
    findings: tuple[str, ...] = ()
    notify: tuple[str, ...] = ()
    remedies: tuple[Remedy, ...] = REMEDIES
    basis: tuple[Citation, ...] = BASIS

    def last_day(self, remedy: Remedy) -> date:
        """The last day of ``remedy``, counting from the decision day (the earliest day the
        applicant can know it; a notice served later extends it)."""
        return remedy.last_day(self.decided_on)

    def data(self) -> dict[str, list[str]]:
        """The refusal as audit data (stored with the decision, in the same transaction)."""
        return {"refused_by": list(self.rules), "findings": list(self.findings),
                "notify": list(self.notify), "remedies": [r.key for r in self.remedies],
                "remedy_until": [self.last_day(r).isoformat() for r in self.remedies]}

    @classmethod
    def from_data(cls, decision: str, application_id: str, decided_on: date, reason: str,
                  data: Mapping[str, list[str]]) -> Refusal:
        """The refusal a decision's audit data recorded (see :meth:`data`)."""
        by_key = {r.key: r for r in REMEDIES}
        return cls(decision, application_id, decided_on, reason,
                   tuple(data.get("refused_by", ())), tuple(data.get("findings", ())),
                   tuple(data.get("notify", ())),
                   tuple(by_key[k] for k in data.get("remedies", ()) if k in by_key))

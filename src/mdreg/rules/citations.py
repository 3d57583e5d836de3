"""法律依据 — the legal instruments rules cite: document numbers, where published, periods in force.

A citation's source tag (S1…) names the instrument's text the citation was checked against;
the documentation's generated page ``reference/sources`` lists them. An instrument's period is
what a rule citing it inherits (:class:`mdreg.rules.Rule`): a rule is in force only while every
instrument it cites is. A document number or a URL that could not be established is left empty.

>>> PRACTISING_PHYSICIANS_LAW.period, PRACTISING_PHYSICIANS_LAW.replaced_by
('1999-05-01 – 2022-02-28', 'physicians_law_2021')
>>> [i.document_no for i in (PHYSICIANS_LAW, REGISTRATION_MEASURES)]
['中华人民共和国主席令第九十四号', '国家卫生计生委令第13号']
"""

from __future__ import annotations

from datetime import date, timedelta

from mdreg.domain.remedies import LICENSING_LAW as LICENSING_LAW
from mdreg.rules.base import Instrument

PHYSICIANS_LAW = Instrument(
    "physicians_law_2021",
    "中华人民共和国医师法",
    "Physicians Law of the PRC (2021)",
    effective_from=date(2022, 3, 1),
    document_no="中华人民共和国主席令第九十四号",
    note="adopted 2021-08-20; Art 67 repeals the 执业医师法 on the day it takes effect",
)
PRACTISING_PHYSICIANS_LAW = Instrument(
    "practising_physicians_law_1998",
    "中华人民共和国执业医师法",
    "Law of the PRC on Practising Doctors (1998)",
    effective_from=date(1999, 5, 1),
    effective_until=date(2022, 2, 28),
    document_no="中华人民共和国主席令第五号",
    replaced_by="physicians_law_2021",
    note="adopted 1998-06-26; repealed when the 医师法 took effect (医师法 Art 67)",
)
INTERIM_REGISTRATION_MEASURES = Instrument(
    "registration_measures_1999",
    "医师执业注册暂行办法",
    "Interim Measures for Physician Practice Registration (1999)",
    effective_from=date(1999, 7, 16),
    effective_until=date(2017, 3, 31),
    url="http://www.xuecheng.gov.cn/zwgk/gzdt/bmywgz/200901/t20090101_556267.html",
    document_no="卫生部令第5号",
    replaced_by="registration_measures_2017",
    note="in force on issue; repealed when the 2017 measures took effect",
)
REGISTRATION_MEASURES = Instrument(
    "registration_measures_2017",
    "医师执业注册管理办法",
    "Measures for the Administration of Physician Practice Registration (NHFPC Order 13)",
    effective_from=date(2017, 4, 1),
    document_no="国家卫生计生委令第13号",
    note="adopted 2017-02-03 under the 执业医师法; the 医师法 prevails where they differ",
)
SCOPE_RULES = Instrument(
    "scope_rules_2001",
    "关于医师执业注册中执业范围的暂行规定",
    "Interim Provisions on Practice Scopes in Physician Registration (2001)",
    effective_from=date(2001, 6, 20),
    document_no="卫医发〔2001〕169号",
    note="issued by 卫生部 and 国家中医药管理局; later amendments of the scope lists not "
         "established",
)
PLA_MEASURES = Instrument(
    "pla_measures_2000",
    "中国人民解放军实施《执业医师法》办法",
    "Measures of the PLA for Implementing the Law on Practising Doctors (Order 290)",
    effective_from=date(2000, 9, 14),
    document_no="国务院、中央军事委员会令第290号",
    note="in force on publication (Art 23); 医师法 Art 65 announces new measures for the army",
)
ASSESSMENT_MEASURES = Instrument(
    "assessment_measures_2007",
    "医师定期考核管理办法",
    "Measures for the Periodic Assessment of Physicians (2007)",
    effective_from=date(2007, 5, 1),
    document_no="卫医发〔2007〕66号",
    note="its successor, the 医师定期考核办法 (2023), was not read: no end date is recorded",
)
PORTAL_HELP = Instrument(
    "portal_help",
    "医师电子化注册系统个人端帮助",
    "Help page and FAQ of the physician electronic registration personal portal",
    effective_from=date(2017, 4, 1),
    note="not a legal instrument: what the national system does; electronic registration "
         "runs under the 2017 measures (Art 4), whose start it takes",
)

ALL = (
    PHYSICIANS_LAW,
    PRACTISING_PHYSICIANS_LAW,
    INTERIM_REGISTRATION_MEASURES,
    REGISTRATION_MEASURES,
    SCOPE_RULES,
    LICENSING_LAW,
    PLA_MEASURES,
    ASSESSMENT_MEASURES,
    PORTAL_HELP,
)
#: Every instrument by key.
BY_KEY = {instrument.key: instrument for instrument in ALL}


def before(instrument: Instrument) -> date:
    """The last day before ``instrument`` took effect: the end of a rule's version that the
    instrument's arrival changes.

    >>> before(REGISTRATION_MEASURES)
    datetime.date(2017, 3, 31)
    """
    return instrument.effective_from - timedelta(days=1)

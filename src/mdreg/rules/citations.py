"""法律依据 — the legal instruments rules cite, with the periods they were in force.

A citation's source tag (S1…) names the instrument's text the citation was checked against;
the documentation's generated page ``reference/sources`` lists them.
"""

from __future__ import annotations

from datetime import date

from mdreg.rules.base import Instrument

PHYSICIANS_LAW = Instrument(
    "physicians_law_2021",
    "中华人民共和国医师法",
    "Physicians Law of the PRC (2021)",
    effective_from=date(2022, 3, 1),
)
PRACTISING_PHYSICIANS_LAW = Instrument(
    "practising_physicians_law_1998",
    "中华人民共和国执业医师法",
    "Law of the PRC on Practising Doctors (1998)",
    effective_from=date(1999, 5, 1),
    effective_until=date(2022, 2, 28),
)
REGISTRATION_MEASURES = Instrument(
    "registration_measures_2017",
    "医师执业注册管理办法",
    "Measures for the Administration of Physician Practice Registration (NHFPC Order 13)",
    effective_from=date(2017, 4, 1),
)
SCOPE_RULES = Instrument(
    "scope_rules_2001",
    "关于医师执业注册中执业范围的暂行规定",
    "Interim Provisions on Practice Scopes in Physician Registration (2001)",
    effective_from=date(2001, 6, 20),
)
LICENSING_LAW = Instrument(
    "administrative_licensing_law",
    "中华人民共和国行政许可法",
    "Administrative Licensing Law of the PRC",
    effective_from=date(2004, 7, 1),
)
PLA_MEASURES = Instrument(
    "pla_measures_2000",
    "中国人民解放军实施《执业医师法》办法",
    "Measures of the PLA for Implementing the Law on Practising Doctors (Order 290)",
    effective_from=date(2000, 9, 14),
)
ASSESSMENT_MEASURES = Instrument(
    "assessment_measures_2007",
    "医师定期考核管理办法",
    "Measures for the Periodic Assessment of Physicians (2007)",
    effective_from=date(2007, 5, 1),
)
PORTAL_HELP = Instrument(
    "portal_help",
    "医师电子化注册系统个人端帮助",
    "Help page of the physician electronic registration personal portal",
    effective_from=date(2017, 4, 1),
)

ALL = (
    PHYSICIANS_LAW,
    PRACTISING_PHYSICIANS_LAW,
    REGISTRATION_MEASURES,
    SCOPE_RULES,
    LICENSING_LAW,
    PLA_MEASURES,
    ASSESSMENT_MEASURES,
    PORTAL_HELP,
)

"""What a refused physician is told: the exact message, facts and fix of representative
violations (the 'eligible from' date and the Chinese wording of years included), and what a
missing working-day calendar says."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import attrs
import pytest
from test_rule_properties import context

from mdreg import DivisionCode, Level, Record, RecordKind
from mdreg.domain.calendar import ChineseCalendar, WeekendFallback
from mdreg.errors import CalendarDataMissing
from mdreg.rules import Rule
from mdreg.rules.account import AccountActive
from mdreg.rules.practice_location import AssistantCountyLocation
from mdreg.rules.refusal import (
    CancelledForFailedAssessment,
    CertificateRevoked,
    CriminalPunishment,
    RegistrationRevoked,
)

AS_OF = date(2026, 3, 2)
ON = date(2025, 6, 1)


def told(rule: Rule, **kw: object) -> list[tuple[str, dict[str, str], str]]:
    ctx = kw.pop("ctx", None) or context(AS_OF, **kw)  # type: ignore[arg-type]
    return [(v.message, dict(v.facts), v.fix) for v in rule.check(ctx)]


def test_a_completed_sentence_says_when_the_physician_may_apply_again() -> None:
    assert told(CriminalPunishment(), records=(
        Record(RecordKind.CRIMINAL_SENTENCE, date(2020, 1, 1), ON),)) == [(
            "刑罚于2025-06-01执行完毕，至申请日不满二年",
            {"completed_on": "2025-06-01", "eligible_from": "2027-06-01"},
            "刑罚执行完毕满二年且禁业期届满后再申请")]


@pytest.mark.parametrize(("rule", "message", "eligible", "fix"), [
    (CancelledForFailedAssessment(), "2025-06-01因考核不合格被注销注册，至申请日不满一年",
     "2026-06-01", "注销满一年后再申请"),
    (CertificateRevoked(), "2025-06-01被吊销医师执业证书，至申请日不满二年", "2027-06-01",
     "自处罚决定之日起满二年后再申请"),
    (RegistrationRevoked(), "2025-06-01以不正当手段取得注册被撤销，至申请日不满三年",
     "2028-06-01", "撤销决定满三年后再申请"),
], ids=["one_year", "two_years", "three_years"])
def test_a_refusal_for_a_record_names_its_years_in_chinese_and_the_day_it_ends(
        rule: CertificateRevoked, message: str, eligible: str, fix: str) -> None:
    assert told(rule, records=(Record(rule.kind, ON),)) == [
        (message, {"since": "2025-06-01", "eligible_from": eligible}, fix)]


def test_an_inactive_account_is_named_with_its_state() -> None:
    assert told(AccountActive(), ctx=attrs.evolve(context(AS_OF), account_state="verified")) == [(
        "个人账户未激活（verified）", {"account_state": "verified"},
        "先激活个人账户（机构激活码、资格证书编码或机构自动激活）")]


def test_an_assistant_at_a_province_level_institution_is_told_the_division() -> None:
    assert told(AssistantCountyLocation(), level=Level.ASSISTANT,
                division=DivisionCode("110000")) == [(
        "拟执业机构的行政区划代码110000不是县级，无法确定执业地点", {"division": "110000"},
        "选择登记在县级行政区划的执业机构")]


# -- the working-day calendar -------------------------------------------------------------------


def test_a_year_without_calendar_data_names_the_year_and_the_way_to_add_it() -> None:
    with pytest.raises(CalendarDataMissing) as missing:
        ChineseCalendar().is_workday(date(2099, 3, 2))
    assert missing.value.year == 2099
    assert str(missing.value) == (
        "no working-day data for 2099; add the State Council holiday notice for 2099 to the "
        "calendar override table (put a [years.2099] table (holidays, workdays) in a TOML file "
        "and load it with ChineseCalendar.from_toml(path); see docs/calendar.md)")


def test_from_toml_keeps_its_fallback(tmp_path: Path) -> None:
    path = tmp_path / "calendar.toml"
    path.write_text('[years.2098]\nholidays = ["2098-01-01"]\n', encoding="utf-8")
    fallback = WeekendFallback()
    calendar = ChineseCalendar.from_toml(path, fallback=fallback)
    assert calendar.fallback is fallback
    assert calendar.is_workday(date(2098, 1, 1)) is False
    assert calendar.is_workday(date(2099, 3, 2)) is True  # a Monday, answered by the fallback
    assert calendar.fallback_years == {2099}
    with pytest.raises(CalendarDataMissing):
        ChineseCalendar.from_toml(path).is_workday(date(2099, 3, 2))

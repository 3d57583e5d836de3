"""The eligibility check of a 注册 ``submit``, written by hand: the baseline of
``eligibility_p99_*``.

It does what ``Registry.check(application_id, "submit")`` does for a 注册, with the raw driver
and plain Python:

reads   the application; the physician, the routed institution and the deciding department; the
        physician's registrations, filings and legacy multi-site records; the physician's
        portal account — one consistent read: on SQLite eight queries in one read transaction
        (``BEGIN`` … ``ROLLBACK``), on PostgreSQL one statement (a ``UNION ALL`` of
        ``row_to_json`` rows, as mdreg reads there), which is one snapshot by itself
rules   the seventeen rules in force for a 注册 ``submit`` (their current versions), on the rows
        parsed from their columns and JSON documents: the portal account; the qualification and
        its category; a late first registration; a return after a suspension; the refusal
        grounds on the physician's record; the assistant's county and single location; one
        primary institution per location; the scopes and their count; practising alone —
        every violation with its messages and facts, as a verdict lists them

What it leaves out is what only a library needs: typed entities, rules as objects with
versions and citations, the policy that selects them, a unit of work. The rules' logic is the
same; :func:`agrees` checks that both sides find the same violations on every application the
benchmark checks.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from benchmarks.command import APP_COLUMNS, FILING_COLUMNS, LEGACY_COLUMNS, REG_COLUMNS

ACCOUNT_COLUMNS = "id, physician_id, login_name, state, version, created_at, updated_at, doc"
PHYSICIAN_COLUMNS = "id, id_number, name, doc"
INSTITUTION_COLUMNS = "id, name, division, kind, approved_by, doc"
DEPARTMENT_COLUMNS = "id, name, division, doc"

#: (table, columns, key column, the key's column in the application's row)
_PARTS = (
    ("physicians", PHYSICIAN_COLUMNS, "id", "physician_id"),
    ("institutions", INSTITUTION_COLUMNS, "id", "institution_id"),
    ("departments", DEPARTMENT_COLUMNS, "id", "department_id"),
    ("registrations", REG_COLUMNS, "physician_id", "physician_id"),
    ("filings", FILING_COLUMNS, "physician_id", "physician_id"),
    ("legacy_sites", LEGACY_COLUMNS, "physician_id", "physician_id"),
    ("accounts", ACCOUNT_COLUMNS, "physician_id", "physician_id"),
)
SQLITE_APPLICATION = f"SELECT {APP_COLUMNS} FROM applications WHERE id = ?"  # noqa: S608
SQLITE_PARTS = tuple(
    f"SELECT {columns} FROM {table} WHERE {key} = ?"  # noqa: S608 - names written here
    + (" ORDER BY id" if key == "physician_id" and table != "accounts" else "")
    for table, columns, key, _ in _PARTS)
_FIRST = (f"SELECT -1 AS part, t.id AS n, row_to_json(t) AS row FROM (SELECT {APP_COLUMNS} "  # noqa: S608
          "FROM applications WHERE id = %(a)s) AS t")
_REST = tuple(
    f"SELECT {n} AS part, t.id AS n, row_to_json(t) AS row FROM (SELECT {columns} "  # noqa: S608
    f"FROM {table} WHERE {key} = (SELECT {column} FROM applications WHERE id = %(a)s)) AS t"
    for n, (table, columns, key, column) in enumerate(_PARTS))
POSTGRES_COMBINED = "\nUNION ALL\n".join((_FIRST, *_REST)) + "\nORDER BY part, n"

# -- the rules' data ------------------------------------------------------------------------------

SCOPES = {
    "clinical": frozenset((
        "内科专业", "外科专业", "妇产科专业", "儿科专业", "眼耳鼻咽喉科专业", "皮肤病与性病专业",
        "精神卫生专业", "职业病专业", "医学影像和放射治疗专业", "医学检验、病理专业", "全科医学专业",
        "急救医学专业", "康复医学专业", "预防保健专业", "特种医学与军事医学专业",
        "计划生育技术服务专业")),
    "dental": frozenset(("口腔专业",)),
    "public_health": frozenset(("公共卫生类别专业",)),
    "tcm": frozenset(("中医专业", "中西医结合专业", "蒙医专业", "藏医专业", "维医专业", "傣医专业")),
}
CHECKED = (
    "account.active", "qualification.held_and_category_matches",
    "qualification.late_first_registration", "qualification.re_registration_assessment",
    "refusal.civil_capacity", "refusal.criminal_punishment", "refusal.certificate_revoked",
    "refusal.failed_assessment_cancellation", "refusal.registration_revoked", "refusal.exam_fraud",
    "practice_location.assistant_county", "practice_location.assistant_single_location",
    "practice_location.one_primary_institution", "scope.belongs_to_category", "scope.count",
    "individual_practice.five_years", "assistant.under_guidance",
)
#: refusal grounds lasting some years after a dated record: kind → (rule, years, label)
SINCE = {
    "certificate_revoked": ("refusal.certificate_revoked", 2, "被吊销医师执业证书"),
    "cancelled_failed_assessment": ("refusal.failed_assessment_cancellation", 1,
                                    "因考核不合格被注销注册"),
    "registration_revoked": ("refusal.registration_revoked", 3, "以不正当手段取得注册被撤销"),
}
FRAUD = {"exam_cheating": "参与有组织作弊", "forged_qualification": "以伪造或他人资格注册"}
CAPACITY = {"limited": "限制民事行为能力", "none": "无民事行为能力"}
MEASURES_2017 = date(2017, 4, 1)


@dataclass(frozen=True)
class Found:
    """One violation: the rule, its messages (Chinese, English) and its facts."""

    rule_id: str
    message: str
    message_en: str
    facts: Mapping[str, str]


def add_years(start: date, years: int) -> date:
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # 29 February
        return start.replace(year=start.year + years, day=28)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


class Divisions:
    """Division levels: province ``PP0000``, prefecture ``PPCC00`` unless listed as a county
    (东莞市 …: the list is data, given when the baseline is built), county otherwise."""

    def __init__(self, county_listed: Iterable[str]) -> None:
        self.county_listed = frozenset(county_listed)

    def level(self, code: str) -> str:
        if code[2:] == "0000":
            return "province"
        if code[4:] == "00" and code not in self.county_listed:
            return "prefecture"
        return "county"

    def contains(self, outer: str, inner: str) -> bool:
        level = self.level(outer)
        if level == "province":
            return inner[:2] == outer[:2]
        if level == "prefecture":
            return inner[:4] == outer[:4]
        return inner == outer


def evaluate(rows: Mapping[str, list[tuple[Any, ...]]], divisions: Divisions,
             parameters: Mapping[str, Any]) -> tuple[tuple[str, ...], list[Found]]:
    """The rules of a 注册 ``submit`` on the rows read: (rules checked, violations)."""
    app = rows["application"][0]
    doc = json.loads(app[-1])
    payload = doc["payload"]
    as_of = _day(app[10])
    assert as_of is not None
    physician = json.loads(rows["physicians"][0][-1])
    institution_row = rows["institutions"][0]
    institution = json.loads(institution_row[-1])
    json.loads(rows["departments"][0][-1])
    registrations = [(r, json.loads(r[-1])) for r in rows["registrations"]]
    for filing in rows["filings"]:
        json.loads(filing[-1])
    for site in rows["legacy_sites"]:
        json.loads(site[-1])
    account_state = rows["accounts"][0][3] if rows["accounts"] else ""
    valid = [r for r, _ in registrations if r[10] == "valid"]
    records = physician["records"]
    found: list[Found] = []

    def violation(rule_id: str, zh: str, en: str, **facts: str) -> None:
        found.append(Found(rule_id, zh, en, facts))

    # account.active (R-ACC-2)
    if doc["applicant"]["kind"] == "physician" and parameters.get(
            "require_active_account", True) and account_state != "active":
        state = account_state or "none"
        violation("account.active", f"个人账户未激活（{account_state or '无账户'}）",
                  f"the physician's portal account is not active: {state}",
                  account_state=account_state)
    # qualification.held_and_category_matches (R-REG-1)
    number = payload["qualification_no"]
    qualification = next((q for q in physician["qualifications"]
                          if number and number == (q["certificate_no"] or q["admission_no"])),
                         None)
    if qualification is None:
        violation("qualification.held_and_category_matches", "申请人未持有所填医师资格",
                  "the applicant does not hold the qualification named in the application",
                  qualification_no=str(number))
    elif payload["category"] is not None and payload["category"] != qualification["category"]:
        violation("qualification.held_and_category_matches", "注册类别与资格类别不一致",
                  f"category {payload['category']} differs from the qualification's "
                  f"{qualification['category']}", category=payload["category"],
                  qualification_category=qualification["category"])
    evidence = payload["evidence"]

    def gaps(need_training: bool) -> list[tuple[str, str]]:
        missing = []
        if need_training and evidence["training_months"] < 6:
            missing.append(("连续六个月以上的培训证明", "proof of 6 consecutive months of training"))
        if not evidence["assessment_passed"]:
            missing.append(("考核合格证明", "a passed assessment"))
        return missing

    # qualification.late_first_registration (R-REG-7)
    if qualification is not None and not registrations:
        obtained = date.fromisoformat(qualification["obtained_on"])
        if as_of >= add_years(obtained, 2):
            for zh, en in gaps(True):
                violation("qualification.late_first_registration",
                          f"取得资格已满二年未注册，缺少{zh}",
                          f"qualified on {obtained.isoformat()} and never registered: missing {en}",
                          obtained_on=obtained.isoformat())
    # qualification.re_registration_assessment (R-REG-8)
    returning: dict[str, str] = {}
    for record in records:
        if record["kind"] != "practice_suspended":
            continue
        on, until = date.fromisoformat(record["on"]), _day(record["until"])
        if (until or as_of) < add_years(on, 2):
            continue
        if not any((_day(d.get("registered_on")) or _day(r[8]) or as_of) > on
                   for r, d in registrations):
            returning = {"suspended_on": on.isoformat()}
            break
    if payload["re_registration"] or returning:
        for zh, en in gaps(as_of >= MEASURES_2017):
            violation("qualification.re_registration_assessment",
                      f"中止执业满二年后重新注册，缺少{zh}",
                      f"re-registration after 2 years' suspension: missing {en}", **returning)
    # refusal.civil_capacity (R-REG-2)
    capacity = physician["civil_capacity"]
    if capacity != "full":
        violation("refusal.civil_capacity", f"申请人为{CAPACITY.get(capacity, capacity)}人",
                  f"the applicant has {capacity} civil capacity, not full",
                  civil_capacity=capacity)
    for record in records:
        kind, on, until = record["kind"], date.fromisoformat(record["on"]), _day(record["until"])
        # refusal.criminal_punishment (R-REG-3)
        if kind == "criminal_sentence":
            if until is None or until > as_of:
                violation("refusal.criminal_punishment", "刑罚尚未执行完毕",
                          "the criminal sentence has not been completed",
                          sentence_from=on.isoformat())
            elif until <= as_of < add_years(until, 2):
                violation("refusal.criminal_punishment",
                          f"刑罚于{until.isoformat()}执行完毕，至申请日不满二年",
                          f"sentence completed on {until.isoformat()}, less than 2 years before "
                          "the application date", completed_on=until.isoformat(),
                          eligible_from=add_years(until, 2).isoformat())
        elif kind == "practice_ban" and (until is None or until > as_of):
            shown = until.isoformat() if until else "无期限"
            violation("refusal.criminal_punishment", f"禁止从事医师职业的期限未满（至{shown}）",
                      f"a ban on practising runs until {shown}", ban_until=shown)
    # refusal.certificate_revoked, .failed_assessment_cancellation, .registration_revoked
    for rule_id, years, label in SINCE.values():
        for record in records:
            on = date.fromisoformat(record["on"])
            if SINCE.get(record["kind"], ("",))[0] == rule_id and on <= as_of < add_years(
                    on, years):
                violation(rule_id, f"{on.isoformat()}{label}，至申请日不满{years}年",
                          f"{record['kind'].replace('_', ' ')} on {on.isoformat()}, less than "
                          f"{years} year(s) before the application date", since=on.isoformat(),
                          eligible_from=add_years(on, years).isoformat())
    # refusal.exam_fraud (R-REG-6)
    for record in records:
        if record["kind"] in FRAUD:
            violation("refusal.exam_fraud", f"{record['on']}记录：{FRAUD[record['kind']]}",
                      f"record of {record['kind'].replace('_', ' ')} on {record['on']}",
                      record=record["kind"])
    division = institution_row[2]
    level = qualification["level"] if qualification is not None else None
    # practice_location.assistant_county (R-LOC-2)
    if level == "assistant" and divisions.level(division) != "county":
        violation("practice_location.assistant_county",
                  f"拟执业机构的行政区划代码{division}不是县级，无法确定执业地点",
                  f"institution division {division} is {divisions.level(division)}-level; an "
                  "assistant's location must be a county", division=division)
    # practice_location.assistant_single_location (R-LOC-3)
    if level == "assistant":
        for r in valid:
            violation("practice_location.assistant_single_location",
                      f"已有有效执业注册（执业地点{r[5]}）",
                      f"already holds a valid registration at {r[5]}", registration=r[0],
                      location=r[5])
    # practice_location.one_primary_institution (R-LOC-5)
    if level is not None:
        location = division[:2] + "0000" if level == "physician" else division
        for r in valid:
            if divisions.contains(r[5], location) or divisions.contains(location, r[5]):
                violation("practice_location.one_primary_institution",
                          f"执业地点{r[5]}已有有效注册，主要执业机构为{r[6]}",
                          f"a valid registration at {r[5]} already names {r[6]} as primary "
                          "institution", registration=r[0], location=r[5])
    # scope.belongs_to_category (R-SCOPE-2)
    category = payload["category"] or (qualification["category"] if qualification else None)
    scopes = payload["scopes"]
    if category is not None:
        extra = parameters.get("extra_scopes", {}).get(category, ())
        for scope in scopes:
            if scope not in SCOPES[category] and scope not in extra:
                violation("scope.belongs_to_category", f"执业范围「{scope}」不属于该类别",
                          f"scope {scope!r} is not listed for category {category}",
                          scope=scope, category=category)
    # scope.count (R-SCOPE-1)
    if len(scopes) != len(set(scopes)):
        violation("scope.count", "执业范围重复", "a scope is listed twice")
    if len(scopes) > 1:
        county = (institution["administrative_level"] or divisions.level(division)) == "county"
        record = doc["scope_approval"]
        if parameters.get("county_scope_approval", "recorded") == "declared" or \
                app[6] != "under_review":
            approved = bool(payload["county_approved"])
        else:
            approved = record is not None and divisions.level(record["division"]) == "county" \
                and divisions.contains(record["division"], division)
        if not (county and category == "clinical" and approved) or len(scopes) > 3:
            violation("scope.count", f"申请了{len(scopes)}个执业范围",
                      f"{len(scopes)} scopes requested", count=str(len(scopes)),
                      county_level=str(county), county_approved=str(approved))
    alone = institution_row[3] == "individual_clinic"
    # individual_practice.five_years (R-IND-1)
    if alone and level == "physician" and not qualification["special_skills"]:  # type: ignore[index]
        years = int(parameters.get("individual_practice_years", 5))
        needed = (as_of - add_years(as_of, -years)).days
        days = _practised_days(registrations, as_of, bool(parameters.get(
            "individual_practice_counts_assistant_years", True)))
        if days < needed:
            violation("individual_practice.five_years",
                      f"拟个体行医，但在医疗卫生机构中注册执业仅{days}天，不满{years}年",
                      f"practising alone needs {years} years of registered practice",
                      practised_days=str(days), needed_days=str(needed))
    # assistant.under_guidance (R-AST-1)
    if alone and level == "assistant" and not parameters.get("assistant_at_individual_clinic"):
        violation("assistant.under_guidance", "执业助理医师不能以个体诊所为主要执业机构",
                  "an assistant cannot register at an individual clinic",
                  institution=institution_row[0])
    return CHECKED, found


def _practised_days(registrations: list[tuple[tuple[Any, ...], dict[str, Any]]], as_of: date,
                    assistant_years: bool) -> int:
    spans = []
    for row, doc in registrations:
        if not assistant_years and row[3] != "physician":
            continue
        granted = _day(doc.get("registered_on")) or _day(row[8])
        assert granted is not None
        ends = [d for d in (_day(row[13]), _day(row[11])) if d is not None]
        until = min(ends) if ends and row[10] != "valid" else as_of
        if granted <= as_of:
            spans.append((granted, min(until, as_of)))
    merged: list[tuple[date, date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        elif start <= end:
            merged.append((start, end))
    return sum((end - start).days for start, end in merged)


# -- the reads ------------------------------------------------------------------------------------

class RawCheck:
    """``check(application_id)`` on a raw sqlite3 or psycopg connection (autocommit)."""

    def __init__(self, conn: Any, dialect: str, divisions: Divisions,
                 parameters: Mapping[str, Any]) -> None:
        self.conn, self.dialect = conn, dialect
        self.divisions, self.parameters = divisions, parameters
        self.read: Callable[[str], dict[str, list[tuple[Any, ...]]]] = (
            self._read_sqlite if dialect == "sqlite" else self._read_postgres)

    def __call__(self, application_id: str) -> tuple[tuple[str, ...], list[Found]]:
        return evaluate(self.read(application_id), self.divisions, self.parameters)

    def _read_sqlite(self, application_id: str) -> dict[str, list[tuple[Any, ...]]]:
        conn = self.conn
        conn.execute("BEGIN")
        try:
            app = conn.execute(SQLITE_APPLICATION, (application_id,)).fetchall()
            found = {"application": app}
            for (table, _, _, column), sql in zip(_PARTS, SQLITE_PARTS, strict=True):
                key = app[0][{"physician_id": 2, "institution_id": 3, "department_id": 4}[column]]
                found[table] = conn.execute(sql, (key,)).fetchall()
        finally:
            conn.execute("ROLLBACK")
        return found

    def _read_postgres(self, application_id: str) -> dict[str, list[tuple[Any, ...]]]:
        found: dict[str, list[tuple[Any, ...]]] = {"application": [],
                                                   **{part[0]: [] for part in _PARTS}}
        names = [c.split(", ") for c in (APP_COLUMNS, *(part[1] for part in _PARTS))]
        for part, _, obj in self.conn.execute(POSTGRES_COMBINED, {"a": application_id}):
            table = "application" if part < 0 else _PARTS[part][0]
            columns = names[part + 1]
            found[table].append(tuple(obj[c] for c in columns))
        return found


def agrees(verdict: Any, baseline: tuple[tuple[str, ...], list[Found]]) -> bool:
    """Whether mdreg's verdict and the baseline's checked the same rules and found the same
    violations (rule and facts)."""
    checked, found = baseline
    mine = sorted((v.rule_id, sorted(v.facts.items())) for v in verdict.violations)
    theirs = sorted((f.rule_id, sorted(f.facts.items())) for f in found)
    return tuple(verdict.checked) == checked and mine == theirs

"""The eligibility benchmark's hand-written check (benchmarks/check_baseline.py) reaches
mdreg's verdicts: the same rules checked, the same violations with the same facts, on 注册
drafts that break every rule it implements — so its ratio compares equal work. On SQLite (the
PostgreSQL read differs only in how the rows arrive; the benchmark checks it on every run)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import mdreg
from mdreg.domain.application import Actor, Evidence, RegistrationRequest
from mdreg.domain.model import Category, CivilCapacity, InstitutionKind, Level, Record, RecordKind
from mdreg.testing.builders import World

baseline = pytest.importorskip("benchmarks.check_baseline")
NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    registry = mdreg.open(f"sqlite:///{tmp_path / 'check.db'}", clock=mdreg.FakeClock(NOW))
    yield World(registry)
    registry.release()


def draft(world: World, physician: mdreg.Physician, institution: mdreg.Institution, *,
          scopes: tuple[str, ...] = ("内科专业",), category: Category | None = None,
          evidence: Evidence | None = None, re_registration: bool = False,
          number: str = "", applicant: Actor | None = None) -> str:
    request = RegistrationRequest(
        institution.id, number or physician.qualifications[0].certificate_no, scopes,
        category=category, evidence=evidence or Evidence(6, True),
        re_registration=re_registration)
    app = world.registry.apply(applicant or Actor.institution(institution.id), request,
                               physician_id=physician.id, submit=False)
    return app.id


def test_the_baseline_reaches_mdregs_verdicts(world: World, tmp_path: Path) -> None:
    county = world.institution("110105")
    prefecture_level = world.institution("110100", approved_by=county.approved_by)
    clinic = world.institution("110105", kind=InstitutionKind.INDIVIDUAL_CLINIC,
                               approved_by=county.approved_by)
    registered, practised = world.physician(), world.physician()
    world.registration(registered, county)
    world.registration(practised, county)
    on_record = world.physician(records=(
        Record(RecordKind.CRIMINAL_SENTENCE, date(2020, 1, 1), date(2025, 6, 1)),
        Record(RecordKind.PRACTICE_BAN, date(2024, 1, 1)),
        Record(RecordKind.CERTIFICATE_REVOKED, date(2025, 1, 1)),
        Record(RecordKind.REGISTRATION_REVOKED, date(2024, 5, 1)),
        Record(RecordKind.EXAM_CHEATING, date(2019, 5, 1)),
        Record(RecordKind.CANCELLED_FAILED_ASSESSMENT, date(2025, 12, 1)),
        Record(RecordKind.PRACTICE_SUSPENDED, date(2020, 1, 1), date(2023, 1, 1))),
        civil_capacity=CivilCapacity.LIMITED, qualified_on=date(2019, 9, 1))
    assistant, alone = world.physician(level=Level.ASSISTANT), world.physician(level=Level.ASSISTANT)
    no_account, stranger = world.physician(account=False), world.physician(account=False)
    moving = world.physician(level=Level.ASSISTANT)
    world.registration(moving, county)
    elsewhere = world.institution("110106")
    drafts = [
        draft(world, registered, county),  # one primary institution per location
        draft(world, on_record, county, evidence=Evidence(), re_registration=True),
        draft(world, assistant, prefecture_level),  # not a county
        draft(world, alone, clinic),  # an assistant alone
        draft(world, moving, elsewhere),  # an assistant's second location
        draft(world, practised, clinic, scopes=("内科专业", "外科专业", "口腔专业", "内科专业")),
        draft(world, no_account, county, category=Category.DENTAL,
              applicant=Actor.physician(no_account.id)),
        draft(world, stranger, county, number="NOT-HELD", applicant=Actor.physician(
            stranger.id)),
    ]
    path = tmp_path / "check.db"
    conn = sqlite3.connect(path, isolation_level=None)
    codes = {row[0] for row in conn.execute(
        "SELECT division FROM institutions UNION SELECT location FROM registrations")}
    divisions = baseline.Divisions(c for c in codes if c[4:] == "00" and c[2:] != "0000"
                          and mdreg.DivisionCode(c).level == "county")
    raw = baseline.RawCheck(conn, "sqlite", divisions, dict(world.registry.policy.parameters))
    found: set[str] = set()
    for app_id in drafts:
        verdict = world.registry.check(app_id, "submit")
        assert baseline.agrees(verdict, raw(app_id)), (app_id, verdict.violations, raw(app_id)[1])
        found.update(verdict.failed_rule_ids)
    conn.close()
    assert found == set(baseline.CHECKED), sorted(set(baseline.CHECKED) - found)

"""Registry.import_registry: the bulk path (mdreg.adapters.sql.bulk) against load().

Every backend: memory, a SQLite file, and PostgreSQL when MDREG_TEST_POSTGRES_URL is set (a
database of its own per xdist worker, dropped at the end). No timings are asserted here: the
benchmarks measure speed (python -m benchmarks).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, text

import mdreg
from mdreg.adapters.sql import bulk
from mdreg.adapters.sql.tables import METADATA
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import (
    Category,
    CivilCapacity,
    FilingStatus,
    HealthDepartment,
    Institution,
    InstitutionKind,
    LegacySite,
    Level,
    Physician,
    Qualification,
    Record,
    RecordKind,
    Registration,
    RegistrationStatus,
)
from mdreg.errors import NotFoundError, UniquenessConflict, ValidationError
from mdreg.service.registry import Registry
from mdreg.testing import strategies
from mdreg.testing.builders import chinese_name, make_id_number
from mdreg.testing.databases import migrated_postgres

PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
REFERENCE_TABLES = ("departments", "institutions", "physicians", "registrations", "legacy_sites")


@attrs.frozen
class Data:
    departments: tuple[HealthDepartment, ...]
    institutions: tuple[Institution, ...]
    physicians: tuple[Physician, ...]
    registrations: tuple[Registration, ...]
    legacy: tuple[LegacySite, ...]

    def kwargs(self) -> dict[str, tuple[object, ...]]:
        return attrs.asdict(self, recurse=False)


def sample(physicians: int = 60) -> Data:
    """Two provinces; every physician registered once, a fifth twice (the second cancelled or in
    the other province), records and extra qualifications here and there."""
    departments = (HealthDepartment("D110105", "东城区卫生健康委员会", DivisionCode("110105")),
                   HealthDepartment("D310101", "黄浦区卫生健康委员会", DivisionCode("310101")))
    institutions = (
        Institution("I00001", "第1医院", DivisionCode("110105"), InstitutionKind.MEDICAL, "D110105",
                    ("内科", "外科"), True),
        Institution("I00002", "第2疾控中心", DivisionCode("310101"), InstitutionKind.PREVENTION,
                    "D310101"),
    )
    people: list[Physician] = []
    regs: list[Registration] = []
    for n in range(physicians):
        level = Level.ASSISTANT if n % 5 == 3 else Level.PHYSICIAN
        quals = [Qualification(f"Q{n:06d}", level, Category.CLINICAL, date(2020, 1, 1 + n % 28))]
        if n % 7 == 0:
            quals.append(Qualification(f"Q{n:06d}U", Level.PHYSICIAN, Category.TCM, date(2024, 6, 1)))
        records = ((Record(RecordKind.CRIMINAL_SENTENCE, date(2019, 1, 1), date(2021, 1, 1)),
                    Record(RecordKind.PRACTICE_BAN, date(2022, 2, 2)))
                   if n % 11 == 0 else ())
        physician = Physician(f"P{n:06d}", chinese_name(n), make_id_number("110105", date(1990, 1, 1),
                                                                      n % 1000),
                              tuple(quals), CivilCapacity.LIMITED if n % 13 == 0 else
                              CivilCapacity.FULL, records)
        people.append(physician)
        home = institutions[n % 2]
        location = home.division.province if level is Level.PHYSICIAN else home.division
        regs.append(Registration(f"R{n:06d}", physician.id, quals[0].certificate_no, level,
                                 Category.CLINICAL, ("内科专业",), location, home.id,
                                 home.approved_by, date(2024, 1, 2), f"C{n:013d}"))
        if n % 5 == 0:
            other = institutions[(n + 1) % 2]
            status = RegistrationStatus.CANCELLED if n % 10 == 0 else RegistrationStatus.VALID
            regs.append(Registration(f"R{n:06d}B", physician.id, quals[0].certificate_no, level,
                                     Category.CLINICAL, ("内科专业", "外科专业"),
                                     other.division.province, other.id, other.approved_by,
                                     date(2023, 5, 6), f"D{n:013d}", status,
                                     date(2025, 1, 1) if status is RegistrationStatus.CANCELLED
                                     else None, f"A{n}",
                                     registered_on=date(2021, 3, 4) if n % 3 == 0 else None))
    legacy = (LegacySite("L000001", "P000001", "R000001", "I00002", date(2015, 3, 1)),
              LegacySite("L000002", "P000002", "R000002", "I00001", date(2015, 3, 1),
                         FilingStatus.CANCELLED, date(2020, 1, 1)))
    return Data(departments, institutions, tuple(people), tuple(regs), legacy)


@pytest.fixture(scope="module")
def pg_base() -> Iterator[str]:
    if not PG_URL:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    with migrated_postgres(PG_URL, "mdreg_bulk") as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mdreg.db'}"
    base: str = request.getfixturevalue("pg_base")
    engine = create_engine(base)
    with engine.begin() as conn:
        tables = ", ".join(t.name for t in METADATA.sorted_tables)
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY"))
    engine.dispose()
    return base


@pytest.fixture
def registry(url: str) -> Iterator[Registry]:
    opened = mdreg.open(url)
    yield opened
    del opened


def snapshot(registry: Registry, data: Data) -> dict[str, object]:
    """What the registry returns for every imported entity."""
    return {
        "physicians": [registry.physician(p.id) for p in data.physicians],
        "institutions": [registry.institution(i.id) for i in data.institutions],
        "registrations": {p.id: registry.registrations(p.id) for p in data.physicians},
        "legacy": {p.id: registry.legacy_sites(p.id) for p in data.physicians[:3]},
    }


def expected(data: Data) -> dict[str, object]:
    return {
        "physicians": list(data.physicians),
        "institutions": list(data.institutions),
        "registrations": {p.id: tuple(sorted((r for r in data.registrations
                                               if r.physician_id == p.id), key=lambda r: r.id))
                          for p in data.physicians},
        "legacy": {p.id: tuple(s for s in data.legacy if s.physician_id == p.id)
                   for p in data.physicians[:3]},
    }


def test_round_trip(registry: Registry) -> None:
    data = sample()
    counts = registry.import_registry(**data.kwargs(), batch_size=7)
    assert counts == {"departments": 2, "institutions": 2, "physicians": 60,
                      "registrations": 72, "legacy": 2}
    assert snapshot(registry, data) == expected(data)


def test_reimport_replaces_like_load(registry: Registry) -> None:
    data = sample(20)
    registry.import_registry(**data.kwargs())
    renamed = attrs.evolve(data.physicians[3], name="改名")
    cancelled = attrs.evolve(data.registrations[0], status=RegistrationStatus.CANCELLED,
                             ended_on=date(2026, 1, 1))
    # the same id twice in one import: the last one wins, as with load
    registry.import_registry(physicians=[data.physicians[3], renamed],
                             registrations=[data.registrations[0], cancelled])
    assert registry.physician(renamed.id) == renamed
    assert cancelled in registry.registrations(cancelled.physician_id)
    assert len(registry.registrations(cancelled.physician_id)) == len(
        [r for r in data.registrations if r.physician_id == cancelled.physician_id])


def _nothing_imported(registry: Registry, data: Data) -> None:
    for physician in data.physicians:
        with pytest.raises(NotFoundError):
            registry.physician(physician.id)
    for institution in data.institutions:
        with pytest.raises(NotFoundError):
            registry.institution(institution.id)


def test_a_second_valid_registration_at_one_location_rolls_back_everything(
        registry: Registry) -> None:
    data = sample(30)
    clash = attrs.evolve(data.registrations[-1], id="RCLASH", certificate_no="CLASH")
    with pytest.raises(UniquenessConflict) as caught:
        registry.import_registry(**{**data.kwargs(),
                                    "registrations": (*data.registrations, clash)}, batch_size=8)
    assert caught.value.constraint == "registration_location"
    _nothing_imported(registry, data)


def test_a_shared_id_number_rolls_back_everything(registry: Registry) -> None:
    data = sample(30)
    twin = attrs.evolve(data.physicians[0], id="PTWIN")
    with pytest.raises(UniquenessConflict) as caught:
        registry.import_registry(**{**data.kwargs(), "physicians": (*data.physicians, twin)})
    assert caught.value.constraint == "physician_id_number"
    _nothing_imported(registry, data)


def test_a_clash_with_stored_rows_keeps_the_stored_rows(registry: Registry) -> None:
    data = sample(10)
    registry.import_registry(**data.kwargs())
    newcomer = Physician("PNEW01", "新人", make_id_number("310101", date(1991, 2, 3), 7), ())
    clash = attrs.evolve(data.registrations[0], id="RCLASH2")
    with pytest.raises(UniquenessConflict):
        registry.import_registry(physicians=[newcomer], registrations=[clash])
    with pytest.raises(NotFoundError):
        registry.physician(newcomer.id)
    assert snapshot(registry, data) == expected(data)


@pytest.mark.parametrize(("field", "value", "kind"), [
    ("institutions", "department", "department"),
    ("registrations", "physician", "physician"),
    ("registrations", "institution", "institution"),
    ("legacy", "registration", "registration"),
])
def test_unknown_references_are_not_found_and_nothing_is_imported(
        registry: Registry, field: str, value: str, kind: str) -> None:
    data = sample(12)
    items = list(getattr(data, field))
    changes = {"department": {"approved_by": "D999999"}, "physician": {"physician_id": "PNONE"},
               "institution": {"primary_institution_id": "INONE"},
               "registration": {"registration_id": "RNONE"}}[value]
    items.append(attrs.evolve(items[0], id="XNEW", **changes))
    with pytest.raises(NotFoundError) as caught:
        registry.import_registry(**{**data.kwargs(), field: tuple(items)}, batch_size=5)
    assert caught.value.kind == kind
    _nothing_imported(registry, data)


def test_references_may_point_to_stored_rows(registry: Registry) -> None:
    data = sample(12)
    registry.import_registry(departments=data.departments, institutions=data.institutions,
                             physicians=data.physicians)
    registry.import_registry(registrations=data.registrations, legacy=data.legacy)
    assert snapshot(registry, data) == expected(data)


def test_entities_of_the_wrong_type_are_refused(registry: Registry) -> None:
    data = sample(4)
    with pytest.raises(ValidationError):
        registry.import_registry(physicians=[*data.physicians, data.institutions[0]])  # type: ignore[list-item]
    with pytest.raises(ValidationError):
        registry.import_registry(physicians=data.physicians, batch_size=0)
    _nothing_imported(registry, data)


def _rows(url: str) -> dict[str, list[tuple[object, ...]]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = {t: [tuple(r) for r in conn.execute(text(f"SELECT * FROM {t} ORDER BY id"))]  # noqa: S608
                 for t in REFERENCE_TABLES}
    engine.dispose()
    return found


def test_the_rows_are_those_load_writes(tmp_path: Path) -> None:
    data = sample()
    loaded, imported = (f"sqlite:///{tmp_path / name}" for name in ("load.db", "bulk.db"))
    mdreg.open(loaded).load(**data.kwargs())
    mdreg.open(imported).import_registry(**data.kwargs(), batch_size=9)
    assert _rows(imported) == _rows(loaded)


def test_a_builder_that_disagrees_with_the_mapper_is_not_used(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An entity class that gains a field would make a fast builder write stale rows: the
    per-batch comparison with the mapper switches the type to the mapper instead."""
    data = sample(15)
    broken = attrs.evolve(bulk.PHYSICIANS, fast=lambda p: (p.id, p.id_number.value, "?", "{}"))
    monkeypatch.setattr(bulk, "PHYSICIANS", broken)
    registry = mdreg.open(f"sqlite:///{tmp_path / 'm.db'}")
    registry.import_registry(**data.kwargs(), batch_size=4)
    assert [registry.physician(p.id) for p in data.physicians] == list(data.physicians)


@settings(max_examples=50, deadline=None)
@given(st.lists(strategies.physicians(), max_size=5), st.lists(strategies.institutions(),
                                                               max_size=3))
def test_fast_rows_equal_mapper_rows(physicians: list[Physician],
                                     institutions: list[Institution]) -> None:
    for physician in physicians:
        assert bulk.PHYSICIANS.fast(physician) == bulk.PHYSICIANS.mapped(physician)
    for institution in institutions:
        assert bulk.INSTITUTIONS.fast(institution) == bulk.INSTITUTIONS.mapped(institution)


def test_fast_rows_equal_mapper_rows_for_the_sample() -> None:
    data = sample()
    for kind, items in ((bulk.DEPARTMENTS, data.departments), (bulk.INSTITUTIONS, data.institutions),
                        (bulk.PHYSICIANS, data.physicians),
                        (bulk.REGISTRATIONS, data.registrations), (bulk.LEGACY, data.legacy)):
        for item in items:
            assert kind.fast(item) == kind.mapped(item)  # type: ignore[arg-type]

"""The work-list benchmark's page statement is served by indexes: the department's applications
through ``ix_applications_department_inbox``, their deadlines through the open-deadline index —
no table is scanned. A plan is asserted here, never a time (the benchmarks measure speed)."""

from __future__ import annotations

from pathlib import Path

import pytest

fixtures = pytest.importorskip("benchmarks.fixtures")
worklist = pytest.importorskip("benchmarks.worklist")
harness = pytest.importorskip("benchmarks.harness")


def test_a_work_list_page_reads_through_indexes(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDREG_BENCH_PHYSICIANS", "2000")
    fixtures.install()
    ctx = harness.Context(quick=True, workdir=tmp_path, postgres_url="", reps=5, log=lambda _: None)
    listing = worklist.build(ctx, fixtures.sqlite_url(tmp_path / "worklist.db"))
    try:
        plan, indexed, _ = worklist._plan(listing, listing.departments[0])
    finally:
        listing.store.close()
        listing.registry.release()
    steps = [step.strip() for step in plan.split("|")]
    assert indexed, plan
    assert not [s for s in steps if s.startswith("SCAN") and "json_each" not in s], plan
    assert any(s.startswith("SEARCH deadlines USING INDEX") for s in steps), plan


def test_the_full_size_work_lists_spread_over_300_departments(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MDREG_BENCH_PHYSICIANS", "2000")
    monkeypatch.setattr(worklist, "DEPARTMENTS", 300)
    monkeypatch.setattr(worklist, "PAGE", 1)  # 1,500 applications: five per department
    fixtures.install()
    ctx = harness.Context(quick=False, workdir=tmp_path, postgres_url="", reps=1, log=lambda _: None)
    listing = worklist.build(ctx, fixtures.sqlite_url(tmp_path / "worklist.db"))
    try:
        departments = set(listing.departments)
        assert len(departments) == len(listing.departments) == 300
        for department in (listing.departments[0], listing.departments[-1]):
            with listing.store.unit_of_work() as uow:
                assert uow.departments.get(department) is not None
                assert uow.applications.inbox(department_id=department, state=worklist.STATE)
    finally:
        listing.store.close()
        listing.registry.release()

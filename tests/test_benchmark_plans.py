"""The work-list benchmark's page statement is served by one index: the department's open
applications through ``ix_applications_department_work`` in the page's order (the earliest open
deadline is the row's ``work_due``) — no table scanned, no sort, no deadline read. A plan is
asserted here, never a time (the benchmarks measure speed)."""

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
        plan, indexed, sort = worklist._plan(listing, listing.departments[0])
    finally:
        listing.store.close()
        listing.registry.release()
    steps = [step.strip() for step in plan.split("|")]
    assert indexed and not sort, plan
    assert steps[0].startswith("SEARCH applications USING INDEX ix_applications_department_work"
                               " (department_id=? AND (work_due,id)>(?,?)"), plan
    assert not [s for s in steps if s.startswith("SCAN") and "json_each" not in s], plan
    assert not [s for s in steps if "deadlines" in s], plan


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

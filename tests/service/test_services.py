"""The Services record behind a registry: what mdreg.open puts in it, and how changing it
reaches the registry's commands and its portal."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import attrs
import pytest

import mdreg
from mdreg import InMemoryPhotoStore
from mdreg.adapters.sql import bulk
from mdreg.bootstrap import default_photo_store
from mdreg.domain.calendar import ChineseCalendar, WeekendFallback
from mdreg.domain.clock import FakeClock
from mdreg.errors import NotFoundError
from mdreg.infra.storage import FileSystemPhotoStore
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.service.services import Services, run_once
from mdreg.workflows import BASE_POLICY


def test_memory_has_no_bulk_importer_and_keeps_photos_in_memory() -> None:
    registry = mdreg.open("memory://")
    assert registry.services.bulk is None
    assert registry.services.transaction is run_once
    assert isinstance(registry.services.photos, InMemoryPhotoStore)
    assert registry.accounts.photos is registry.services.photos


def test_sqlite_brings_its_bulk_importer_and_keeps_photos_beside_the_file(tmp_path: Path) -> None:
    registry = mdreg.open(f"sqlite:///{tmp_path / 'mdreg.db'}")
    try:
        importer = registry.services.bulk
        assert getattr(importer, "func", None) is bulk.import_entities
        photos = registry.services.photos
        assert isinstance(photos, FileSystemPhotoStore)
        assert photos.root == tmp_path / "mdreg.db.photos"
        assert registry.url == f"sqlite:///{tmp_path / 'mdreg.db'}"
    finally:
        registry.release()


def test_default_photo_store_follows_the_url(tmp_path: Path) -> None:
    assert isinstance(default_photo_store("memory://"), InMemoryPhotoStore)
    beside = default_photo_store(f"sqlite:///{tmp_path / 'x.db'}?mode=rwc")
    assert isinstance(beside, FileSystemPhotoStore)
    assert beside.root == tmp_path / "x.db.photos"
    elsewhere = default_photo_store("postgresql+psycopg://u@h/db")
    assert isinstance(elsewhere, FileSystemPhotoStore)
    assert elsewhere.root == Path("mdreg-photos")


def test_the_registry_reads_its_attributes_from_its_services() -> None:
    clock = FakeClock(datetime(2026, 3, 2, 1, tzinfo=UTC))
    registry = mdreg.open("memory://", clock=clock)
    services = registry.services
    assert (registry.clock, registry.policy, registry.ids, registry.calendar, registry.limits,
            registry.url) == (clock, services.policy, services.ids, services.calendar,
                              services.limits, "memory://")


def test_setting_the_policy_or_calendar_replaces_the_services_and_reaches_the_portal() -> None:
    registry = mdreg.open("memory://")
    portal = registry.accounts
    before = registry.services
    policy = BASE_POLICY.with_changes("open", require_active_account=False)
    registry.policy = policy
    assert registry.services is not before
    assert registry.services.policy is policy
    assert before.policy is BASE_POLICY  # the record itself is never changed
    assert portal.services is registry.services
    calendar = ChineseCalendar(fallback=WeekendFallback())
    registry.calendar = calendar
    assert registry.services.calendar is calendar
    assert portal.services.policy is policy


def test_an_assigned_portal_gets_later_services_too() -> None:
    registry = mdreg.open("memory://")
    registry.accounts = Accounts(registry, photos=InMemoryPhotoStore())
    seen: list[str] = []
    original = registry.services.transaction

    def spy(work: Callable[[], Any]) -> Any:
        seen.append("run")
        return original(work)

    registry.services = attrs.evolve(registry.services, transaction=spy)
    with pytest.raises(NotFoundError):
        registry.accounts.mark_sent("M-none")
    registry.load()
    assert seen == ["run", "run"]


def test_a_registry_can_be_built_on_any_services() -> None:
    from_memory = mdreg.open("memory://").services
    registry = Registry(Services(uow=from_memory.uow, url="custom://"))
    registry.load()
    assert repr(registry) == "Registry('custom://', policy='base')"
    assert registry.audit_count() == 0

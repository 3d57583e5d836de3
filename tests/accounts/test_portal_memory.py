"""The in-memory backend against the personal-portal repository contract."""

from __future__ import annotations

import pytest

from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.testing.portal_contract import MakeUow, PortalRepositoryContract


class TestInMemoryPortal(PortalRepositoryContract):
    @pytest.fixture
    def make_uow(self) -> MakeUow:
        store = MemoryStore()
        return lambda: InMemoryUnitOfWork(store)

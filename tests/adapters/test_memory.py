"""The in-memory backend against the shared contracts."""

from __future__ import annotations

import pytest

from mdreg.adapters.memory import InMemoryUnitOfWork, MemoryStore
from mdreg.testing.contract import MakeUow, RegistryContract, UnitOfWorkContract


class TestInMemoryUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def make_uow(self) -> MakeUow:
        store = MemoryStore()
        return lambda: InMemoryUnitOfWork(store)


class TestInMemoryRegistry(RegistryContract):
    @pytest.fixture
    def registry_url(self) -> str:
        return "memory://"

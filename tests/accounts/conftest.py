"""Fixtures for the personal portal: a registry whose accounts use cheap hashing and an in-memory
photo store, and the portal helper of :mod:`portal_kit`."""

from __future__ import annotations

import pytest
from portal_kit import Portal

from mdreg import InMemoryPhotoStore, SecuritySettings
from mdreg.domain.clock import FakeClock
from mdreg.domain.model import Institution
from mdreg.service.accounts import Accounts
from mdreg.service.registry import Registry
from mdreg.testing import World


@pytest.fixture
def accounts(registry: Registry) -> Accounts:
    registry.accounts = Accounts(registry, settings=SecuritySettings.for_tests(),
                                 photos=InMemoryPhotoStore())
    return registry.accounts


@pytest.fixture
def portal(world: World, clock: FakeClock, accounts: Accounts) -> Portal:
    return Portal(world, clock)


@pytest.fixture
def hospital(world: World) -> Institution:
    return world.institution("110105", departments=("内科", "外科", "儿科"))

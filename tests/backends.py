"""The three backends a module-scoped registry fixture runs on (PostgreSQL when
``MDREG_TEST_POSTGRES_URL`` names a server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import attrs
import pytest

import mdreg
from mdreg import Actor, Application, Institution, Physician, Registration, RegistrationRequest
from mdreg.domain.clock import FakeClock
from mdreg.testing.builders import World
from mdreg.testing.databases import backend_url

PG_URL = os.environ.get("MDREG_TEST_POSTGRES_URL", "")
BACKENDS = ["memory", "sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@contextmanager
def scratch_backend(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
                    prefix: str) -> Iterator[str]:
    """A URL of the backend the fixture ``request`` is parametrized with, or a skip."""
    if request.param == "postgres" and not PG_URL:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    with backend_url(request.param, tmp_path_factory.mktemp(prefix), prefix, PG_URL) as url:
        yield url


@attrs.frozen
class Populated:
    """A registry with two institutions, a registered physician and a second physician whose
    注册 waits for the institution."""

    registry: mdreg.Registry
    home: Institution
    other: Institution
    doctor: Physician
    registration: Registration
    second: Physician
    pending: Application


def populated(url: str, now: datetime) -> Populated:
    """:class:`Populated` on a new registry at ``url``, its clock at ``now``."""
    registry = mdreg.open(url, clock=FakeClock(now))
    world = World(registry)
    home, other = world.institution("110105"), world.institution("110108")
    doctor = world.physician()
    registration = world.registration(doctor, home)
    second = world.physician()
    pending = registry.apply(Actor.physician(second.id), RegistrationRequest(
        home.id, second.qualifications[0].certificate_no, ("内科专业",)))
    return Populated(registry, home, other, doctor, registration, second, pending)

"""The service on every backend: :class:`RegistryContract` (run through :func:`mdreg.open`)."""

from __future__ import annotations

from typing import Any

import pytest

import mdreg
from mdreg.domain.application import (
    Actor,
    Application,
    RegistrationRequest,
)
from mdreg.domain.clock import FakeClock
from mdreg.domain.identifiers import DivisionCode
from mdreg.errors import (
    ConcurrencyConflict,
    IneligibleError,
    MdregError,
    PermissionDenied,
)
from mdreg.infra.serialization import unstructure
from mdreg.service.ids import SequentialIds
from mdreg.service.registry import Registry
from mdreg.testing.builders import World
from mdreg.testing.contract_notices import NoticeRegistryContract
from mdreg.testing.entities import (
    same,
)

# -- the service on every backend ----------------------------------------------------------------


class FailingIds(SequentialIds):
    """Sequential ids whose certificate numbers fail once :attr:`armed` — a crash inside an
    approval's effect, after the application was saved and before the audit event."""

    armed = False

    def certificate_no(self) -> str:
        if self.armed:
            raise RuntimeError("certificate printer on fire")
        return super().certificate_no()


class Scene:
    """One institution, its department, one physician and their actors."""

    def __init__(self, world: World) -> None:
        self.registry = world.registry
        self.hospital = world.institution("110105")
        self.doctor = world.physician()
        self.me = Actor.physician(self.doctor.id)
        self.inst = Actor.institution(self.hospital.id, user="王科长")
        self.dept = Actor.authority(self.hospital.approved_by, user="李审批")

    def apply(self, **options: Any) -> Application:
        request = RegistrationRequest(self.hospital.id, self.doctor.qualifications[0].certificate_no,
                                      ("内科专业",))
        return self.registry.apply(self.me, request, **options)

    def under_review(self) -> Application:
        app = self.apply()
        self.registry.fire(app.id, "confirm", self.inst)
        return self.registry.fire(app.id, "accept", self.dept)

    def snapshot(self, app_id: str) -> tuple[Any, ...]:
        return (unstructure(self.registry.application(app_id)),
                unstructure(self.registry.history(app_id)),
                unstructure(self.registry.registrations(self.doctor.id)),
                self.registry.audit_count())


class RegistryContract(NoticeRegistryContract):
    """The service behaves the same on every backend: run through :func:`mdreg.open`."""

    @pytest.fixture
    def registry_url(self) -> str:
        raise NotImplementedError("return a URL naming an empty store")

    @pytest.fixture
    def ids(self) -> FailingIds:
        return FailingIds()

    @pytest.fixture
    def registry(self, registry_url: str, clock: FakeClock, ids: FailingIds) -> Registry:
        return mdreg.open(registry_url, clock=clock, ids=ids)

    @pytest.fixture
    def scene(self, world: World) -> Scene:
        return Scene(world)

    def test_approval_creates_a_valid_registration(self, scene: Scene) -> None:
        app = scene.registry.fire(scene.under_review().id, "approve", scene.dept)
        assert (app.state, app.version) == ("approved", 5)
        (registration,) = scene.registry.registrations(scene.doctor.id)
        assert registration.is_valid
        assert registration.application_id == app.id
        assert registration.location == DivisionCode("110000")
        history = scene.registry.history(app.id)
        assert [(e.seq, e.event) for e in history] == [
            (1, "create"), (2, "submit"), (3, "confirm"), (4, "accept"), (5, "approve")]
        assert history[-1].at == scene.registry.clock.now()
        assert same(scene.registry.application(app.id), app)

    def test_inboxes_follow_the_application(self, scene: Scene) -> None:
        app = scene.apply()
        assert [a.id for a in scene.registry.inbox(scene.inst)] == [app.id]
        scene.registry.fire(app.id, "confirm", scene.inst)
        assert scene.registry.inbox(scene.inst) == ()
        assert [a.id for a in scene.registry.inbox(scene.dept)] == [app.id]

    def test_a_refused_application_leaves_nothing_behind(self, scene: Scene) -> None:
        scene.registry.fire(scene.under_review().id, "approve", scene.dept)
        count = scene.registry.audit_count()
        with pytest.raises(IneligibleError):
            scene.apply()
        assert scene.registry.audit_count() == count
        assert scene.registry.inbox(scene.inst) == ()

    def test_a_crash_inside_the_approval_rolls_everything_back(self, scene: Scene,
                                                               ids: FailingIds) -> None:
        app = scene.under_review()
        before = scene.snapshot(app.id)
        ids.armed = True
        with pytest.raises(RuntimeError, match="printer"):
            scene.registry.fire(app.id, "approve", scene.dept)
        assert scene.snapshot(app.id) == before
        ids.armed = False
        assert scene.registry.fire(app.id, "approve", scene.dept).version == 5

    @pytest.mark.parametrize("error", [ConcurrencyConflict, PermissionDenied])
    def test_a_refused_command_changes_nothing(self, scene: Scene,
                                               error: type[MdregError]) -> None:
        app = scene.apply()
        before = scene.snapshot(app.id)
        stale = error is ConcurrencyConflict
        actor, version = (scene.inst, app.version - 1) if stale else (scene.dept, app.version)
        with pytest.raises(error):
            scene.registry.fire(app.id, "confirm", actor, expected_version=version)
        assert scene.snapshot(app.id) == before

    def test_a_repeated_command_is_replayed(self, scene: Scene) -> None:
        app = scene.apply()
        first = scene.registry.fire(app.id, "confirm", scene.inst, idempotency_key="k1")
        again = scene.registry.fire(app.id, "confirm", scene.inst, idempotency_key="k1")
        assert same(first, again)
        assert [e.event for e in scene.registry.history(app.id)].count("confirm") == 1

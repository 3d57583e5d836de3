"""A business type declared outside mdreg runs end to end through the real engine."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

import mdreg
from mdreg import (
    Actor,
    BusinessType,
    IneligibleError,
    RegistrationRequest,
)
from mdreg.errors import WorkflowDefinitionError
from mdreg.reference import workflow_page
from mdreg.workflows import DECLARATIONS, base_policy, register

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "certificate_reissue.py"
_spec = importlib.util.spec_from_file_location("certificate_reissue", EXAMPLE)
assert _spec is not None and _spec.loader is not None
reissue = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(reissue)
REISSUE, REISSUE_TYPE, ReissueRequest = reissue.REISSUE, reissue.REISSUE_TYPE, reissue.ReissueRequest

AT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


@pytest.fixture
def declared() -> Iterator[None]:
    remove = register(REISSUE)
    yield
    remove()


def _registry(url: str) -> mdreg.Registry:
    return reissue.open_demo(url, base_policy())


def _decide(registry: mdreg.Registry, application_id: str) -> mdreg.Application:
    registry.fire(application_id, "confirm", Actor.institution("I1"))
    registry.fire(application_id, "accept", Actor.authority("D110105"))
    return registry.fire(application_id, "approve", Actor.authority("D110105"))


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
def test_a_declared_type_runs_end_to_end(declared: None, backend: str, tmp_path: Path) -> None:
    url = "memory://" if backend == "memory" else f"sqlite:///{tmp_path / 'x.db'}"
    registry = _registry(url)
    first = _decide(registry, registry.apply(Actor.physician("P1"),
                                             RegistrationRequest("I1", "Q1", ("内科专业",))).id)
    (registration,) = registry.registrations("P1")

    app = registry.apply(Actor.physician("P1"), ReissueRequest(registration.id, "遗失"))
    assert app.type is REISSUE_TYPE and app.state == "pending_institution"
    assert app.department_id == "D110105" and app.institution_id == "I1"
    done = _decide(registry, app.id)

    assert done.state == "approved" and first.state == "approved"
    (reissued,) = registry.registrations("P1")
    assert reissued.certificate_no != registration.certificate_no
    assert registry.application(app.id).payload == ReissueRequest(registration.id, "遗失")
    assert [e.event for e in registry.history(app.id)][-1] == "approve"
    assert registry.history(app.id)[-1].data["changed"] == [registration.id]
    assert registry.check(app.id, "approve").checked == ("reissue.valid_registration",)


def _filed(registry: mdreg.Registry) -> str:
    """A registration in 备案 (the institution reported a departure): not valid."""
    _decide(registry, registry.apply(Actor.physician("P1"),
                                     RegistrationRequest("I1", "Q1", ("内科专业",))).id)
    (registration,) = registry.registrations("P1")
    registry.report_departure(Actor.institution("I1"), registration.id,
                              mdreg.DepartureKind.RETIREMENT, date(2026, 3, 2))
    return registration.id


def test_its_rules_refuse_like_the_nine(declared: None) -> None:
    registry = _registry("memory://")
    with pytest.raises(IneligibleError) as refused:
        registry.apply(Actor.physician("P1"), ReissueRequest(_filed(registry), "遗失"))
    assert [v.rule_id for v in refused.value.violations] == ["reissue.valid_registration"]


def test_the_business_type_can_be_named_by_value(declared: None) -> None:
    registry = _registry("memory://")
    with pytest.raises(IneligibleError):
        registry.apply(Actor.physician("P1"), ReissueRequest(_filed(registry), "遗失"),
                       business="certificate_reissue")
    with pytest.raises(mdreg.ValidationError, match="is not a registration"):
        registry.apply(Actor.physician("P1"), ReissueRequest("R1", "遗失"),
                       business="registration")


def test_its_generated_page_shows_routing_effects_and_materials(declared: None) -> None:
    page = workflow_page(REISSUE_TYPE, base_policy())
    assert page.startswith("# 补办执业证书 (`certificate_reissue`)")
    assert "`reissue.valid_registration`" in page and "遗失声明" in page
    assert "The registration gets a new certificate number." in page


def test_registering_twice_is_refused_and_removal_undoes_it() -> None:
    remove = register(REISSUE)
    try:
        with pytest.raises(WorkflowDefinitionError, match="declared already"):
            register(REISSUE)
    finally:
        remove()
    assert REISSUE_TYPE not in DECLARATIONS
    assert "ReissueRequest" not in mdreg.domain.application.PAYLOAD_CLASSES
    assert REISSUE_TYPE not in list(BusinessType)  # the nine stay the nine

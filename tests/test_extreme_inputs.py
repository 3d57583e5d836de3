"""B-02: the extreme values a probe of the public API tried — digits of other scripts, full-width
forms, NUL, lone surrogates, zero-width-only text, 10 MB strings, year 9999 — are each refused
with a ValidationError naming the field (or normalised, where the form is equivalent), on memory,
SQLite and PostgreSQL, and nothing is written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime
from typing import Any

import attrs
import pytest

import mdreg
from backends import BACKENDS, populated, scratch_backend
from mdreg import Actor, ResidentId
from mdreg.domain.application import (
    CancellationGround,
    CancellationRequest,
    FilingRequest,
    MilitaryOutRequest,
    RegistrationRequest,
)
from mdreg.domain.identifiers import DivisionCode
from mdreg.domain.model import Category, Level, Physician, Qualification

T0 = datetime(2026, 3, 2, 1, tzinfo=UTC)
HUGE = "照" * 10_000_000


@attrs.define
class Scene:
    registry: mdreg.Registry
    me: Actor
    department: Actor
    registration_id: str
    institution_id: str
    other_id: str
    qualification_no: str
    application_id: str


@pytest.fixture(scope="module", params=BACKENDS)
def scene(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[Scene]:
    with scratch_backend(request, tmp_path_factory, "mdreg_b02") as url:
        p = populated(url, T0)
        yield Scene(p.registry, Actor.physician(p.doctor.id),
                    Actor.authority(p.registration.approved_by), p.registration.id, p.home.id,
                    p.other.id, p.doctor.qualifications[0].certificate_no, p.pending.id)
        p.registry.release()


def _filing(s: Scene, **changes: Any) -> Callable[[], object]:
    fields = {"valid_from": T0.date(), "valid_to": date(2026, 12, 1), **changes}
    return lambda: s.registry.apply(s.me, FilingRequest(
        s.registration_id, s.other_id, ("内科专业",), **fields))


def _fire(s: Scene, **kwargs: Any) -> Callable[[], object]:
    return lambda: s.registry.fire(s.application_id, "send_back",
                                   Actor.institution(s.institution_id), **kwargs)


def _physician(name: str) -> Physician:
    return Physician("PX", name, ResidentId.parse("11010519491231002X"),
                     (Qualification("QX", Level.PHYSICIAN, Category.CLINICAL, date(2020, 1, 1)),))


#: case → (the call, the field named)
CASES: dict[str, tuple[Callable[[Scene], Callable[[], object]], str]] = {
    "arabic_indic_id_digits": (lambda s: lambda: ResidentId.parse("١١٠١٠٥١٩٤٩١٢٣١٠٠٢X"),
                               "id_number"),
    "devanagari_division": (lambda s: lambda: DivisionCode("११०१०५"), "division_code"),
    "nul_in_a_reason": (lambda s: _fire(s, reason="材料\x00不全"), "reason"),
    "lone_surrogate_in_a_reason": (lambda s: _fire(s, reason="材料\ud800"), "reason"),
    "zero_width_only_reason": (lambda s: _fire(s, reason="\u200b\u200b"), "reason"),
    "ten_million_character_reason": (lambda s: _fire(s, reason=HUGE), "reason"),
    "ten_million_character_unit": (lambda s: lambda: s.registry.apply(
        s.me, MilitaryOutRequest(s.registration_id, HUGE)), "military_unit"),
    "year_9999_filing_end": (lambda s: _filing(s, valid_to=date(9999, 12, 31)), "valid_to"),
    "year_9999_ground_known": (lambda s: lambda: s.registry.apply(s.me, CancellationRequest(
        s.registration_id, CancellationGround.OWN_REQUEST, date(9999, 12, 31))),
                               "ground_known_on"),
    "year_9999_tick": (lambda s: lambda: s.registry.tick(datetime(9999, 12, 31, tzinfo=UTC)),
                       "now"),
    "naive_tick": (lambda s: lambda: s.registry.tick(datetime(2026, 3, 3)), "now"),
    "nul_in_a_name": (lambda s: lambda: s.registry.load(physicians=[_physician("张\x00三")]),
                      "physicians[0].name"),
    "surrogate_in_a_name": (lambda s: lambda: s.registry.load(
        physicians=[_physician("张\udc00")]), "physicians[0].name"),
    "hundred_thousand_scopes": (lambda s: lambda: s.registry.apply(s.me, RegistrationRequest(
        s.institution_id, s.qualification_no, ("内科专业",) * 100_000)), "scopes"),
    "none_as_application_id": (lambda s: lambda: s.registry.application(
        None), "application_id"),  # type: ignore[arg-type]
    "bytes_as_event": (lambda s: lambda: s.registry.fire(
        s.application_id, b"confirm", s.me), "event"),  # type: ignore[arg-type]
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_b02_an_extreme_value_is_refused_naming_its_field(scene: Scene, case: str) -> None:
    make, field = CASES[case]
    before = scene.registry.audit_count(), scene.registry.notice_counts()
    with pytest.raises(mdreg.ValidationError) as refused:
        make(scene)()
    assert refused.value.field == field
    assert refused.value.field_label and len(str(refused.value)) < 300
    assert (scene.registry.audit_count(), scene.registry.notice_counts()) == before
    with pytest.raises(mdreg.NotFoundError):
        scene.registry.physician("PX")


def test_b02_full_width_digits_are_the_same_number() -> None:
    assert ResidentId.parse("１１０１０５１９４９１２３１００２Ｘ") == ResidentId.parse("11010519491231002X")
    assert DivisionCode("１１０１０５") == DivisionCode("110105")

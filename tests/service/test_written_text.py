"""A reason or a correction is written text: bounded, no control characters or unpaired
surrogates, something visible where one is required — refused with a ValidationError naming
the field, and nothing changes."""

from __future__ import annotations

from typing import Any

import pytest

import mdreg
from mdreg import Actor, ValidationError
from mdreg.testing import World


@pytest.fixture
def submitted(world: World, registry: mdreg.Registry) -> mdreg.Application:
    doctor, hospital = world.physician(), world.institution("110105")
    return registry.apply(Actor.physician(doctor.id), mdreg.RegistrationRequest(
        hospital.id, doctor.qualifications[0].certificate_no, ("内科专业",)))


@pytest.mark.parametrize(("reason", "field"), [
    ("\u200b", "reason"),            # only a zero-width space
    ("\x00", "reason"),              # a NUL
    ("照片\ud800不清", "reason"),    # a lone surrogate
    ("理" * 2_001, "reason"),        # longer than Limits.text_characters
    (None, "reason"),
    (42, "reason"),
    (b"bytes", "reason"),
])
def test_a_reason_that_is_not_written_text_is_refused(
        registry: mdreg.Registry, submitted: mdreg.Application, reason: Any, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        registry.fire(submitted.id, "send_back", Actor.institution(submitted.institution_id),
                      reason=reason)
    assert refused.value.field == field
    assert registry.application(submitted.id).version == submitted.version


@pytest.mark.parametrize("corrections", [
    ("\u200b",), ("照片\x07",), "照片", tuple("照" for _ in range(101)), (None,),
])
def test_corrections_that_are_not_written_text_are_refused(
        registry: mdreg.Registry, submitted: mdreg.Application, corrections: Any) -> None:
    registry.fire(submitted.id, "confirm", Actor.institution(submitted.institution_id))
    department = Actor.authority(submitted.department_id)
    before = registry.application(submitted.id)
    with pytest.raises(ValidationError) as refused:
        registry.fire(submitted.id, "request_correction", department, corrections=corrections)
    assert refused.value.field.partition("[")[0] == "corrections"
    assert registry.application(submitted.id).version == before.version


def test_written_text_keeps_line_breaks_and_strips_the_ends(
        registry: mdreg.Registry, submitted: mdreg.Application) -> None:
    returned = registry.fire(submitted.id, "send_back",
                             Actor.institution(submitted.institution_id),
                             reason="  照片不清晰\n请重新上传  ")
    assert returned.reason == "照片不清晰\n请重新上传"

"""Policy tests for the example province (examples/province_policy.py), written with the kit only."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

import pytest

from mdreg import FilingRequest, RegistrationRequest
from mdreg.testing.scenario import Scenario

_spec = importlib.util.spec_from_file_location(
    "province_policy", Path(__file__).resolve().parents[2] / "examples" / "province_policy.py")
assert _spec is not None and _spec.loader is not None
province = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(province)


@pytest.fixture
def s() -> Scenario:
    return Scenario(policy=province.POLICY)


def test_the_province_adds_a_clinical_scope(s: Scenario) -> None:
    for scenario, ok in ((s, True), (Scenario(), False)):
        doctor = scenario.physician()
        outcome = scenario.applies(doctor, RegistrationRequest(
            scenario.institution("330106").id, doctor.qualifications[0].certificate_no,
            ("老年医学专业",)))
        if ok:
            outcome.passes()
        else:
            outcome.fails("scope.belongs_to_category", only=True)


def test_a_third_active_filing_is_refused_from_2026(s: Scenario) -> None:
    doctor = s.physician()
    home = s.registered(doctor, s.institution("330106"))
    s.world.filing(home, s.institution("330102"))
    request = FilingRequest(home.id, s.institution("330108").id, home.scopes,
                            valid_from=date(2026, 3, 2), valid_to=date(2027, 3, 1))
    s.applies(doctor, request).passes()
    s.world.filing(home, s.institution("330109"))
    s.applies(doctor, FilingRequest(home.id, s.institution("330110").id, home.scopes,
                                    valid_from=date(2026, 3, 2), valid_to=date(2027, 3, 1))
              ).fails("example_province.at_most_two_filings", only=True)


def test_the_switched_off_rule_is_not_evaluated(s: Scenario) -> None:
    doctor = s.physician()
    home = s.registered(doctor, s.institution("330106"))
    outcome = s.applies(doctor, FilingRequest(home.id, s.institution("330102").id, ("外科专业",),
                                              valid_from=date(2026, 3, 2), valid_to=date(2026, 9, 1)))
    outcome.passes()
    assert "filing.scope_within_registration" not in outcome.verdict.checked

"""The rule-coverage option reports per rule and fails under its threshold."""

from __future__ import annotations

import pytest
from plugin_host import host_project

pytest_plugins = ["pytester"]


@pytest.fixture
def host(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return host_project(pytester, monkeypatch)

POLICY_TEST = '''
from mdreg import Level, RegistrationRequest

def test_one(scenario):
    doctor = scenario.physician(level=Level.ASSISTANT)
    scenario.applies(doctor, RegistrationRequest(
        scenario.institution("440100").id, doctor.qualifications[0].certificate_no, ("内科专业",)
    )).fails("practice_location.assistant_county")
'''


@pytest.mark.parametrize(("threshold", "ok"), [("0", True), ("100", False)])
def test_threshold(host: pytest.Pytester, threshold: str, ok: bool) -> None:
    host.makepyfile(test_policy=POLICY_TEST)
    result = host.runpytest_subprocess(
        "-p", "mdreg.testing.plugin", f"--mdreg-rule-coverage-threshold={threshold}",
        "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["*mdreg rule coverage*", "*practice_location.assistant_county*"])
    assert (result.ret == 0) is ok

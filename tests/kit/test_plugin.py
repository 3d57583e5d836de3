"""A project that installs mdreg gets its pytest plugin with no configuration; the old ways of
loading it (``-p``, ``pytest_plugins``) still work next to the entry point."""

from __future__ import annotations

import pytest
from plugin_host import host_project

pytest_plugins = ["pytester"]


@pytest.fixture
def host(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    return host_project(pytester, monkeypatch)

HOST_TEST = '''
from mdreg import Level, RegistrationRequest

def test_fixtures(scenario, registry, world, clock):
    doctor = scenario.physician(level=Level.ASSISTANT)
    scenario.applies(doctor, RegistrationRequest(
        scenario.institution("440100").id, doctor.qualifications[0].certificate_no, ("内科专业",)
    )).fails("practice_location.assistant_county")
    assert world.registry is registry and clock.now().year == 2026
'''

PROFILE_TEST = '''
from hypothesis import settings

def test_profile():
    print("max_examples", settings.default.max_examples, "derandomize", settings.default.derandomize)
'''


@pytest.mark.parametrize("how", ["entry point", "-p", "pytest_plugins"])
def test_a_host_project_gets_the_fixtures_and_the_coverage_option(host: pytest.Pytester, how: str
                                                                  ) -> None:
    host.makepyfile(test_host=HOST_TEST)
    args = ["-p", "no:cacheprovider", "--mdreg-rule-coverage"]
    if how == "-p":
        args += ["-p", "mdreg.testing.plugin"]
    elif how == "pytest_plugins":
        host.makeconftest('pytest_plugins = ["mdreg.testing.plugin"]\n')
    result = host.runpytest_subprocess(*args)
    result.stdout.fnmatch_lines(["*mdreg rule coverage*", "*1 passed*"])
    assert result.ret == 0


def test_no_mdreg_turns_the_plugin_off(host: pytest.Pytester) -> None:
    host.makepyfile(test_host=HOST_TEST)
    result = host.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:mdreg")
    result.stdout.fnmatch_lines(["*fixture 'scenario' not found*"])
    assert result.ret == pytest.ExitCode.TESTS_FAILED


def test_without_a_profile_hypothesis_keeps_its_own_choice(host: pytest.Pytester) -> None:
    """Nothing forced: with no profile named, the settings are hypothesis's own (which differ on a
    CI machine, where hypothesis loads its ``ci`` profile), the same as with the plugin off."""
    host.makepyfile(test_profile=PROFILE_TEST)
    settings = []
    for plugin in ("mdreg", "no:mdreg"):
        result = host.runpytest_subprocess("-p", "no:cacheprovider", "-p", plugin, "-s")
        assert result.ret == 0
        settings.append([line for line in result.outlines if "max_examples" in line])
    assert settings[0] == settings[1] and len(settings[0]) == 1


@pytest.mark.parametrize(("ini", "env", "expected"), [
    ("mdreg_hypothesis_profile = ci", "", "max_examples 100 derandomize True"),
    ("mdreg_hypothesis_profile = dev", "", "max_examples 50 derandomize False"),
    ("mdreg_hypothesis_profile = ci", "nightly", "max_examples 2000 derandomize False"),
])
def test_the_hypothesis_profile_is_chosen_by_the_project(
        host: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, ini: str, env: str, expected: str
) -> None:
    host.makeini(f"[pytest]\n{ini}\n")
    host.makepyfile(test_profile=PROFILE_TEST)
    if env:
        monkeypatch.setenv("MDREG_HYPOTHESIS_PROFILE", env)
    result = host.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.stdout.fnmatch_lines([f"*{expected}*"])
    assert result.ret == 0


def test_a_profile_of_the_project_s_own(host: pytest.Pytester) -> None:
    host.makeini("[pytest]\nmdreg_hypothesis_profile = mine\n")
    host.makeconftest("from hypothesis import settings\n"
                      "settings.register_profile('mine', max_examples=7)\n")
    host.makepyfile(test_profile=PROFILE_TEST)
    result = host.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.stdout.fnmatch_lines(["*max_examples 7 *"])

"""Policy tests that read like the regulation: given …, when a physician applies …, then ….

>>> from datetime import date
>>> from mdreg import Level, RegistrationRequest
>>> s = Scenario()
>>> hospital, other = s.institution("110105"), s.institution("110108")
>>> doctor = s.physician(level=Level.PHYSICIAN)
>>> _ = s.registered(doctor, hospital)
>>> s.on(date(2026, 3, 9)).applies(doctor, RegistrationRequest(
...     other.id, doctor.qualifications[0].certificate_no, ("内科专业",))
... ).fails("practice_location.one_primary_institution").rule_ids
('practice_location.one_primary_institution',)
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time
from typing import Any

from mdreg.bootstrap import open as open_registry
from mdreg.domain.application import Actor, Application, Payload
from mdreg.domain.clock import SHANGHAI, FakeClock
from mdreg.domain.model import Institution, Physician, Registration
from mdreg.rules import Policy, Verdict
from mdreg.service.ids import SequentialIds
from mdreg.service.registry import Registry
from mdreg.testing.builders import World
from mdreg.workflows import BASE_POLICY


class Outcome:
    """The verdict a submission gets; assertions name the rules, and failures explain why."""

    def __init__(self, scenario: Scenario, application: Application, verdict: Verdict) -> None:
        self.scenario, self.application, self.verdict = scenario, application, verdict

    @property
    def rule_ids(self) -> tuple[str, ...]:
        return self.verdict.failed_rule_ids

    def passes(self) -> Outcome:
        """Assert that every rule in force passes."""
        if not self.verdict.passed:
            raise AssertionError(f"expected to pass, but failed: {self._describe()}")
        return self

    def fails(self, *rule_ids: str, only: bool = False) -> Outcome:
        """Assert that each of ``rule_ids`` fails (and, with ``only``, nothing else does)."""
        missing = [r for r in rule_ids if r not in self.rule_ids]
        extra = [r for r in self.rule_ids if r not in rule_ids]
        if missing or (only and extra):
            raise AssertionError(
                f"expected {list(rule_ids)} to fail; failed: {self._describe() or 'nothing'}"
            )
        return self

    def checks(self, rule_id: str) -> Outcome:
        """Assert that ``rule_id`` was in force and evaluated."""
        if rule_id not in self.verdict.checked:
            raise AssertionError(f"{rule_id} was not evaluated; checked {self.verdict.checked}")
        return self

    def approved(self) -> Application:
        """Submit and take the application through confirmation, acceptance and approval."""
        registry = self.scenario.registry
        app = registry.fire(self.application.id, "submit", self.application.applicant)
        return self.scenario.world.approve(app)

    def _describe(self) -> str:
        return "; ".join(f"{v.rule_id} ({v.message})" for v in self.verdict.violations)


class Scenario:
    """A registry on a fake clock, reference data with defaults, and submissions to judge."""

    def __init__(self, registry: Registry | None = None, *, policy: Policy = BASE_POLICY,
                 on: date = date(2026, 3, 2)) -> None:
        self.clock = FakeClock(_nine_am(on))
        self.registry = registry or open_registry("memory://", clock=self.clock, policy=policy,
                                                  ids=SequentialIds())
        if registry is not None and isinstance(registry.clock, FakeClock):
            self.clock = registry.clock
        self.world = World(self.registry)

    def on(self, day: date) -> Scenario:
        """Move the clock to 09:00 Beijing time on ``day`` (the application date)."""
        self.clock.set(_nine_am(day))
        return self

    def institution(self, code: str, **kw: Any) -> Institution:
        """An institution in division ``code`` (see :meth:`World.institution`)."""
        return self.world.institution(code, **kw)

    def physician(self, **kw: Any) -> Physician:
        """A physician with one qualification (see :meth:`World.physician`)."""
        return self.world.physician(**kw)

    def registered(self, physician: Physician, institution: Institution, **kw: Any) -> Registration:
        """Given: the physician holds a valid registration at the institution (run for real)."""
        return self.world.registration(physician, institution, **kw)

    def applies(self, physician: Physician, payload: Payload) -> Outcome:
        """When: the physician applies; the outcome holds the verdict of submission."""
        draft = self.registry.apply(Actor.physician(physician.id), payload, submit=False)
        return Outcome(self, draft, self.registry.check(draft.id, "submit"))

    def each(self, physicians: Iterable[Physician], payloads: Iterable[Payload]) -> list[Outcome]:
        """Several submissions at once (pairs of physician and payload)."""
        return [self.applies(p, x) for p, x in zip(physicians, payloads, strict=True)]


def _nine_am(day: date) -> datetime:
    return datetime.combine(day, time(9), tzinfo=SHANGHAI).astimezone(UTC)


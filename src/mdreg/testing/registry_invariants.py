"""The invariants :class:`~mdreg.testing.registry_machine.WholeRegistry` checks after every step.

Valid registrations never overlap and sit where their primary institution is; active filings hang
under valid registrations inside their location; nothing local survives 变更到军队; every row
comes from an approval whose audit event lists it; every application's version and state match
its audit trail, and the trails add up to the audit count.
"""

from __future__ import annotations

from typing import ClassVar

from hypothesis.stateful import invariant

from mdreg.domain.model import (
    Filing,
    Institution,
    Level,
    Physician,
    Registration,
    RegistrationStatus,
)
from mdreg.rules.practice_location import overlaps
from mdreg.service.registry import Registry
from mdreg.workflows import DEFINITIONS


class RegistryInvariants:
    """Invariants over the registry a state machine drives (a mixin of the machine)."""

    KNOWN_GAPS: ClassVar[frozenset[str]] = frozenset()
    registry: Registry
    physicians: list[Physician]
    by_id: dict[str, Institution]
    apps: list[str]
    legacy_ids: set[str]
    military: dict[str, set[str]]


    @invariant()
    def registrations_are_consistent(self) -> None:
        for physician in self.physicians:
            valid = [r for r in self.registry.registrations(physician.id) if r.is_valid]
            for registration in valid:
                primary = self.by_id.get(registration.primary_institution_id)
                assert primary is not None
                assert registration.location.contains(primary.division)
                if registration.level is Level.ASSISTANT:
                    assert registration.location.level == "county"
            for n, one in enumerate(valid):
                assert not any(overlaps(one.location, other.location) for other in valid[n + 1:])
            assert sum(r.level is Level.ASSISTANT for r in valid) <= 1
            if all(q.level is Level.ASSISTANT for q in physician.qualifications):
                assert len(valid) <= 1

    @invariant()
    def filings_hang_under_valid_registrations(self) -> None:
        for physician in self.physicians:
            registrations = {r.id: r for r in self.registry.registrations(physician.id)}
            for filing in self.registry.filings(physician.id):
                if not filing.is_active:
                    continue
                registration = registrations[filing.registration_id]
                assert registration.location.contains(self.by_id[filing.institution_id].division)
                assert filing.institution_id != registration.primary_institution_id
                assert registration.is_valid or self._tolerated(registration)

    def _tolerated(self, registration: Registration) -> bool:
        trail = [e.event for e in self.registry.trail(registration.id)]
        if registration.status is RegistrationStatus.FILED:
            return "filings_outlive_departure" in self.KNOWN_GAPS
        return ("filings_outlive_expiry" in self.KNOWN_GAPS and bool(trail)
                and trail[-1] == "expire_filed")

    @invariant()
    def nothing_local_survives_military_out(self) -> None:
        for physician_id, ids in self.military.items():
            for registration in self.registry.registrations(physician_id):
                assert not (registration.id in ids and registration.is_valid)
            for filing in self.registry.filings(physician_id):
                assert not (filing.id in ids and filing.is_active)

    @invariant()
    def every_row_comes_from_an_approval_that_lists_it(self) -> None:
        created: set[str] = set()
        for app_id in self.apps:
            for audit in self.registry.history(app_id):
                created.update(audit.data.get("created", ()))
        for physician in self.physicians:
            rows: list[Registration | Filing] = [*self.registry.registrations(physician.id),
                                                 *self.registry.filings(physician.id)]
            for row in rows:
                assert row.id in created
                assert row.application_id is not None
            assert {s.id for s in self.registry.legacy_sites(physician.id)} <= self.legacy_ids

    @invariant()
    def applications_match_their_audit_trail(self) -> None:
        events = 0
        for app_id in self.apps:
            app = self.registry.application(app_id)
            history = self.registry.history(app_id)
            assert app.state in DEFINITIONS[app.type].state_ids
            assert app.version == len(history)
            assert [e.seq for e in history] == list(range(1, len(history) + 1))
            assert history[-1].to_state == app.state
            events += len(history)
        registrations = [r.id for p in self.physicians for r in self.registry.registrations(p.id)]
        events += sum(len(self.registry.trail(r)) for r in registrations)
        assert events == self.registry.audit_count()


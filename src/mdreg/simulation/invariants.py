"""Registry invariants checked at the end of every simulation (and usable anywhere)."""

from __future__ import annotations

from collections.abc import Iterable

from mdreg.domain.model import Level
from mdreg.service.registry import Registry


def violations(registry: Registry, physician_ids: Iterable[str]) -> list[str]:
    """Every broken registry invariant, described in English (empty when all hold).

    * each valid registration names a primary institution that exists;
    * no two valid registrations of a physician share or overlap a practice location;
    * an assistant holds at most one valid registration;
    * every active filing belongs to a valid registration and lies inside its location.
    """
    found: list[str] = []
    for physician_id in physician_ids:
        valid = [r for r in registry.registrations(physician_id) if r.is_valid]
        for registration in valid:
            try:
                registry.institution(registration.primary_institution_id)
            except LookupError:
                found.append(f"{registration.id}: primary institution missing")
        locations = [r.location for r in valid]
        for i, a in enumerate(locations):
            for b in locations[i + 1:]:
                if a.contains(b) or b.contains(a):
                    found.append(f"{physician_id}: two valid registrations at {a}/{b}")
        if sum(r.level is Level.ASSISTANT for r in valid) > 1:
            found.append(f"{physician_id}: an assistant with several valid registrations")
        by_id = {r.id: r for r in valid}
        for filing in registry.filings(physician_id):
            if not filing.is_active:
                continue
            home = by_id.get(filing.registration_id)
            if home is None:
                found.append(f"{filing.id}: active filing under a registration that is not valid")
            elif not home.location.contains(
                    registry.institution(filing.institution_id).division):
                found.append(f"{filing.id}: filing outside its registration's location")
    return found

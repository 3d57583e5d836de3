"""Policies as data: export to JSON-ready dicts, load by reference, and diff.

>>> from datetime import date
>>> from mdreg.workflows import BASE_POLICY
>>> before = export(BASE_POLICY, on=date(2021, 6, 1))
>>> after = export(BASE_POLICY, on=date(2022, 6, 1))
>>> changes = diff(before, after)["rules"]
>>> [change["rule"] for change in changes if change["change"] == "added"]
['refusal.failed_assessment_cancellation', 'refusal.registration_revoked']
>>> next(c for c in changes if c["rule"] == "refusal.civil_capacity")["fields"]
['citations', 'effective_from', 'effective_until', 'version']
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from mdreg.rules.base import Citation, Rule
from mdreg.rules.policy import Policy


def rule_data(rule: Rule[Any]) -> dict[str, Any]:
    """One rule's metadata: ids, labels, citations, effective period, switchability."""
    return {
        "id": rule.id,
        "ref": rule.ref,
        "version": rule.version,
        "label": rule.label,
        "title": rule.title,
        "citations": [citation_data(c) for c in rule.citations],
        "effective_from": rule.effective_from.isoformat(),
        "effective_until": rule.effective_until.isoformat() if rule.effective_until else None,
        "inferred": rule.inferred,
        "fix": rule.fix,
    }


def citation_data(citation: Citation) -> dict[str, Any]:
    """One citation: the instrument's title, document number, URL and period, the article and
    the source tag of the text it was checked against."""
    instrument = citation.instrument
    return {
        "instrument": instrument.title,
        "document_no": instrument.document_no,
        "url": instrument.url,
        "article": citation.article,
        "source": citation.source,
        "in_force": {"from": instrument.effective_from.isoformat(),
                     "to": instrument.effective_until.isoformat()
                     if instrument.effective_until else None},
    }


def checked_on(policy: Policy, rule: Rule[Any]) -> list[str]:
    """Where ``policy`` checks ``rule``: ``business:event`` pairs."""
    return [f"{business.value}:{event}" for (business, event), table
            in sorted(policy.rules.items()) if rule in table]


def export(policy: Policy, on: date | None = None) -> dict[str, Any]:
    """The policy as plain data; with ``on``, only the rules in force that day.

    Rules are keyed by id; without ``on``, a rule with dated versions has one entry per
    version, keyed ``id@vN``.
    """
    rules = sorted((r for r in policy.all_rules()
                    if (on is None or r.in_force(on)) and r.id not in policy.switched_off),
                   key=lambda r: (r.id, r.version))
    versions = Counter(r.id for r in rules)
    return {
        "name": policy.name,
        "as_of": on.isoformat() if on else None,
        "parameters": {k: _plain(v) for k, v in sorted(policy.parameters.items())},
        "switched_off": sorted(policy.switched_off),
        "rules": {(r.id if versions[r.id] == 1 else f"{r.id}@v{r.version}"):
                  {**rule_data(r), "checked_on": checked_on(policy, r)} for r in rules},
    }


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    return value


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """What changed between two exported policies: rules added/removed/changed, parameters."""
    changes: list[dict[str, Any]] = []
    old, new = before["rules"], after["rules"]
    for rule_id in sorted(set(old) | set(new)):
        if rule_id not in old:
            changes.append({"rule": rule_id, "change": "added", "label": new[rule_id]["label"]})
        elif rule_id not in new:
            changes.append({"rule": rule_id, "change": "removed", "label": old[rule_id]["label"]})
        else:
            fields = sorted(k for k in set(old[rule_id]) | set(new[rule_id])
                            if old[rule_id].get(k) != new[rule_id].get(k))
            if fields:
                changes.append({"rule": rule_id, "change": "changed", "fields": fields})
    params = {
        key: {"before": before["parameters"].get(key), "after": after["parameters"].get(key)}
        for key in sorted(set(before["parameters"]) | set(after["parameters"]))
        if before["parameters"].get(key) != after["parameters"].get(key)
    }
    return {"before": _name(before), "after": _name(after), "rules": changes,
            "parameters": params}


def _name(data: dict[str, Any]) -> str:
    return f"{data['name']}@{data['as_of']}" if data["as_of"] else str(data["name"])

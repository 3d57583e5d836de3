"""A rule's version changes when its logic changes: the source of each rule version's ``check``
is fingerprinted in ``rule_fingerprints.json``; changing a rule's code without giving it a new
version (and a new entry here) fails this test. The fingerprint covers the ``check`` method's
own source, not the helper functions it calls.

To record a deliberate change: give the rule a new ``version`` (a new class, dated, when the old
logic still decides older applications), then run
``MDREG_UPDATE_RULE_FINGERPRINTS=1 pytest tests/rules/test_rule_versions.py``.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
from pathlib import Path
from typing import Any

from mdreg.rules import Rule
from mdreg.service.records import rule_keys
from mdreg.workflows import BASE_POLICY

RECORDED = Path(__file__).with_name("rule_fingerprints.json")


def fingerprint(rule: Rule[Any]) -> str:
    source = inspect.getsource(type(rule).check)
    return hashlib.sha256(source.encode()).hexdigest()[:16]


def current() -> dict[str, str]:
    rules = sorted(BASE_POLICY.all_rules(), key=lambda r: (r.id, r.version))
    return {key: fingerprint(rule) for key, rule in zip(rule_keys(rules), rules, strict=True)}


def test_a_rule_whose_logic_changed_has_a_new_version() -> None:
    found = current()
    if os.environ.get("MDREG_UPDATE_RULE_FINGERPRINTS") == "1":
        RECORDED.write_text(json.dumps(found, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    recorded = json.loads(RECORDED.read_text(encoding="utf-8"))
    changed = sorted(key for key in found.keys() & recorded.keys() if found[key] != recorded[key])
    assert changed == [], (f"the logic of {changed} changed under the same version: give the "
                           "rule a new version, then record it (see this module's docstring)")
    assert sorted(found.keys() - recorded.keys()) == [], "new rule versions: record them"

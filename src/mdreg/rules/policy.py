"""政策 — a named, dated set of rules per business type and event.

A :class:`Policy` is validated when it is built: every rule has an id, a Chinese label, an
English title and at least one citation, and no two different rules share an id — except the
dated versions of one rule, which share its id and ref and follow each other in time.

>>> from mdreg.workflows import BASE_POLICY
>>> from mdreg.domain.application import BusinessType
>>> from datetime import date
>>> [r.ref for r in BASE_POLICY.rules_for(BusinessType.REGISTRATION, "approve", date(2021, 6, 1))][:3]
['R-REG-1', 'R-REG-7', 'R-REG-8']
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date
from itertools import pairwise
from typing import Any

import attrs

from mdreg.domain.application import BusinessType
from mdreg.errors import RuleDefinitionError
from mdreg.rules.base import Rule

RuleTable = Mapping[tuple[BusinessType, str], tuple[Rule[Any], ...]]


def _validate_rule(rule: Rule[Any]) -> None:
    for attribute in ("id", "label", "title"):
        if not getattr(rule, attribute, ""):
            raise RuleDefinitionError(f"rule {type(rule).__name__} has no {attribute}")
    if not getattr(rule, "citations", ()):
        raise RuleDefinitionError(f"rule {rule.id} has no citation")


def _validate(table: RuleTable) -> None:
    """Every rule is complete; one class per id and version; the versions of one id share its
    ref and do not overlap in time."""
    seen: dict[str, dict[int, type[Rule[Any]]]] = {}
    for rules in table.values():
        for rule in rules:
            _validate_rule(rule)
            other = seen.setdefault(rule.id, {}).setdefault(rule.version, type(rule))
            if other is not type(rule):
                raise RuleDefinitionError(
                    f"rule id {rule.id!r} is used by {other.__name__} and {type(rule).__name__}"
                )
    for rule_id, versions in seen.items():
        dated = sorted(versions.values(), key=lambda v: v.effective_from)
        if len({v.ref for v in dated}) > 1:
            raise RuleDefinitionError(f"the versions of rule {rule_id!r} have different refs")
        for earlier, later in pairwise(dated):
            if earlier.effective_until is None or earlier.effective_until >= later.effective_from:
                raise RuleDefinitionError(
                    f"versions {earlier.version} and {later.version} of rule {rule_id!r} overlap")


def _table(rules: RuleTable) -> RuleTable:
    return {key: tuple(value) for key, value in rules.items()}


def _swapped(rules: tuple[Rule[Any], ...], swaps: Mapping[str, list[Rule[Any]]]
             ) -> tuple[Rule[Any], ...]:
    """``rules`` with every version of a swapped id replaced, once, by its replacements."""
    out: list[Rule[Any]] = []
    for rule in rules:
        if rule.id not in swaps:
            out.append(rule)
        elif not any(r.id == rule.id for r in out):
            out.extend(swaps[rule.id])
    return tuple(out)


@attrs.frozen
class Parameter:
    """A named policy parameter with its default and what it decides."""

    name: str
    default: Any
    doc: str


#: Every parameter a policy may set, with its documented default.
PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter("extra_scopes", {}, "省级增加的执业范围: category value → extra scopes"),
        Parameter("cancellation_grounds", None,
                  "accepted 注销 ground values (None: every ground of 2017 Art 18)"),
        Parameter("person_wide_cancellation", True,
                  "[I] death, criminal punishment or revocation cancels every registration "
                  "and filing of the physician"),
        Parameter("second_province_identical", True,
                  "[V~] R-LOC-7: a 注册 in another province keeps the first registration only if "
                  "qualification and scopes are identical; otherwise the first becomes invalid"),
        Parameter("change_decided_by_new_department", True,
                  "[I] a 变更 of primary institution is decided by the department that approved "
                  "the new institution (False: the department that granted the registration)"),
        Parameter("cancellation_report_days", 30,
                  "R-CAN-3: calendar days to report a cancellation ground"),
        Parameter("decision_working_days", 20,
                  "R-DL-1: working days from acceptance to the decision on an application dated "
                  "from 2022-03-01 (医师法 Art 13)"),
        Parameter("reminder_working_days", 3,
                  "[I] working days before a decision's last day when the deciding department "
                  "is reminded (催办); 0: no reminders"),
        Parameter("decision_days_before_2022", 30,
                  "days (calendar days: the law says 日) from receipt to the decision on an "
                  "application dated before 2022-03-01 (执业医师法 Art 13)"),
        Parameter("decision_working_days_without_statute", 20,
                  "[I] working days from acceptance to the decision for business types no law "
                  "gives a decision period (注销, 备案 …): a service target (None: no decision "
                  "deadline for them)"),
        Parameter("correction_working_days", 5,
                  "R-DL-3: working days from receipt to ask for all corrections at once; then "
                  "the application counts as accepted on the receipt date (行政许可法 Art 32(4))"),
        Parameter("correction_window_from", "materials_received",
                  "R-DL-3: the correction window (and a deemed acceptance) counts from the day "
                  "the department records receiving the paper materials (receive_materials; "
                  "行政许可法 Art 32: 自收到申请材料之日起); \"confirmed\": from the institution's "
                  "online confirmation"),
        Parameter("provisional_deadlines", True,
                  "a working-day deadline reaching a year without holiday data is counted "
                  "Monday–Friday and marked provisional until the year's data is imported "
                  "(False: the command is refused with CalendarDataMissing)"),
        Parameter("filed_expiry_years", 2,
                  "R-CAN-6: years in 备案 without renewed practice before 注销 (2017 Art 19)"),
        Parameter("filed_after_renewed_practice", "supersede",
                  "[I] R-CAN-6: a registration two years in 备案 whose physician holds a valid "
                  "registration approved after the filing is not cancelled; 'supersede': it "
                  "ends as 失效 without announcement; 'keep': it stays in 备案"),
        Parameter("individual_practice_years", 5,
                  "R-IND-1: years of registered practice in institutions before a 执业医师 "
                  "registers at an individual clinic (医师法 Art 20)"),
        Parameter("individual_practice_counts_assistant_years", True,
                  "[I] R-IND-1: registered practice as 执业助理医师 counts towards those years"),
        Parameter("assistant_at_individual_clinic", False,
                  "[I] R-AST-1: an assistant may register at an individual clinic (under the "
                  "guidance of the physician who runs it)"),
        Parameter("periodic_assessment_years", 3,
                  "R-ASM-1: length of a 定期考核 cycle starting on or after 2022-03-01 "
                  "(医师法 Art 42)"),
        Parameter("periodic_assessment_years_before_2022", 2,
                  "R-ASM-1: length of a cycle starting before 2022-03-01 (2007 measures)"),
        Parameter("assessment_duty_min_days", 1,
                  "[I] R-ASM-3: a cycle counts (missed without a result) when the physician "
                  "held a registration in force on at least this many of its days since the "
                  "2007 assessment measures came into force"),
        Parameter("periodic_assessment_suspension_months", (3, 6),
                  "R-ASM-2: shortest and longest suspension after a failed assessment, in "
                  "months (医师法 Art 42)"),
        Parameter("require_active_account", True,
                  "[V~] R-ACC-2: a physician submits business applications (and uses the "
                  "portal's views and personal changes) only through an ACTIVE account"),
        Parameter("institution_applies_for_change", True,
                  "R-ACC-5: the intended (new) institution may apply for a 变更 on the "
                  "physician's behalf, as for a 注册 — the way a physician whose account is "
                  "verified but not active reaches the activation an approved 变更 gives"),
        Parameter("county_scope_approval", "recorded",
                  "R-SCOPE-1: several scopes at a county-level institution need the county "
                  "department's approval on record at the decision (Registry.approve_scopes); "
                  "\"declared\": the applicant's county_approved is taken as given"),
        Parameter("department_choice_needs_approval", False,
                  "R-DEPT-1: 科室信息设置 takes effect at once (the portal's help asks the "
                  "institution to approve personal information and photos only); True: it waits "
                  "for the institution's approval like them"),
    )
}


def _parameters(values: Mapping[str, Any]) -> Mapping[str, Any]:
    unknown = set(values) - set(PARAMETERS)
    if unknown:
        raise RuleDefinitionError(f"unknown policy parameters {sorted(unknown)}")
    merged = {name: p.default for name, p in PARAMETERS.items() if p.default is not None}
    merged.update(values)
    return merged


def _ids(values: Iterable[str]) -> frozenset[str]:
    return frozenset(values)


@attrs.frozen
class Policy:
    """Rules per (business type, event), parameters and switches; rules apply by effective date.

    ``switched_off`` names inferred rules (tag [I]: design assumptions) this policy does not
    apply; switching off a verified rule is refused.
    """

    name: str
    rules: RuleTable = attrs.field(converter=_table)
    parameters: Mapping[str, Any] = attrs.field(factory=dict, converter=_parameters)
    switched_off: frozenset[str] = attrs.field(default=frozenset(), converter=_ids)

    def __attrs_post_init__(self) -> None:
        _validate(self.rules)
        known = {r.id: r for r in self.all_rules()}  # versions share ``inferred``
        for rule_id in self.switched_off:
            rule = known.get(rule_id)
            if rule is None or not rule.inferred:
                raise RuleDefinitionError(
                    f"{rule_id!r} is not an inferred rule of this policy and cannot be switched off"
                )

    def rules_for(self, business: BusinessType, event: str, on: date) -> tuple[Rule[Any], ...]:
        """The rules in force on ``on`` for ``event`` of ``business``."""
        return tuple(
            r for r in self.rules.get((business, event), ())
            if r.in_force(on) and r.id not in self.switched_off
        )

    def param(self, name: str) -> Any:
        """A parameter's value (the documented default unless the policy sets it)."""
        if name not in PARAMETERS:
            raise RuleDefinitionError(f"unknown policy parameter {name!r}")
        return self.parameters.get(name, PARAMETERS[name].default)

    def override(
        self,
        name: str,
        *,
        replace: Iterable[Rule[Any]] = (),
        add: Mapping[tuple[BusinessType, str], Iterable[Rule[Any]]] | None = None,
        switch_off: Iterable[str] = (),
        **parameters: Any,
    ) -> Policy:
        """A province's policy derived from this one, without editing mdreg.

        Args:
            name: the new policy's name.
            replace: rules that take the place of the rules with the same id (every version),
                wherever used.
            add: extra rules per (business type, event).
            switch_off: ids of inferred rules not to apply.
            parameters: parameter values to change (e.g. ``extra_scopes``).

        Raises:
            RuleDefinitionError: an unknown rule to replace, two rules sharing an id, a rule
                without label or citation, a verified rule switched off, an unknown parameter.
        """
        swaps: dict[str, list[Rule[Any]]] = {}
        for rule in replace:
            swaps.setdefault(rule.id, []).append(rule)
        unknown = set(swaps) - set(self.rule_ids())
        if unknown:
            raise RuleDefinitionError(f"cannot replace unknown rules {sorted(unknown)}")
        table = {key: _swapped(rules, swaps) for key, rules in self.rules.items()}
        for key, rules in (add or {}).items():
            table[key] = table.get(key, ()) + tuple(rules)
        return Policy(name, table, {**self.parameters, **parameters},
                      self.switched_off | frozenset(switch_off))

    def with_changes(
        self, name: str, *, switch_off: Iterable[str] = (), **parameters: Any
    ) -> Policy:
        """A derived policy: some inferred rules switched off, some parameters changed."""
        merged = {**self.parameters, **parameters}
        return Policy(name, self.rules, merged, self.switched_off | frozenset(switch_off))

    def all_rules(self) -> tuple[Rule[Any], ...]:
        """Every distinct rule in the policy (each version of a dated rule), in first-use
        order."""
        unique: dict[tuple[str, int], Rule[Any]] = {}
        for rules in self.rules.values():
            for rule in rules:
                unique.setdefault((rule.id, rule.version), rule)
        return tuple(unique.values())

    def rule_ids(self) -> tuple[str, ...]:
        """The distinct rule ids of the policy, in first-use order."""
        return tuple(dict.fromkeys(r.id for r in self.all_rules()))

    def extend(
        self, name: str, extra: Mapping[tuple[BusinessType, str], Iterable[Rule[Any]]]
    ) -> Policy:
        """A new policy with ``extra`` rules appended per (business type, event)."""
        table = {key: tuple(rules) for key, rules in self.rules.items()}
        for key, rules in extra.items():
            table[key] = table.get(key, ()) + tuple(rules)
        return Policy(name, table, self.parameters, self.switched_off)

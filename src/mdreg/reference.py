"""Reference pages generated from the code: workflow tables and diagrams, the rule catalogue,
the numbered rules and their status, the sources.

The documentation build calls these; nothing here is maintained by hand.

>>> from mdreg.domain.application import BusinessType
>>> page = workflow_page(BusinessType.REGISTRATION)
>>> page.splitlines()[0]
'# 注册 (`registration`)'
>>> "```mermaid" in page and "| `approve` | 准予注册 |" in page
True

A citation links its source tag to the generated sources page:

>>> from mdreg.rules.citations import REGISTRATION_MEASURES
>>> cited(REGISTRATION_MEASURES.article("第十七条", "S3"))
'《医师执业注册管理办法》第十七条 ([S3](sources.md#source-s3))'
>>> "(source-s3)=" in sources_page().splitlines()
True
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby
from typing import Any

from mdreg.domain.application import BusinessType
from mdreg.rules import Citation, Instrument, Policy, Rule
from mdreg.rules.catalogue import ENTRIES, counts, implementing_rules
from mdreg.rules.citations import ALL as INSTRUMENTS
from mdreg.rules.citations import BY_KEY
from mdreg.workflows import (
    BASE_POLICY,
    DECLARATIONS,
    declaration_for,
    markdown_table,
    workflow_for,
)
from mdreg.workflows.periods import DecisionBasis, WithoutStatute


def _period(basis: DecisionBasis, policy: Policy) -> str:
    """The decision period's basis; a service target as ``policy`` sets it."""
    if isinstance(basis, WithoutStatute):
        return basis.describe_under(policy.parameters)
    return basis.describe()


def workflow_page(business: BusinessType, policy: Policy = BASE_POLICY) -> str:
    """A Markdown page of one declared business type: its legal basis, routing, who may apply,
    states, events with the rules ``policy`` checks on each, effects, and paper materials."""
    declaration = declaration_for(business)
    definition = declaration.definition
    rules = []
    for event in definition.events:
        ids = dict.fromkeys(r.id for r in policy.rules.get((business, event.id), ()))
        rules.append((event.id, ", ".join(f"`{i}`" for i in ids)))
    states = "\n".join(
        f"| `{s.id}` | {s.label} | {'是' if s.final else ''} |" for s in definition.states
    )
    may_apply = declaration.institution_may_apply
    applicants = "医师本人" + (
        f"；机构可代为申请 (the routed institution may apply; policy parameter `{may_apply}`)"
        if isinstance(may_apply, str) else
        "；机构可代为申请 (the routed institution may apply)" if may_apply else "")
    effects = [f"- `{event}`: {_first_line(effect.__doc__)}"
               for event, effect in declaration.effects.items()]
    effects += [f"- `{event}` records: {_first_line(facts.__doc__)}"
                for event, facts in declaration.facts.items()]
    if declaration.activates_account_on:
        effects.append(f"- `{declaration.activates_account_on}`: 激活已验证的个人账户 "
                       "(activates the physician's verified portal account, R-ACC-5)")
    if declaration.announces:
        effects.append("- 注册的新增、变更、注销予以公告 (registrations created or ended are "
                       "announced, 医师法 Art 21)")
    materials = [f"{n}. {m.name} — {m.english}" + (f"（{m.note}）" if m.note else "")
                 + (f" — {cited(m.citation)}" if m.citation else "")
                 for n, m in enumerate(declaration.materials, 1)]
    return "\n".join([
        f"# {definition.label} (`{definition.id}`)",
        "",
        f"依据 Basis: {declaration.basis}",
        "",
        f"- 申请人 Who applies: {applicants}",
        f"- 确认 Confirms: {declaration.confirms}",
        f"- 审批 Decides: {declaration.decides}",
        f"- 审批期限 Decision period: {_period(declaration.decision_period, policy)}",
        f"- 申请内容 Payload: `{declaration.payload.__name__}`",
        "",
        "## 状态 States",
        "",
        "| 状态 state | 中文 | 终态 final |",
        "|---|---|---|",
        states,
        "",
        "## 事件与规则 Events and rules",
        "",
        markdown_table(definition, rules),
        "",
        "## 效力 Effects on the registry",
        "",
        *effects,
        "",
        "## 纸质材料 Paper materials",
        "",
        *materials,
        "",
        "```mermaid",
        workflow_for(business).mermaid(title=False),  # the page's heading is the title
        "```",
        "",
    ])


def _first_line(text: str | None) -> str:
    return (text or "").strip().splitlines()[0] if (text or "").strip() else ""


def rule_catalogue(policy: Policy = BASE_POLICY) -> str:
    """A Markdown catalogue of every rule in ``policy``: per rule its versions, each with its
    period in force and citations."""
    lines = [f"# 规则目录 Rule catalogue (policy `{policy.name}`)", "",
             "A rule is in force while every instrument it cites is; a rule the law carried from "
             "one instrument to the next has dated versions. The numbered statements the rules "
             "implement, and their status, are in [Numbered rules](catalogue.md).", ""]
    versions: dict[str, list[Rule[Any]]] = {}
    for rule in sorted(policy.all_rules(), key=lambda r: (r.id, r.version)):
        versions.setdefault(rule.id, []).append(rule)
    for rule_id, dated in versions.items():
        latest = dated[-1]
        used = sorted(f"{b.label}·{e}" for (b, e), rules in policy.rules.items()
                      if latest in rules)
        lines += [f"## `{rule_id}` {latest.label}", "",
                  f"*{latest.title}* ({latest.ref or 'no ref'})", ""]
        lines += [f"- 版本 v{r.version}, 有效期 in force {r.period().replace('…', '今 now')}: "
                  f"{'; '.join(cited(c) for c in r.citations)}" for r in dated]
        lines.append(f"- 适用 Checked on: {', '.join(used)}")
        if latest.fix:
            lines.append(f"- 如何补正 Fix: {latest.fix}")
        lines.append("")
    return "\n".join(lines)


def domain_catalogue(policy: Policy = BASE_POLICY) -> str:
    """A Markdown table of the numbered rules: statement, tag, status, what implements each
    (the rules of ``policy`` whose ``ref`` it is, and other code), and what is missing."""
    rules = implementing_rules(policy.all_rules())
    totals = ", ".join(f"{n} {status.value} ({status.label})" for status, n in counts().items())
    lines = ["# 规则编号目录 Numbered rules (generated)", "",
             "The 70 numbered statements mdreg is written against, each with its status. The rules "
             "that implement one carry its number as `ref` (see the [rule catalogue](rules.md) "
             "for their citations and versions); other code implementing it is named by its "
             "dotted path. Tags: [V] verified in the text of a law or regulation, [V~] through "
             "secondary copies, [S] the personal portal's help page, [I] inferred (see "
             "[Sources](sources.md)).", "", f"Status: {totals}.", ""]
    for section, entries in groupby(ENTRIES, key=lambda e: e.section):
        lines += [f"## {section}", "", "| R-ID | statement | tag | status | implemented by | "
                  "missing, or why not |", "|---|---|---|---|---|---|"]
        for entry in entries:
            code = [f"`{c}`" for c in (*rules.get(entry.ref, ()), *entry.modules)]
            lines.append(f"| {entry.ref} | {entry.statement} | {entry.tag} | "
                         f"{entry.status.label} {entry.status.value} | {', '.join(code) or '—'} "
                         f"| {entry.note} |")
        lines.append("")
    return "\n".join(lines)


def cited(citation: Citation) -> str:
    """A citation in Markdown, its source tag a link to the sources page (same folder)."""
    if not citation.source:
        return str(citation)
    return f"{citation} ([{citation.source}](sources.md#{source_label(citation.source)}))"


def source_label(tag: str) -> str:
    """The link target of a source tag on the sources page: ``S3`` → ``source-s3``."""
    return f"source-{tag.lower()}"


def _citations(policy: Policy) -> Iterator[tuple[Citation, str]]:
    """Every citation of ``policy``'s rules and of the declared paper materials, with its user."""
    for rule in sorted(policy.all_rules(), key=lambda r: r.id):
        for citation in rule.citations:
            yield citation, f"`{rule.id}`"
    for business, declaration in DECLARATIONS.items():
        for material in declaration.materials:
            if material.citation:
                yield material.citation, f"{business.label}·材料 {material.name}"


def sources_page(policy: Policy = BASE_POLICY) -> str:
    """A Markdown page of the instruments rules and materials cite: each source tag (S1…) with
    its instrument, period in force and the articles cited by whom; and what [I] means."""
    instruments: dict[Instrument, dict[str, list[str]]] = {i: {} for i in INSTRUMENTS}
    tags: dict[Instrument, list[str]] = {}
    for citation, user in _citations(policy):
        users = instruments.setdefault(citation.instrument, {}).setdefault(citation.article, [])
        if user not in users:
            users.append(user)
        if citation.source and citation.source not in tags.setdefault(citation.instrument, []):
            tags[citation.instrument].append(citation.source)
    lines = ["# 依据来源 Sources (generated)", "",
             "The legal instruments the rules and the paper materials cite. A citation's tag (S1…) "
             "names the text it was checked against; the [rule catalogue](rules.md) and the "
             "business-type pages link each tag here.", ""]
    for instrument, articles in instruments.items():
        own = tags.get(instrument, [])
        lines += [f"({source_label(tag)})=" for tag in own]
        lines += [f"## {' '.join([*own, f'《{instrument.title}》'])}", "",
                  instrument_summary(instrument), ""]
        if articles:
            lines += ["| 条款 article | cited by |", "|---|---|",
                      *(f"| {article} | {', '.join(users)} |" for article, users in articles.items()),
                      ""]
    inferred = sorted({r.id for r in policy.all_rules() if r.inferred})
    lines += ["## [I] 推定 Inferred", "",
              "[I] marks a rule, a routing or a limit that is a design assumption rather than "
              "verified law: the instruments above do not settle it. A policy may switch inferred "
              "rules off (`Policy.override(..., switch_off=[...])`); verified rules cannot be. "
              f"Inferred rules of policy `{policy.name}`: "
              + (", ".join(f"`{i}`" for i in inferred) or "none") + ".", ""]
    return "\n".join(lines)


def instrument_summary(instrument: Instrument) -> str:
    """One paragraph: English title, document number, period in force, successor, where
    published, and the note."""
    successor = BY_KEY.get(instrument.replaced_by)
    parts = [instrument.english + (f", {instrument.document_no}" if instrument.document_no
                                   else " (文号 not established)"),
             f"施行 In force: {instrument.period.replace('…', '今 now')}"
             + (f", replaced by 《{successor.title}》" if successor else "")]
    if instrument.url:
        parts.append(f"<{instrument.url}>")
    if instrument.note:
        parts.append(instrument.note[0].upper() + instrument.note[1:])
    return ". ".join(parts) + "."


def business_type_table() -> str:
    """A Markdown table of every declared business type: payload, who confirms, who decides,
    what approval does, who else may apply."""
    rows = ["# 业务类型一览 Business types (generated)", "",
            "| 业务类型 | payload | confirms (机构确认) | decides (受理、审批) | on approval |",
            "|---|---|---|---|---|"]
    for business, declaration in DECLARATIONS.items():
        effect = declaration.effects.get("approve")
        rows.append(f"| [{business.label}](/reference/workflow-{business.value}.md) | "
                    f"`{declaration.payload.__name__}` | {declaration.confirms} | "
                    f"{declaration.decides} | {_first_line(effect.__doc__ if effect else '')} |")
    return "\n".join(rows) + "\n"


def layers_page() -> str:
    """A Markdown page: the layers of :mod:`mdreg.testing.layers` as a diagram and a table."""
    from mdreg.testing.layers import ALLOWED, LAYERS, mermaid

    rows = [f"| {layer} | {', '.join(f'`{p}`' for p in prefixes)} | "
            f"{', '.join(sorted(ALLOWED[layer])) if layer != 'entry' else 'every layer'} |"
            for layer, prefixes in LAYERS.items()]
    return "\n".join([
        "# 分层 Layers (generated)", "",
        "Each module belongs to the layer of its longest matching prefix; a layer imports only "
        "itself and the layers in its row. `tests/test_layers.py` reads the import graph and "
        "fails on any import up a layer and on any cycle.", "",
        "| layer | modules | may import |", "|---|---|---|", *rows, "",
        "```mermaid", mermaid(), "```", ""])


def write_pages(directory: str) -> list[str]:
    """Write every generated page into ``directory``; returns the file names."""
    from pathlib import Path

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for business in DECLARATIONS:
        name = f"workflow-{business.value}.md"
        (target / name).write_text(workflow_page(business), encoding="utf-8")
        written.append(name)
    (target / "rules.md").write_text(rule_catalogue(), encoding="utf-8")
    written.append("rules.md")
    (target / "sources.md").write_text(sources_page(), encoding="utf-8")
    written.append("sources.md")
    (target / "catalogue.md").write_text(domain_catalogue(), encoding="utf-8")
    written.append("catalogue.md")
    (target / "layers.md").write_text(layers_page(), encoding="utf-8")
    written.append("layers.md")
    (target / "business-types-table.md").write_text(business_type_table(), encoding="utf-8")
    written.append("business-types-table.md")
    pages = "\n".join(name.removesuffix(".md") for name in written)
    index = f"# 参考 Reference (generated)\n\n```{{toctree}}\n:maxdepth: 1\n\n{pages}\n```\n"
    (target / "index.md").write_text(index, encoding="utf-8")
    return written

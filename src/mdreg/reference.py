"""Reference pages generated from the code: workflow tables and diagrams, the rule catalogue.

The documentation build calls these; nothing here is maintained by hand.

>>> from mdreg.domain.application import BusinessType
>>> page = workflow_page(BusinessType.REGISTRATION)
>>> page.splitlines()[0]
'# 注册 (`registration`)'
>>> "```mermaid" in page and "| `approve` | 准予注册 |" in page
True
"""

from __future__ import annotations

from mdreg.domain.application import BusinessType
from mdreg.rules import Policy
from mdreg.workflows import (
    BASE_POLICY,
    DECLARATIONS,
    declaration_for,
    markdown_table,
    workflow_for,
)


def workflow_page(business: BusinessType, policy: Policy = BASE_POLICY) -> str:
    """A Markdown page of one declared business type: its legal basis, routing, who may apply,
    states, events with the rules ``policy`` checks on each, effects, and paper materials."""
    declaration = declaration_for(business)
    definition = declaration.definition
    rules = []
    for event in definition.events:
        ids = [r.id for r in policy.rules.get((business, event.id), ())]
        rules.append((event.id, ", ".join(f"`{i}`" for i in ids)))
    states = "\n".join(
        f"| `{s.id}` | {s.label} | {'是' if s.final else ''} |" for s in definition.states
    )
    applicants = "医师本人" + ("；机构可代为申请 (the routed institution may apply)"
                           if declaration.institution_may_apply else "")
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
                 + (f" — {m.citation}" if m.citation else "")
                 for n, m in enumerate(declaration.materials, 1)]
    return "\n".join([
        f"# {definition.label} (`{definition.id}`)",
        "",
        f"依据 Basis: {declaration.basis}",
        "",
        f"- 申请人 Who applies: {applicants}",
        f"- 确认 Confirms: {declaration.confirms}",
        f"- 审批 Decides: {declaration.decides}",
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
    """A Markdown catalogue of every rule in ``policy`` with citations and effective periods."""
    lines = [f"# 规则目录 Rule catalogue (policy `{policy.name}`)", ""]
    for rule in sorted(policy.all_rules(), key=lambda r: r.id):
        until = rule.effective_until.isoformat() if rule.effective_until else "—"
        used = sorted(f"{b.label}·{e}" for (b, e), rules in policy.rules.items() if rule in rules)
        lines += [
            f"## `{rule.id}` {rule.label}",
            "",
            f"*{rule.title}* ({rule.ref or 'no ref'})",
            "",
            f"- 依据 Citations: {'; '.join(str(c) for c in rule.citations)}",
            f"- 有效期 In force: {rule.effective_from.isoformat()} – {until}",
            f"- 适用 Checked on: {', '.join(used)}",
        ]
        if rule.fix:
            lines.append(f"- 如何补正 Fix: {rule.fix}")
        lines.append("")
    return "\n".join(lines)


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
    (target / "layers.md").write_text(layers_page(), encoding="utf-8")
    written.append("layers.md")
    (target / "business-types-table.md").write_text(business_type_table(), encoding="utf-8")
    written.append("business-types-table.md")
    pages = "\n".join(name.removesuffix(".md") for name in written)
    index = f"# 参考 Reference (generated)\n\n```{{toctree}}\n:maxdepth: 1\n\n{pages}\n```\n"
    (target / "index.md").write_text(index, encoding="utf-8")
    return written

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
from mdreg.workflows import BASE_POLICY, DEFINITIONS, markdown_table, workflow_for


def workflow_page(business: BusinessType, policy: Policy = BASE_POLICY) -> str:
    """A Markdown page: states, events with the rules checked on each, and a mermaid diagram."""
    definition = DEFINITIONS[business]
    rules = []
    for event in definition.events:
        ids = [r.id for r in policy.rules.get((business, event.id), ())]
        rules.append((event.id, ", ".join(f"`{i}`" for i in ids)))
    states = "\n".join(
        f"| `{s.id}` | {s.label} | {'是' if s.final else ''} |" for s in definition.states
    )
    return "\n".join([
        f"# {definition.label} (`{definition.id}`)",
        "",
        "| 状态 state | 中文 | 终态 final |",
        "|---|---|---|",
        states,
        "",
        markdown_table(definition, rules),
        "",
        "```mermaid",
        _without_front_matter(workflow_for(business).mermaid()),
        "```",
        "",
    ])


def _without_front_matter(diagram: str) -> str:
    """Drop mermaid's ``---`` title block (MyST would read it as directive options)."""
    text = diagram.strip()
    if text.startswith("---"):
        text = text.split("---", 2)[2].strip()
    return text


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


def write_pages(directory: str) -> list[str]:
    """Write every generated page into ``directory``; returns the file names."""
    from pathlib import Path

    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for business in DEFINITIONS:
        name = f"workflow-{business.value}.md"
        (target / name).write_text(workflow_page(business), encoding="utf-8")
        written.append(name)
    (target / "rules.md").write_text(rule_catalogue(), encoding="utf-8")
    written.append("rules.md")
    pages = "\n".join(name.removesuffix(".md") for name in written)
    index = f"# 参考 Reference (generated)\n\n```{{toctree}}\n:maxdepth: 1\n\n{pages}\n```\n"
    (target / "index.md").write_text(index, encoding="utf-8")
    return written

"""``mdreg rules``: every rule version with its citations, period and version; the table at 80
columns."""

from __future__ import annotations

import io
import json
import re

import pytest
from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from mdreg import cli
from mdreg.cli import app
from mdreg.domain.application import BusinessType
from mdreg.service.records import definition_revision, revision
from mdreg.workflows import BASE_POLICY, DEFINITIONS


def test_rules_list_json_gives_each_version_with_cited_instruments_and_period() -> None:
    listed = CliRunner().invoke(app, ["rules", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    rules = json.loads(listed.output)
    assert len(rules) == len(BASE_POLICY.all_rules())
    versions = [r for r in rules if r["id"] == "refusal.criminal_punishment"]
    assert [(r["version"], r["effective_from"], r["effective_until"]) for r in versions] == [
        (1, "1999-05-01", "2017-03-31"), (2, "2017-04-01", "2022-02-28"), (3, "2022-03-01", None)]
    (law,) = versions[0]["citations"]
    assert law == {"instrument": "中华人民共和国执业医师法", "document_no": "中华人民共和国主席令第五号",
                   "url": "", "article": "第十五条第二项", "source": "S2",
                   "in_force": {"from": "1999-05-01", "to": "2022-02-28"}}
    assert all({"citations", "effective_from", "effective_until", "version", "checked_on"}
               <= set(r) for r in rules)


def test_rules_show_gives_every_version_and_export_keeps_one_per_date() -> None:
    shown = CliRunner().invoke(app, ["rules", "show", "qualification.held_and_category_matches"])
    assert [v["version"] for v in json.loads(shown.output)] == [1, 2]
    exported = json.loads(CliRunner().invoke(app, ["rules", "export", "base@2016-06-01"]).output)
    rule = exported["rules"]["qualification.held_and_category_matches"]
    assert (rule["version"], [c["document_no"] for c in rule["citations"]]) == (
        1, ["中华人民共和国主席令第五号", "卫医发〔2001〕169号"])
    assert "refusal.exam_fraud" not in exported["rules"]  # the 2017 measures, not yet in force
    assert exported["revision"] == revision(BASE_POLICY)  # the revision decisions record
    assert exported["definitions"]["registration"] == definition_revision(  # applications record
        DEFINITIONS[BusinessType.REGISTRATION])
    assert len(exported["definitions"]) == len(DEFINITIONS)


def test_rules_list_fits_80_columns_and_loses_no_id(monkeypatch: pytest.MonkeyPatch) -> None:
    narrow = Console(width=80, record=True, file=io.StringIO())
    monkeypatch.setattr(cli, "console", narrow)
    cli.rules_list(as_json=False)
    text = narrow.export_text()
    assert max(cell_len(line) for line in text.splitlines()) <= 80
    cells = re.sub(r"[\s│┃]", "", "".join(
        line.split("│")[1] if line.count("│") > 1 else "" for line in text.splitlines()))
    assert all(rule_id.replace(" ", "") in cells for rule_id in BASE_POLICY.rule_ids())

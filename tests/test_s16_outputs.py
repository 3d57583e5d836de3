"""S-16: every output of a full simulated year on PostgreSQL — the CLI's text, its JSON and HTML
reports, the outbox and replay commands, every log record at DEBUG, and the errors a refused
load raises with their chained causes — with a password in the database URL and ID protection
off holds no password, no full ID number and no full phone number."""

from __future__ import annotations

import logging
import traceback
from pathlib import Path

import attrs
import pytest
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

import mdreg
from backends import PG_URL
from mdreg.cli import app
from mdreg.testing.databases import scratch_postgres

PASSWORD = "s3cret-pw-16"  # the test server trusts local connections: any password is accepted
RUNNER = CliRunner()


@pytest.mark.postgres
def test_s16_no_password_id_number_or_phone_in_any_output(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    if not PG_URL:
        pytest.skip("needs MDREG_TEST_POSTGRES_URL")
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    with scratch_postgres(PG_URL, "mdreg_s16") as url:
        secret = make_url(url).set(password=PASSWORD).render_as_string(hide_password=False)
        report, charts = tmp_path / "report.json", tmp_path / "charts.html"
        for args in (["simulate", "--db", secret, "--days", "30", "--physicians", "60",
                      "--json", str(report), "--html", str(charts)],
                     ["outbox", "status", "--db", secret],
                     ["rules", "replay", "--db", secret, "--policy", "base"],
                     ["health", "--db", secret],
                     ["calendar", "status", "--db", secret]):
            result = RUNNER.invoke(app, args)
            # health exits 1 while it warns (the holiday data runs out at the end of 2026)
            assert result.exit_code in ((0, 1) if args[0] == "health" else (0,)), args
            texts += [result.stdout, result.stderr]
        texts += [report.read_text(encoding="utf-8"), charts.read_text(encoding="utf-8")]

        registry = mdreg.open(secret)
        people = [registry.physician(f"P{n:07d}") for n in range(60)]
        with registry.services.uow() as uow:
            accounts = [uow.accounts.for_physician(p.id) for p in people]
        phones = [a.phone.national for a in accounts if a is not None and a.phone is not None]
        try:  # a refused load: the error and its whole chain
            registry.load(physicians=[attrs.evolve(people[0], id="PDUP")])
        except mdreg.MdregError as refused:
            texts.append("".join(traceback.format_exception(refused)))
        else:
            pytest.fail("a second physician with the same ID number was not refused")
        texts.append(repr(registry))
        registry.release()
    texts += [record.getMessage() + repr(record.__dict__) for record in caplog.records]
    numbers = [p.id_number.value for p in people]
    assert len(numbers) >= 60 and len(phones) >= 10
    everything = "\n".join(texts)
    assert PASSWORD not in everything
    assert [n for n in numbers if n in everything] == []
    assert [p for p in phones if p in everything] == []

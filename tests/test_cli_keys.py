"""``mdreg keys status|protect|rotate`` against a SQLite registry: keys from the environment,
counts in the output, and never a key, an ID number or a database password."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from typer.testing import CliRunner

import mdreg
from mdreg import IdProtection
from mdreg.cli import app
from mdreg.domain.account import Account
from mdreg.domain.identifiers import Phone
from mdreg.testing import World

RUNNER = CliRunner()
OLD_KEY = b"cli-keys-test-old-key-32-bytes!!"
NEW_KEY = b"cli-keys-test-new-key-32-bytes!!"
B64 = {key: base64.b64encode(key).decode() for key in (OLD_KEY, NEW_KEY)}


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    result = RUNNER.invoke(app, ["keys", *args], env=env)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def clear_db(tmp_path: Path) -> tuple[str, list[str]]:
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    registry = mdreg.open(url)
    world = World(registry)
    physicians = [world.physician(account=False) for _ in range(3)]
    phones = [f"1380013800{n}" for n in range(3)]
    registry.load(accounts=[Account.imported(f"U{p.id}", p.id, f"login-{p.id}",
                                             at=registry.clock.now(), phone=Phone.parse(phone))
                            for p, phone in zip(physicians, phones, strict=True)])
    registry.release()
    return url, [*(p.id_number.value for p in physicians), *phones]


def assert_nothing_secret(*outputs: str, numbers: list[str]) -> None:
    for text in outputs:
        for secret in (*B64.values(), OLD_KEY.decode(), NEW_KEY.decode(), *numbers):
            assert secret not in text


def test_protect_then_rotate(clear_db: tuple[str, list[str]]) -> None:
    url, numbers = clear_db
    old = {"MDREG_PROTECTION_KEY": B64[OLD_KEY]}
    old_id = IdProtection(OLD_KEY).key_id
    assert run(old, "status", "--db", url)[:2] == (0, f"{url}: key {old_id}: done 0, remaining 6\n")
    code, out, err = run(old, "protect", "--db", url, "--batch-size", "2")
    assert code == 0, err
    assert out == f"{url}: converted 6; key {old_id}: done 6, remaining 0\n"
    assert err.splitlines() == [f"key {old_id}: done {done}, remaining {6 - done}"
                                for done in (2, 3, 5, 6)]  # physicians, then accounts
    ring = {"MDREG_PROTECTION_KEY": B64[NEW_KEY], "MDREG_PREVIOUS_KEYS": f" {B64[OLD_KEY]} ,"}
    new_id = IdProtection(NEW_KEY).key_id
    code, out2, err2 = run(ring, "rotate", "--db", url)
    assert (code, out2) == (0, f"{url}: converted 6; key {new_id}: done 6, remaining 0\n"), err2
    assert_nothing_secret(out, err, out2, err2, numbers=numbers)


def test_rotate_without_the_previous_key_fails_in_one_line(
        clear_db: tuple[str, list[str]]) -> None:
    url, numbers = clear_db
    assert run({"MDREG_PROTECTION_KEY": B64[OLD_KEY]}, "protect", "--db", url)[0] == 0
    code, out, err = run({"MDREG_PROTECTION_KEY": B64[NEW_KEY]}, "rotate", "--db", url)
    assert code == 2 and out == ""
    assert err.startswith("error: ") and "another key" in err and err.count("\n") == 1
    assert_nothing_secret(out, err, numbers=numbers)


@pytest.mark.parametrize(("env", "message"), [
    ({}, "MDREG_PROTECTION_KEY is not set"),
    ({"MDREG_PROTECTION_KEY": "not base64!"}, "MDREG_PROTECTION_KEY: not base64"),
    ({"MDREG_PROTECTION_KEY": base64.b64encode(b"short").decode()},
     "MDREG_PROTECTION_KEY: a key must have at least 32 bytes"),
    ({"MDREG_PROTECTION_KEY": B64[NEW_KEY], "MDREG_PREVIOUS_KEYS": "c2hvcnQ="},
     "MDREG_PREVIOUS_KEYS: a key must have at least 32 bytes"),
])
def test_bad_keys_are_named_never_shown(clear_db: tuple[str, list[str]], env: dict[str, str],
                                        message: str) -> None:
    url, _ = clear_db
    env = {"MDREG_PROTECTION_KEY": "", "MDREG_PREVIOUS_KEYS": "", **env}
    code, out, err = run(env, "rotate", "--db", url)
    assert (code, out) == (2, "")
    assert message in err and err.count("\n") == 1
    for value in env.values():
        if value:
            assert value not in err


def test_a_database_password_is_never_shown() -> None:
    url = "postgresql+psycopg://mdreg:s3cret-pw@127.0.0.1:1/mdreg"
    code, out, err = run({"MDREG_PROTECTION_KEY": B64[NEW_KEY]}, "status", "--db", url)
    assert code == 2 and out == ""
    assert "s3cret-pw" not in err and "mdreg:***@127.0.0.1:1" in err

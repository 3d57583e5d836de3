"""The primitives of ID protection: HKDF subkeys, AES-SIV sealing, key ids, the keyring."""

from __future__ import annotations

import base64
import hashlib
import hmac

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mdreg import IdProtection
from mdreg.errors import InsecureConfiguration, SerializationError
from mdreg.infra import protection as module

OLD = b"o" * 32
NEW = b"n" * 32
NUMBER = "11010519491231002X"


def legacy_seal(key: bytes, value: str) -> str:
    """A value sealed as the first releases did (hand-written subkeys, AES-256-GCM)."""
    seal_key = hmac.new(key, b"mdreg-protection:seal", hashlib.sha256).digest()
    nonce = hmac.new(seal_key, value.encode(), hashlib.sha256).digest()[:12]
    sealed = AESGCM(seal_key).encrypt(nonce, value.encode(), b"mdreg:id_number")
    return "aes-256-gcm:" + base64.b64encode(nonce + sealed).decode()


def legacy_index(key: bytes, value: str) -> str:
    index_key = hmac.new(key, b"mdreg-protection:index", hashlib.sha256).digest()
    return "hmac-sha256:" + hmac.new(index_key, value.encode(), hashlib.sha256).hexdigest()


def test_sealing_and_indexing_are_deterministic_and_name_the_key() -> None:
    one, two = IdProtection(NEW), IdProtection(NEW)
    assert one.seal(NUMBER) == two.seal(NUMBER) != one.seal(NUMBER + "1")
    assert one.index(NUMBER) == two.index(NUMBER)
    assert one.key_id == two.key_id != IdProtection(OLD).key_id
    assert len(one.key_id) == 8 and int(one.key_id, 16) >= 0
    assert one.seal(NUMBER).startswith(f"aes-siv:{one.key_id}:")
    assert one.index(NUMBER).startswith(f"hmac-sha256/hkdf:{one.key_id}:")


def test_sealing_uses_aes_siv_under_an_hkdf_subkey() -> None:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(algorithm=hashes.SHA256(), length=64, salt=b"mdreg-protection-v2",
               info=b"mdreg/seal/aes-siv").derive(NEW)
    body = IdProtection(NEW).seal(NUMBER).split(":", 2)[2]
    assert AESSIV(key).decrypt(base64.b64decode(body), [b"id_number"]).decode() == NUMBER


def test_subkeys_are_distinct_per_purpose_and_field() -> None:
    subkeys = module._Subkeys(NEW)
    derived = [*subkeys.index_keys.values(), module._hkdf(NEW, "mdreg/seal/aes-siv", 64)]
    assert len({*derived, NEW}) == len(derived) + 1
    protection = IdProtection(NEW)
    assert protection.index("13800138000", "destination") != protection.index("13800138000")


def test_the_associated_data_names_the_field() -> None:
    protection = IdProtection(NEW)
    with pytest.raises(SerializationError, match="another key, or altered"):
        protection.unseal(protection.seal("13800138000", "phone"), "id_number")
    assert protection.unseal(protection.seal("13800138000", "phone"), "phone") == "13800138000"


def test_a_wrong_key_is_refused() -> None:
    with pytest.raises(SerializationError, match="another key"):
        IdProtection(OLD).unseal(IdProtection(NEW).seal(NUMBER))
    with pytest.raises(SerializationError, match="another key"):
        IdProtection(OLD).unseal(legacy_seal(NEW, NUMBER))


@pytest.mark.parametrize("alter", [
    lambda s: s[:-10] + ("A" if s[-10] != "A" else "B") + s[-9:],
    lambda s: s.replace("aes-siv:", "aes-siv:0"),
    lambda s: s + "!",
    lambda s: s[:20],
])
def test_an_altered_value_is_refused(alter: object) -> None:
    protection = IdProtection(NEW)
    altered = alter(protection.seal(NUMBER))  # type: ignore[operator]
    with pytest.raises(SerializationError, match="another key, or altered"):
        protection.unseal(altered)


def test_a_clear_value_is_refused() -> None:
    with pytest.raises(SerializationError, match="without protection"):
        IdProtection(NEW).unseal(NUMBER)


def test_the_keyring_reads_every_key_and_writes_the_current_one() -> None:
    old, ring = IdProtection(OLD), IdProtection(NEW, previous=(OLD,))
    assert ring.key_ids == (IdProtection(NEW).key_id, old.key_id)
    assert ring.unseal(old.seal(NUMBER)) == NUMBER
    assert ring.seal(NUMBER) == IdProtection(NEW).seal(NUMBER)
    assert ring.indexes(NUMBER)[:2] == (ring.index(NUMBER), old.index(NUMBER))
    assert ring.is_current(ring.seal(NUMBER)) and not ring.is_current(old.seal(NUMBER))
    assert IdProtection(NEW, previous=(NEW, OLD, OLD)).key_ids == ring.key_ids


def test_the_old_format_is_read_only_to_convert_it() -> None:
    ring = IdProtection(NEW, previous=(OLD,))
    assert ring.unseal(legacy_seal(OLD, NUMBER)) == NUMBER
    assert legacy_index(OLD, NUMBER) in ring.indexes(NUMBER)
    assert not ring.seal(NUMBER).startswith("aes-256-gcm:")
    assert not ring.is_current(legacy_index(NEW, NUMBER))


def test_short_keys_are_refused_and_keys_never_shown() -> None:
    with pytest.raises(InsecureConfiguration):
        IdProtection(b"short")
    with pytest.raises(InsecureConfiguration):
        IdProtection(NEW, previous=(b"short",))
    shown = repr(IdProtection(NEW, previous=(OLD,)))
    assert "nnnn" not in shown and "oooo" not in shown and "***" in shown

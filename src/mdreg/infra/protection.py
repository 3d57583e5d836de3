"""静态加密 — resident ID numbers protected at rest.

With an :class:`IdProtection` a SQL registry stores no ID number in clear: the ``id_number``
column holds a blind index — an HMAC-SHA256 of the number under a key of its own — so lookups
and the one-person-one-record unique index still work (the same number always gives the same
index), and the number itself is sealed with AES-256-GCM in the row's document. The nonce is
derived from the number (a synthetic IV), so sealing is deterministic: it reveals which rows
share a number, which the blind index reveals anyway, and nothing more.

>>> protection = IdProtection(b"k" * 32)
>>> index = protection.index("11010519491231002X")
>>> index.startswith("hmac-sha256:"), index == protection.index("11010519491231002X")
(True, True)
>>> protection.unseal(protection.seal("11010519491231002X"))
'11010519491231002X'
>>> IdProtection(b"short")
Traceback (most recent call last):
...
mdreg.errors.InsecureConfiguration: the ID protection key must have at least 32 bytes

Keep the key outside the database (a secret store, an environment variable); a registry opened
with another key cannot read its physicians (:class:`~mdreg.errors.SerializationError`). Protect
a new database: rows written without protection are refused when read with it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

import attrs
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from mdreg.errors import InsecureConfiguration, SerializationError

INDEX_PREFIX = "hmac-sha256:"
SEALED_PREFIX = "aes-256-gcm:"
_AAD = b"mdreg:id_number"


def _derive(key: bytes, purpose: bytes) -> bytes:
    return hmac.new(key, b"mdreg-protection:" + purpose, hashlib.sha256).digest()


def _check_key(_: object, __: object, key: bytes) -> None:
    if not isinstance(key, bytes) or len(key) < 32:
        raise InsecureConfiguration("the ID protection key must have at least 32 bytes")


@attrs.frozen(repr=False)
class IdProtection:
    """Blind index and sealing of ID numbers under one secret ``key`` (≥ 32 bytes); two
    subkeys are derived from it, one per purpose."""

    key: bytes = attrs.field(validator=_check_key)
    _index_key: bytes = attrs.field(init=False)
    _seal_key: bytes = attrs.field(init=False)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_index_key", _derive(self.key, b"index"))
        object.__setattr__(self, "_seal_key", _derive(self.key, b"seal"))

    def __repr__(self) -> str:
        return "IdProtection(key=***)"

    def index(self, value: str) -> str:
        """The blind index of ``value``: equal values, equal indexes."""
        digest = hmac.new(self._index_key, value.encode(), hashlib.sha256).hexdigest()
        return INDEX_PREFIX + digest

    def seal(self, value: str) -> str:
        """``value`` encrypted (deterministically: the nonce is derived from it)."""
        nonce = hmac.new(self._seal_key, value.encode(), hashlib.sha256).digest()[:12]
        sealed = AESGCM(self._seal_key).encrypt(nonce, value.encode(), _AAD)
        return SEALED_PREFIX + base64.b64encode(nonce + sealed).decode()

    def unseal(self, sealed: str) -> str:
        """The value :meth:`seal` sealed.

        Raises:
            SerializationError: not sealed, or sealed under another key (or altered).
        """
        if not sealed.startswith(SEALED_PREFIX):
            raise SerializationError(["id_number: stored without protection"])
        raw = base64.b64decode(sealed[len(SEALED_PREFIX):])
        try:
            return AESGCM(self._seal_key).decrypt(raw[:12], raw[12:], _AAD).decode()
        except InvalidTag:
            raise SerializationError(["id_number: sealed under another key, or altered"]) from None

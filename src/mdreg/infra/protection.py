"""静态加密 — resident ID numbers (and phones) protected at rest.

With an :class:`IdProtection` a SQL registry stores no ID number in clear: the ``id_number``
column holds a blind index — an HMAC-SHA256 of the number under a subkey of its own — so lookups
and the one-person-one-record unique index still work (the same number always gives the same
index), and the number itself is sealed in the row's document with AES-SIV (RFC 5297), a
deterministic authenticated cipher whose associated data names the field. Both subkeys are
derived from the one secret key with HKDF-SHA256, each under its own ``info``. Deterministic
sealing reveals which rows share a value, which the blind index reveals anyway, and nothing more.

Every key has a short key id (8 hex digits of an HKDF-derived fingerprint, not secret); indexes
and sealed values carry it, so a registry holding a keyring — the current key and
``previous`` ones — knows which key made a value:

>>> protection = IdProtection(b"k" * 32)
>>> index = protection.index("11010519491231002X")
>>> index.startswith(f"hmac-sha256/hkdf:{protection.key_id}:")
True
>>> index == protection.index("11010519491231002X")
True
>>> sealed = protection.seal("11010519491231002X")
>>> sealed.startswith(f"aes-siv:{protection.key_id}:"), protection.unseal(sealed)
(True, '11010519491231002X')
>>> rotated = IdProtection(b"n" * 32, previous=(b"k" * 32,))
>>> rotated.unseal(sealed), rotated.is_current(sealed), rotated.is_current(rotated.seal("x"))
('11010519491231002X', False, True)
>>> index in rotated.indexes("11010519491231002X")
True
>>> IdProtection(b"short")
Traceback (most recent call last):
...
mdreg.errors.InsecureConfiguration: the ID protection key must have at least 32 bytes

Writes always use the current key; reads unseal with whichever key the value names; lookups
try every key's index (:meth:`IdProtection.indexes`), so a registry works while a rotation
(``mdreg keys rotate``) is half done.

Values written by earlier releases (``aes-256-gcm:`` sealed values and ``hmac-sha256:``
indexes, with subkeys derived by a hand-written HMAC construction) carry no key id; they are
still read and looked up, under every key of the ring, only so that ``mdreg keys rotate``
can convert such a database. Nothing writes them any more.

Keep the keys outside the database (a secret store, an environment variable); a registry opened
with another key cannot read its physicians (:class:`~mdreg.errors.SerializationError`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM, AESSIV
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from mdreg.errors import InsecureConfiguration, SerializationError

INDEX_PREFIX = "hmac-sha256/hkdf:"
SEALED_PREFIX = "aes-siv:"
#: the formats written before key ids; read only so that a rotation can convert them
LEGACY_INDEX_PREFIX = "hmac-sha256:"
LEGACY_SEALED_PREFIX = "aes-256-gcm:"
#: the fields with a blind index, each under its own subkey (a sealed value's associated data
#: names its field, whichever it is)
INDEXED_FIELDS = ("id_number", "destination")
_SALT = b"mdreg-protection-v2"
#: the environment variables :meth:`IdProtection.from_environment` reads
KEY_VARIABLE = "MDREG_PROTECTION_KEY"
PREVIOUS_VARIABLE = "MDREG_PREVIOUS_KEYS"
MIN_KEY_BYTES = 32


def _hkdf(key: bytes, info: str, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=_SALT,
                info=info.encode()).derive(key)


def _check_key(key: object) -> bytes:
    if not isinstance(key, bytes) or len(key) < MIN_KEY_BYTES:
        raise InsecureConfiguration(
            f"the ID protection key must have at least {MIN_KEY_BYTES} bytes")
    return key


def _decoded(value: str, variable: str) -> bytes:
    try:
        key = base64.b64decode(value, validate=True)
    except binascii.Error:
        raise InsecureConfiguration(f"{variable}: not base64") from None
    if len(key) < MIN_KEY_BYTES:
        raise InsecureConfiguration(f"{variable}: a key must have at least {MIN_KEY_BYTES} bytes")
    return key


class _Subkeys:
    """What one key derives: its id, an index subkey per field, a sealing cipher, and (for
    values of the old format only) the old construction's subkeys."""

    __slots__ = ("_legacy_index", "_legacy_seal", "_siv", "index_keys", "key_id")

    def __init__(self, key: bytes) -> None:
        self.key_id = _hkdf(key, "mdreg/key-id", 16).hex()[:8]
        self.index_keys = {field: _hkdf(key, f"mdreg/index/{field}", 32) for field in INDEXED_FIELDS}
        self._siv = AESSIV(_hkdf(key, "mdreg/seal/aes-siv", 64))
        self._legacy_index = hmac.new(key, b"mdreg-protection:index", hashlib.sha256).digest()
        self._legacy_seal = hmac.new(key, b"mdreg-protection:seal", hashlib.sha256).digest()

    def index(self, value: str, field: str) -> str:
        digest = hmac.new(self.index_keys[field], value.encode(), hashlib.sha256).hexdigest()
        return f"{INDEX_PREFIX}{self.key_id}:{digest}"

    def legacy_index(self, value: str) -> str:
        return LEGACY_INDEX_PREFIX + hmac.new(self._legacy_index, value.encode(),
                                              hashlib.sha256).hexdigest()

    def seal(self, value: str, field: str) -> str:
        sealed = self._siv.encrypt(value.encode(), [field.encode()])
        return f"{SEALED_PREFIX}{self.key_id}:{base64.b64encode(sealed).decode()}"

    def unseal(self, raw: bytes, field: str) -> str:
        return self._siv.decrypt(raw, [field.encode()]).decode()

    def legacy_unseal(self, raw: bytes) -> str:
        return AESGCM(self._legacy_seal).decrypt(raw[:12], raw[12:], b"mdreg:id_number").decode()


class IdProtection:
    """Blind indexes and sealing under the secret ``key`` (≥ 32 bytes), reading also what the
    ``previous`` keys made (a keyring; see the module). Subkeys are derived with HKDF, one per
    purpose and indexed field (:data:`INDEXED_FIELDS`); ``field`` names what is protected: an
    ID number, a code's ``destination`` (a phone or e-mail address), an account's ``phone``…

    Raises:
        InsecureConfiguration: a key is not bytes, or shorter than 32 bytes.
    """

    __slots__ = ("_current", "_ring")

    def __init__(self, key: bytes, previous: Sequence[bytes] = ()) -> None:
        self._current = _Subkeys(_check_key(key))
        ring = {self._current.key_id: self._current}
        for old in previous:
            subkeys = _Subkeys(_check_key(old))
            ring.setdefault(subkeys.key_id, subkeys)
        self._ring = ring

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> IdProtection:
        """The protection of the keys in ``environ`` (default: the process's environment):
        ``MDREG_PROTECTION_KEY`` the current key, ``MDREG_PREVIOUS_KEYS`` the previous ones,
        comma-separated; each base64 of 32 bytes or more.

        >>> import base64
        >>> key = base64.b64encode(b"k" * 32).decode()
        >>> IdProtection.from_environment({"MDREG_PROTECTION_KEY": key}).key_ids
        ('822ab143',)

        Raises:
            InsecureConfiguration: the current key is not set, or a key is not base64 or too
                short (the message names the variable, never the value).
        """
        environ = os.environ if environ is None else environ
        current = environ.get(KEY_VARIABLE, "").strip()
        if not current:
            raise InsecureConfiguration(f"{KEY_VARIABLE} is not set")
        previous = [v.strip() for v in environ.get(PREVIOUS_VARIABLE, "").split(",") if v.strip()]
        return cls(_decoded(current, KEY_VARIABLE),
                   [_decoded(value, PREVIOUS_VARIABLE) for value in previous])

    def __repr__(self) -> str:
        return f"IdProtection(key=***, key_ids={list(self._ring)})"

    @property
    def key_id(self) -> str:
        """The current key's id (8 hex digits; not secret)."""
        return self._current.key_id

    @property
    def key_ids(self) -> tuple[str, ...]:
        """The ids of every key of the ring, the current one first."""
        return tuple(self._ring)

    @property
    def index_prefix(self) -> str:
        """How every index the current key makes begins."""
        return f"{INDEX_PREFIX}{self.key_id}:"

    def index(self, value: str, field: str = "id_number") -> str:
        """The blind index of ``value`` under the current key: equal values, equal indexes."""
        return self._current.index(value, field)

    def indexes(self, value: str, field: str = "id_number") -> tuple[str, ...]:
        """Every index ``value`` may be stored under: each key's (the current one first), then,
        for ID numbers, each key's index of the old format."""
        found = [keys.index(value, field) for keys in self._ring.values()]
        if field == "id_number":
            found += [keys.legacy_index(value) for keys in self._ring.values()]
        return tuple(found)

    def seal(self, value: str, field: str = "id_number") -> str:
        """``value`` encrypted under the current key (deterministically: AES-SIV)."""
        return self._current.seal(value, field)

    def is_current(self, stored: str) -> bool:
        """Whether ``stored`` (a sealed value or an index) was made by the current key."""
        return stored.startswith((f"{SEALED_PREFIX}{self.key_id}:", self.index_prefix))

    def unseal(self, sealed: str, field: str = "id_number") -> str:
        """The value :meth:`seal` sealed, under whichever key of the ring it names.

        Raises:
            SerializationError: not sealed, or sealed under a key the ring lacks (or altered).
        """
        if not sealed.startswith((SEALED_PREFIX, LEGACY_SEALED_PREFIX)):
            raise SerializationError([f"{field}: stored without protection"])
        try:
            if sealed.startswith(SEALED_PREFIX):
                key_id, _, body = sealed[len(SEALED_PREFIX):].partition(":")
                keys = self._ring.get(key_id)
                if keys is not None:
                    return keys.unseal(base64.b64decode(body, validate=True), field)
            elif field == "id_number":
                raw = base64.b64decode(sealed[len(LEGACY_SEALED_PREFIX):], validate=True)
                for keys in self._ring.values():
                    try:
                        return keys.legacy_unseal(raw)
                    except InvalidTag:
                        continue
        except (InvalidTag, binascii.Error, UnicodeDecodeError):
            pass
        raise SerializationError([f"{field}: sealed under another key, or altered"])

"""照片存储 — the small storage port for photo bytes, and the checks an upload must pass.

The registry keeps only a :class:`~mdreg.domain.account.PhotoRef` (key, SHA-256, size, format);
the bytes live in a :class:`PhotoStore`. :class:`FileSystemPhotoStore` is the default for
persistent backends, :class:`InMemoryPhotoStore` for the in-memory one and for tests.

>>> jpeg = b"\\xff\\xd8\\xff\\xe0" + bytes(2000)
>>> info = inspect_photo(jpeg)
>>> info.format, info.size, len(info.sha256)
('jpeg', 2004, 64)
>>> inspect_photo(b"GIF89a" + bytes(2000))
Traceback (most recent call last):
...
mdreg.errors.PhotoRejected: photo: only JPEG or PNG photos are accepted
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
import threading
from pathlib import Path
from typing import Protocol

import attrs

from mdreg.errors import NotFoundError, PhotoRejected, ValidationError

_MAGIC = {"jpeg": b"\xff\xd8\xff", "png": b"\x89PNG\r\n\x1a\n"}
_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")


@attrs.frozen
class PhotoLimits:
    """Accepted photo sizes in bytes ([I]: the real system's limits were not found)."""

    min_bytes: int = 1024
    max_bytes: int = 2 * 1024 * 1024


@attrs.frozen
class PhotoInfo:
    """What :func:`inspect_photo` found."""

    sha256: str
    size: int
    format: str


def inspect_photo(data: bytes, limits: PhotoLimits = PhotoLimits()) -> PhotoInfo:
    """Check an upload's format (JPEG/PNG by magic bytes) and size; return its hash and size.

    Raises:
        PhotoRejected: not bytes, not JPEG/PNG, or outside the size limits.
    """
    if not isinstance(data, bytes | bytearray):
        raise PhotoRejected("the photo must be bytes")
    fmt = next((name for name, magic in _MAGIC.items() if data.startswith(magic)), None)
    if fmt is None:
        raise PhotoRejected("only JPEG or PNG photos are accepted")
    if not limits.min_bytes <= len(data) <= limits.max_bytes:
        raise PhotoRejected(
            f"the photo must have {limits.min_bytes} to {limits.max_bytes} bytes, not {len(data)}"
        )
    return PhotoInfo(hashlib.sha256(data).hexdigest(), len(data), fmt)


def check_key(key: str) -> str:
    """A store key: letters, digits, ``_ . -``; no path separators.

    Raises:
        ValidationError: a malformed key.
    """
    if not _KEY.fullmatch(key) or ".." in key:
        raise ValidationError("photo_key", "malformed photo key", field_label="照片")
    return key


class PhotoStore(Protocol):
    """Where photo bytes live. ``put`` of an existing key replaces it; ``delete`` of a missing
    key does nothing; ``get`` of a missing key raises :class:`~mdreg.errors.NotFoundError`."""

    def put(self, key: str, data: bytes) -> None: ...

    def get(self, key: str) -> bytes: ...

    def delete(self, key: str) -> None: ...

    def exists(self, key: str) -> bool: ...


class InMemoryPhotoStore:
    """Photo bytes in a dict (thread-safe)."""

    def __init__(self) -> None:
        self._blobs: dict[str, bytes] = {}
        self._lock = threading.Lock()

    def put(self, key: str, data: bytes) -> None:
        with self._lock:
            self._blobs[check_key(key)] = bytes(data)

    def get(self, key: str) -> bytes:
        with self._lock:
            found = self._blobs.get(check_key(key))
        if found is None:
            raise NotFoundError("photo", key)
        return found

    def delete(self, key: str) -> None:
        with self._lock:
            self._blobs.pop(check_key(key), None)

    def exists(self, key: str) -> bool:
        with self._lock:
            return check_key(key) in self._blobs

    def keys(self) -> tuple[str, ...]:
        """Every stored key, sorted."""
        with self._lock:
            return tuple(sorted(self._blobs))


class FileSystemPhotoStore:
    """One file per photo under ``root`` (created on the first write); writes are atomic."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def put(self, key: str, data: bytes) -> None:
        target = self._path(key)
        self.root.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temp, target)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise NotFoundError("photo", key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def __repr__(self) -> str:
        return f"FileSystemPhotoStore({str(self.root)!r})"

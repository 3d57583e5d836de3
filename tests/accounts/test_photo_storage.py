"""The photo storage port: both stores behave alike; uploads are checked by magic bytes and size."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from mdreg import NotFoundError, PhotoRejected, ValidationError
from mdreg.infra.storage import (
    FileSystemPhotoStore,
    InMemoryPhotoStore,
    PhotoLimits,
    PhotoStore,
    inspect_photo,
)


@pytest.fixture(params=["memory", "filesystem"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> PhotoStore:
    if request.param == "memory":
        return InMemoryPhotoStore()
    return FileSystemPhotoStore(tmp_path / "photos")


def test_put_get_replace_delete(store: PhotoStore) -> None:
    assert not store.exists("a.jpg")
    store.put("a.jpg", b"one")
    store.put("a.jpg", b"two")
    assert store.exists("a.jpg") and store.get("a.jpg") == b"two"
    store.delete("a.jpg")
    store.delete("a.jpg")
    with pytest.raises(NotFoundError):
        store.get("a.jpg")


@pytest.mark.parametrize("key", ["../etc/passwd", "a/b.jpg", "", ".hidden", "a..b"])
def test_keys_cannot_escape_the_store(store: PhotoStore, key: str) -> None:
    with pytest.raises(ValidationError):
        store.put(key, b"x")


def test_the_file_system_store_creates_its_folder_lazily(tmp_path: Path) -> None:
    store = FileSystemPhotoStore(tmp_path / "later")
    assert not (tmp_path / "later").exists()
    store.put("p.png", b"data")
    assert sorted(p.name for p in (tmp_path / "later").iterdir()) == ["p.png"]


@pytest.mark.parametrize(("data", "fmt"), [
    (b"\xff\xd8\xff\xe0" + bytes(1500), "jpeg"), (b"\x89PNG\r\n\x1a\n" + bytes(1500), "png")])
def test_inspect_photo_reports_hash_size_and_format(data: bytes, fmt: str) -> None:
    info = inspect_photo(data)
    assert (info.format, info.size, info.sha256) == (fmt, len(data), hashlib.sha256(data).hexdigest())


def test_limits_are_configurable() -> None:
    small = PhotoLimits(min_bytes=10, max_bytes=20)
    assert inspect_photo(b"\xff\xd8\xff" + bytes(10), small).size == 13
    with pytest.raises(PhotoRejected):
        inspect_photo(b"\xff\xd8\xff" + bytes(30), small)
    with pytest.raises(PhotoRejected):
        inspect_photo("not bytes")  # type: ignore[arg-type]

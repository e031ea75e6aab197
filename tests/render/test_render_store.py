from __future__ import annotations

from pathlib import Path

import pytest

from contentloop.render import AssetStore, input_key


def test_key_is_canonical_sha256_of_inputs() -> None:
    a = input_key({"text": "hé", "size": [1080, 1350], "colors": ["#000"]})
    b = input_key({"colors": ["#000"], "size": [1080, 1350], "text": "hé"})
    assert a == b and len(a) == 64 and int(a, 16) >= 0
    assert input_key({"text": "hé", "size": [1080, 1080], "colors": ["#000"]}) != a


def test_second_ensure_is_a_cache_hit_without_work(tmp_path: Path) -> None:
    store = AssetStore(tmp_path)
    calls: list[Path] = []

    def produce(tmp: Path) -> dict[str, object]:
        calls.append(tmp)
        tmp.write_bytes(b"data")
        return {"mime": "image/jpeg", "width": 1}

    first = store.ensure({"t": 1}, "jpg", produce)
    mtime = first.path.stat().st_mtime_ns
    second = store.ensure({"t": 1}, "jpg", produce)
    assert len(calls) == 1 and not first.hit and second.hit
    assert second.path == first.path and second.path.stat().st_mtime_ns == mtime
    assert second.meta["width"] == 1 and (store.hits, store.misses) == (1, 1)
    assert first.path.name == f"{input_key({'t': 1})}.jpg"


def test_failed_producer_leaves_nothing_behind(tmp_path: Path) -> None:
    store = AssetStore(tmp_path)

    def boom(tmp: Path) -> dict[str, object]:
        tmp.write_bytes(b"half")
        raise RuntimeError("crash mid-render")

    with pytest.raises(RuntimeError):
        store.ensure({"t": 2}, "jpg", boom)
    assert store.get(input_key({"t": 2}), "jpg") is None
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


def test_gc_removes_unreferenced_files_only(tmp_path: Path) -> None:
    store = AssetStore(tmp_path)

    def produce(tmp: Path) -> dict[str, object]:
        tmp.write_bytes(b"x")
        return {"mime": "image/jpeg"}

    keep = store.ensure({"n": 1}, "jpg", produce)
    by_path = store.ensure({"n": 2}, "mp4", produce)
    drop = store.ensure({"n": 3}, "jpg", produce)
    removed = store.gc({keep.key, str(by_path.path)})
    assert drop.path in removed and not drop.path.exists()
    assert keep.path.exists() and by_path.path.exists()
    assert store.keys() == {keep.key, by_path.key}
    assert store.gc({keep.key, by_path.key}) == []

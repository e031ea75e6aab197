"""Content-addressed asset store: the sha256 of the render inputs names the file.

An identical re-render finds its file and does no work; `gc` drops what nothing references.
Writes go to a temporary file and are renamed into place, so a crash never leaves half a file
under a valid name and concurrent workers rendering the same key are harmless.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any


def canonical_json(inputs: Mapping[str, Any]) -> str:
    """Stable JSON: sorted keys, no whitespace, UTF-8 kept, so equal inputs hash equal."""
    return json.dumps(inputs, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def input_key(inputs: Mapping[str, Any]) -> str:
    """sha256 hex of the canonical JSON of render inputs."""
    return hashlib.sha256(canonical_json(inputs).encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Stored:
    """A file in the store with the metadata saved when it was produced."""

    key: str
    path: Path
    meta: dict[str, Any]
    hit: bool


class AssetStore:
    """Files named `<root>/<key[:2]>/<key>.<ext>` plus a `<key>.json` metadata sidecar."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.hits = 0
        self.misses = 0

    def path_for(self, key: str, ext: str) -> Path:
        return self.root / key[:2] / f"{key}.{ext.lstrip('.')}"

    def _meta_path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str, ext: str) -> Stored | None:
        """The stored file for `key`, or None if it was never produced (or half-written)."""
        path, meta_path = self.path_for(key, ext), self._meta_path(key)
        if not (path.is_file() and meta_path.is_file()):
            return None
        try:
            meta = json.loads(meta_path.read_text("utf-8"))
        except (OSError, ValueError):
            return None
        return Stored(key, path, meta, hit=True)

    def ensure(
        self, inputs: Mapping[str, Any], ext: str, produce: Callable[[Path], Mapping[str, Any]]
    ) -> Stored:
        """Return the file for `inputs`, calling `produce(tmp_path) -> meta` only on a miss."""
        key = input_key(inputs)
        found = self.get(key, ext)
        if found is not None:
            self.hits += 1
            return found
        self.misses += 1
        path = self.path_for(key, ext)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=f".{ext}")
        os.close(fd)
        tmp = Path(tmp_name)
        try:
            meta = dict(produce(tmp))
            meta.setdefault("inputs", json.loads(canonical_json(inputs)))
            self._write_atomic(self._meta_path(key), canonical_json(meta).encode("utf-8"))
            tmp.chmod(0o644)  # mkstemp makes 0600; media hosts and other workers must read it
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return Stored(key, path, meta, hit=False)

    def _write_atomic(self, path: Path, data: bytes) -> None:
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp_name, path)
        finally:
            Path(tmp_name).unlink(missing_ok=True)

    def discard(self, key: str) -> None:
        """Forget one key (e.g. a cached file that no longer validates)."""
        d = self.root / key[:2]
        for p in d.glob(f"{key}.*"):
            p.unlink(missing_ok=True)

    def keys(self) -> set[str]:
        return {p.stem for p in self.root.glob("??/*.json")}

    def gc(self, referenced: set[str]) -> list[Path]:
        """Delete every stored file whose key is not in `referenced`; return what was removed.

        `referenced` holds keys (Asset.sha256) or stored paths. Leftover temp files go too.
        """
        refs = {Path(r).stem if ("/" in r or "." in r) else r for r in referenced}
        removed: list[Path] = []
        for p in sorted(self.root.glob("??/*")):
            if not p.is_file():
                continue
            key = p.name.split(".", 1)[0]
            if p.name.startswith(".tmp-") or key not in refs:
                p.unlink(missing_ok=True)
                removed.append(p)
        for d in self.root.glob("??"):
            if d.is_dir() and not any(d.iterdir()):
                d.rmdir()
        return removed

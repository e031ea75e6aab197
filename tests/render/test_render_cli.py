"""`contentloop render --post`, `render preview --variant`, `render gc` against a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from contentloop.domain import Account, Beat, Format, Post, SimulatedClock, Variant
from contentloop.store import Store


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    env["CONTENTLOOP_DATA_DIR"] = str(cwd / "data")
    return subprocess.run([sys.executable, "-m", "contentloop.cli.main", "render", *args],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def _seed(root: Path) -> Store:
    (root / "data").mkdir()
    store = Store(f"sqlite:///{root / 'data' / 'contentloop.db'}", SimulatedClock())
    store.ensure_account(Account("sandbox_coffee"))
    for day, (pid, fmt) in enumerate((("p-car", Format.CAROUSEL), ("p-reel", Format.REEL))):
        at = datetime(2026, 1, 5 + day, 9, tzinfo=UTC)
        assert store.add_post(Post(pid, "sandbox_coffee", at.date().isoformat(), at))
        v = Variant(
            id=f"{pid}-v1", post_id=pid, account="sandbox_coffee", format=fmt,
            hook="Bloom your coffee for 30 seconds", hook_style="number", caption="c",
            hashtags=[], chosen=pid == "p-car",
            slides=["Bloom first\nWet the grounds", "Then pour\nSlow circles"],
            beats=[Beat(0, 2, "Bloom", "Wet the grounds first."),
                   Beat(2, 4, "Pour", "Then pour in slow circles.")],
        )
        store.save_variants([v])
    return store


def test_render_post_preview_and_gc(tmp_path: Path) -> None:
    store = _seed(tmp_path)

    r = run("--post", "p-car", "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    files = json.loads(r.stdout)["files"]
    assert len(files) == 2 and all(f["problems"] == [] for f in files)
    assert [f["probe"]["size"] for f in files] == ["1080x1350"] * 2
    media = tmp_path / "data" / "media"
    assert all(Path(f["path"]).is_relative_to(media) for f in files)
    assert {a.sha256 for a in store.assets("p-car")} == {f["sha256"] for f in files}

    r = run("preview", "--variant", "p-reel-v1", "--out", str(tmp_path / "pv"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    out = sorted((tmp_path / "pv").iterdir())
    assert [p.name for p in out] == ["p-reel-v1-01-main.mp4", "p-reel-v1-02-cover.jpg"]
    assert "video=h264" in r.stdout and "sample_rate=48000" in r.stdout and "lufs=" in r.stdout
    assert r.stdout.count("ok (meets Instagram's specs)") == 2
    assert store.assets("p-reel") == []  # a preview records nothing

    kept = {Path(f["path"]) for f in files}
    r = run("gc", "--dry-run", "--json", cwd=tmp_path)
    dry = json.loads(r.stdout)
    assert dry["dry_run"] and dry["removed"] and all(Path(p).exists() for p in dry["removed"])
    r = run("gc", "--json", cwd=tmp_path)
    done = json.loads(r.stdout)
    assert sorted(done["removed"]) == sorted(dry["removed"]) and done["kept"] == 2
    assert all(p.exists() for p in kept)  # referenced by p-car
    assert not any(Path(p).exists() for p in done["removed"])  # the unreferenced reel is gone


def test_render_post_without_chosen_variant_fails_with_a_hint(tmp_path: Path) -> None:
    _seed(tmp_path)
    r = run("--post", "p-reel", cwd=tmp_path)
    assert r.returncode == 1 and "no chosen variant" in r.stderr and "preview" in r.stderr
    r = run("--post", "nope", cwd=tmp_path)
    assert r.returncode == 1 and "nope" in r.stderr


def test_music_bed_from_brand_config_reaches_the_reel(tmp_path: Path) -> None:
    _seed(tmp_path)
    bed = tmp_path / "bed.ogg"
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i",
                    "sine=frequency=2500:sample_rate=44100:duration=2", str(bed)], check=True)
    (tmp_path / "contentloop.toml").write_text(
        '[[accounts]]\nhandle = "sandbox_coffee"\n[accounts.brand]\n'
        f'music = "{bed.as_posix()}"\n'
    )
    r = run("preview", "--variant", "p-reel-v1", "--out", str(tmp_path / "pv"), "--json",
            "-c", str(tmp_path / "contentloop.toml"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    video = json.loads(r.stdout)["files"][0]
    meta = json.loads((tmp_path / "data" / "media" / video["sha256"][:2]
                       / f"{video['sha256']}.json").read_text())
    assert meta["music"] is True and meta["inputs"]["music"] is not None
    assert abs(video["probe"]["lufs"] - (-16.0)) <= 1.0

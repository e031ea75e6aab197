from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from contentloop import __version__


def run(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("CONTENTLOOP_")}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "contentloop.cli.main", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120,
    )


def test_version_and_help(tmp_path):
    r = run("--version", cwd=tmp_path)
    assert r.returncode == 0 and __version__ in r.stdout
    r = run("--help", cwd=tmp_path)
    assert r.returncode == 0
    for group in ("init", "demo", "db", "sim", "publish", "policy"):
        assert group in r.stdout


def test_init_writes_config_and_data_dir(tmp_path):
    r = run("init", "--dir", str(tmp_path / "brand"), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    cfg = tmp_path / "brand" / "contentloop.toml"
    assert cfg.exists() and "# " in cfg.read_text()
    assert (tmp_path / "brand" / ".contentloop").is_dir()
    again = run("init", "--dir", str(tmp_path / "brand"), cwd=tmp_path)
    assert again.returncode == 1 and "exists" in again.stderr


def test_invalid_config_exits_2_with_one_clear_message(tmp_path):
    (tmp_path / "contentloop.toml").write_text('[[accounts]]\nhandle = "x"\ntimezone = "Nowhere"\n')
    r = run("db", "upgrade", cwd=tmp_path)
    assert r.returncode == 2
    assert "accounts[0].timezone" in r.stderr and "Nowhere" in r.stderr


def test_db_upgrade_creates_the_sqlite_store(tmp_path):
    r = run("db", "upgrade", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (tmp_path / ".contentloop" / "contentloop.db").exists()
    from sqlalchemy import create_engine

    from contentloop.store import head_revisions

    heads = head_revisions(create_engine("sqlite://"))
    assert heads and all(h in r.stdout for h in heads)  # every migration branch applied


def test_policy_check_exit_codes(tmp_path):
    good = tmp_path / "good.json"
    good.write_text(json.dumps({"caption": "Three ways to dial in your grinder. Save this.",
                                "hashtags": ["#coffee"], "format": "image"}))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"caption": "Use my link for 20% off!", "hashtags": [],
                               "format": "image", "sponsored": True}))
    r = run("policy", "check", str(good), "--json", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "verdicts" in json.loads(r.stdout)
    r = run("policy", "check", str(bad), "--json", cwd=tmp_path)
    assert r.returncode == 1
    rules = {v["rule"] for v in json.loads(r.stdout)["verdicts"] if v["severity"] == "block"}
    assert "disclosure" in rules
    junk = tmp_path / "junk.json"
    junk.write_text("{not json")
    assert run("policy", "check", str(junk), cwd=tmp_path).returncode == 2

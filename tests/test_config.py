from __future__ import annotations

import pytest

from contentloop.config import load_settings
from contentloop.domain import ConfigError


def _write(tmp_path, text):
    p = tmp_path / "contentloop.toml"
    p.write_text(text)
    return p


def test_builtin_sandbox_defaults_without_a_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("CONTENTLOOP_CONFIG", raising=False)
    s = load_settings()
    assert [a.handle for a in s.accounts] == ["sandbox_coffee"]
    assert s.resolved_database_url.startswith("sqlite:///")


def test_env_overrides_file(tmp_path, monkeypatch):
    p = _write(tmp_path, 'database_url = "sqlite:///x.db"\n[instagram]\napi_version = "v24.0"\n')
    monkeypatch.setenv("CONTENTLOOP_DATABASE_URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("CONTENTLOOP_INSTAGRAM__API_VERSION", "v25.0")
    s = load_settings(p)
    assert s.resolved_database_url == "postgresql+psycopg://u@h/db"
    assert s.instagram.api_version == "v25.0"


def test_config_env_var_names_the_file(tmp_path, monkeypatch):
    p = _write(tmp_path, '[[accounts]]\nhandle = "from_env"\n')
    monkeypatch.setenv("CONTENTLOOP_CONFIG", str(p))
    assert load_settings().accounts[0].handle == "from_env"


@pytest.mark.parametrize(
    "text,key,fragment",
    [
        ('[[accounts]]\nhandle = "a"\ntimezone = "Mars/Base"\n', "accounts[0].timezone",
         "IANA time zone"),
        ('[instagram]\napi_version = "25"\n', "instagram.api_version", "v25.0"),
        ('[[accounts]]\nhandle = "a"\n[[accounts.posting_windows]]\n'
         'start = "25:00"\nend = "26:00"\n',
         "accounts[0].posting_windows[0].start", "HH:MM"),
        ('colour = "blue"\n', "colour", "no such key"),
    ],
)
def test_invalid_config_names_key_value_and_expected_form(tmp_path, text, key, fragment):
    with pytest.raises(ConfigError) as exc:
        load_settings(_write(tmp_path, text))
    assert exc.value.key == key
    assert fragment in str(exc.value)


def test_secrets_are_refused_in_the_toml_file(tmp_path):
    p = _write(tmp_path, 'ig_access_token = "IGQVJ-secret-value"\n')
    with pytest.raises(ConfigError) as exc:
        load_settings(p)
    assert "IGQVJ-secret-value" not in str(exc.value)
    assert "CONTENTLOOP_IG_ACCESS_TOKEN" in str(exc.value)


def test_tokens_from_env_and_secrets_file_are_secret(tmp_path, monkeypatch):
    secrets = tmp_path / "secrets.toml"
    secrets.write_text('[tokens]\nsandbox_coffee = "tok-from-file"\n')
    monkeypatch.setenv("CONTENTLOOP_SECRETS_FILE", str(secrets))
    monkeypatch.setenv("CONTENTLOOP_IG_ACCESS_TOKEN", "global-token")
    monkeypatch.chdir(tmp_path)
    s = load_settings()
    tok = s.access_token_for("sandbox_coffee")
    assert tok is not None and tok.get_secret_value() == "tok-from-file"
    assert "tok-from-file" not in repr(tok)
    assert s.access_token_for("other").get_secret_value() == "global-token"
    assert "global-token" not in repr(s)

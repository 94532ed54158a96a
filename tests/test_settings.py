"""Settings from rightsaware.toml and RIGHTSAWARE_* variables; the generated secret key."""

from __future__ import annotations

import os
import stat

import pytest

from rightsaware.errors import ConfigError
from rightsaware.settings import Settings, ensure_secret_key, load_settings


def test_defaults(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)  # no rightsaware.toml here
    settings = load_settings(environ={})
    assert settings.host == "127.0.0.1" and settings.port == 8000
    assert settings.database.startswith("sqlite:///")
    assert settings.suppression_threshold == 10


def test_file_then_environment(tmp_path) -> None:
    config = tmp_path / "rightsaware.toml"
    config.write_text('port = 9000\nhost = "0.0.0.0"\nlanguages = ["en", "cy"]\n', encoding="utf-8")
    settings = load_settings(config, environ={"RIGHTSAWARE_PORT": "9100"})
    assert settings.port == 9100 and settings.host == "0.0.0.0" and settings.languages == ("en", "cy")
    settings = load_settings(config, environ={"RIGHTSAWARE_LANGUAGES": "en,gd"})
    assert settings.languages == ("en", "gd")


@pytest.mark.parametrize(
    ("content", "environ", "message"),
    [
        ("port = 'x'\n", {}, "invalid settings"),
        ("prot = 1\n", {}, "invalid settings"),
        ("port = \n", {}, "not valid TOML"),
        ("", {"RIGHTSAWARE_PORT": "eighty"}, "whole number"),
        ("suppression_threshold = 2\n", {}, "below 3"),
        ("bilingual_order = 'random'\n", {}, "welsh_first"),
    ],
)
def test_bad_settings_are_clear(tmp_path, content, environ, message) -> None:
    config = tmp_path / "rightsaware.toml"
    config.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_settings(config, environ=environ)


def test_missing_settings_file_named_explicitly(tmp_path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings(tmp_path / "nope.toml", environ={})


def test_secret_key_generated_once_with_mode_0600(tmp_path) -> None:
    settings = Settings(data_dir=str(tmp_path / "data"))
    key = ensure_secret_key(settings)
    path = tmp_path / "data" / "secret.key"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert len(key) >= 48
    assert ensure_secret_key(settings) == key
    assert ensure_secret_key(Settings(data_dir=str(tmp_path), secret_key="given")) == "given"

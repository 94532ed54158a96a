"""The command line, run as a user runs it: exit codes, messages, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from rightsaware.testing import write_sample_instrument


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    folder = tmp_path / "instruments"
    folder.mkdir()
    write_sample_instrument(folder)
    environ = dict(os.environ)
    environ.update({
        "RIGHTSAWARE_DATA_DIR": str(tmp_path / "data"),
        "RIGHTSAWARE_INSTRUMENTS_DIR": str(folder),
        "RIGHTSAWARE_UI_LANGUAGE": "en",
    })
    return environ


def run(env: dict[str, str], *args: str, input: str | None = None, cwd: Path | None = None) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, "-m", "rightsaware", *args], env=env, input=input,
                            capture_output=True, text=True, timeout=120, cwd=cwd)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def test_help_lists_commands(env) -> None:
    result = run(env, "--help")
    assert result.returncode == 0
    for command in ("validate", "instruments", "take", "plugins", "serve", "i18n"):
        assert command in result.stdout


def test_validate_exit_codes(env, tmp_path) -> None:
    good = Path(env["RIGHTSAWARE_INSTRUMENTS_DIR"]) / "sample.toml"
    assert run(env, "validate", str(good)).returncode == 0
    bad = tmp_path / "bad.toml"
    bad.write_text(good.read_text(encoding="utf-8").replace('type = "integer"', 'type = "integr"'), encoding="utf-8")
    result = run(env, "validate", str(good), str(bad))
    assert result.returncode == 1
    assert f"{bad}:" in result.stderr and "questions[2]" in result.stderr and "integr" in result.stderr
    assert run(env, "validate").returncode == 2  # usage: no file given


@pytest.mark.parametrize("content", [b"", b"\x00\xff\x00", b"\xff\xfe broken", b"[[questions]\n", b"[tool]\nx = 1\n"])
def test_validate_bad_files_no_traceback(env, tmp_path, content) -> None:
    path = tmp_path / "broken.toml"
    path.write_bytes(content)
    result = run(env, "validate", str(path))
    assert result.returncode == 1
    assert str(path) in result.stderr
    assert len(result.stderr.splitlines()) < 25  # one screen


def test_validate_missing_file(env, tmp_path) -> None:
    result = run(env, "validate", str(tmp_path / "missing.toml"))
    assert result.returncode == 1 and "no such file" in result.stderr


def test_instruments_list_and_ids(env) -> None:
    ids = run(env, "instruments", "list", "--ids").stdout.split()
    assert "sample" in ids
    assert all(" " not in line for line in ids)
    listing = run(env, "instruments", "list").stdout
    assert "Taking part where you live" in listing


def test_instruments_show_in_welsh(env) -> None:
    result = run(env, "instruments", "show", "sample", "--lang", "cy")
    assert result.returncode == 0, result.stderr
    assert "Ydych chi wedi clywed am gydgynhyrchu?" in result.stdout
    assert "Nac ydw" in result.stdout


def test_instruments_show_unknown(env) -> None:
    result = run(env, "instruments", "show", "nope")
    assert result.returncode == 1 and "no instrument with id 'nope'" in result.stderr


def test_take_in_the_terminal_switching_language(env) -> None:
    replies = "ydw\nCYMRAEG\n12\n44\n1 3\nSKIP\n"
    result = run(env, "take", "sample", "--lang", "en", input=replies)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Have you heard of co-production?" in out
    assert "Faint yw eich oed chi?" in out  # switched to Welsh half-way
    assert "Rhowch oed rhwng 16 a 120." in out  # the instrument's own message, in Welsh
    assert "Amser" in out


def test_plugins_lists_channels(env) -> None:
    result = run(env, "plugins")
    assert result.returncode == 0
    assert "rightsaware.default_hooks" in result.stdout


def test_bad_settings_exit_2(env, tmp_path) -> None:
    env = dict(env, RIGHTSAWARE_PORT="eighty")
    result = run(env, "instruments", "list")
    assert result.returncode == 2 and "whole number" in result.stderr


def test_db_upgrade_and_current(env, tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    assert run(env, "db", "current", "--db", url).stdout.strip().startswith("(")
    upgraded = run(env, "db", "upgrade", "--db", url)
    assert upgraded.returncode == 0 and "up to date" in upgraded.stdout
    assert run(env, "db", "current", "--db", url).stdout.strip() not in ("", "None")
    bad = run(env, "db", "current", "--db", "mysql://x/y")
    assert bad.returncode != 0 and "not supported" in bad.stderr

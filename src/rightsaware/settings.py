"""Settings: ``rightsaware.toml`` in the working folder, overridden by ``RIGHTSAWARE_*`` variables.

Secrets come only from settings or the environment, never from the database. When no
secret key is configured, one is generated on first run and kept in
``<data_dir>/secret.key`` with mode 0600.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from pathlib import Path
from typing import Any

import attrs
import cattrs
from attrs import field, frozen

from .errors import ConfigError

SETTINGS_FILE = "rightsaware.toml"
ENV_PREFIX = "RIGHTSAWARE_"
BILINGUAL_ORDERS = ("welsh_first", "gaelic_first", "english_first")


@frozen(kw_only=True)
class Settings:
    """Every setting with its default. Environment variables are ``RIGHTSAWARE_<NAME>``."""

    data_dir: str = "data"
    database_url: str = ""  # default: sqlite:///<data_dir>/rightsaware.db
    secret_key: str = field(default="", repr=False)
    secret_key_file: str = ""  # default: <data_dir>/secret.key
    host: str = "127.0.0.1"
    port: int = 8000
    public_url: str = ""  # how the outside world reaches the server (webhooks, links)
    instruments_dir: str = ""  # extra instrument files (*.toml) besides the built-in ones
    referrals_file: str = ""  # the deployer's own organisations, added to / overriding the built-in directory
    languages: tuple[str, ...] = field(default=("en", "cy", "gd"), converter=tuple)
    default_language: str = "en"
    bilingual_order: str = "welsh_first"  # Celtic language first; or gaelic_first, english_first
    suppression_threshold: int = 10
    log_level: str = "INFO"

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'rightsaware.db'}"

    def with_overrides(self, **overrides: Any) -> Settings:
        return attrs.evolve(self, **{k: v for k, v in overrides.items() if v is not None})


_CONVERTER = cattrs.Converter(forbid_extra_keys=True)


def _from_env(environ: dict[str, str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for attribute in attrs.fields(Settings):
        raw = environ.get(ENV_PREFIX + attribute.name.upper())
        if raw is None or raw == "":
            continue
        if attribute.type in ("int", int):
            try:
                values[attribute.name] = int(raw)
            except ValueError:
                raise ConfigError(f"{ENV_PREFIX}{attribute.name.upper()} must be a whole number, not {raw!r}") from None
        elif attribute.name == "languages":
            values[attribute.name] = [part.strip() for part in raw.split(",") if part.strip()]
        else:
            values[attribute.name] = raw
    return values


def load_settings(path: str | Path | None = None, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from a TOML file (``rightsaware.toml`` if present), the environment and overrides."""
    environ = dict(os.environ if environ is None else environ)
    data: dict[str, Any] = {}
    file = Path(path) if path else Path(environ.get(ENV_PREFIX + "CONFIG", SETTINGS_FILE))
    if path or file.exists():
        try:
            data = tomllib.loads(file.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"settings file {file} does not exist") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"settings file {file} is not valid TOML: {exc}") from None
    data.update(_from_env(environ))
    try:
        settings = _CONVERTER.structure(data, Settings)
    except cattrs.ClassValidationError as exc:
        problems = "; ".join(cattrs.transform_error(exc))
        raise ConfigError(f"invalid settings in {file}: {problems}") from None
    settings = settings.with_overrides(**overrides)
    if not 3 <= settings.suppression_threshold:
        raise ConfigError("suppression_threshold may not be below 3: small counts could identify people")
    if settings.bilingual_order not in BILINGUAL_ORDERS:
        raise ConfigError(f"bilingual_order must be one of: {', '.join(BILINGUAL_ORDERS)}")
    return settings


def ensure_secret_key(settings: Settings) -> str:
    """The configured secret key, or one generated once and kept in a 0600 file."""
    if settings.secret_key:
        return settings.secret_key
    key_file = Path(settings.secret_key_file or Path(settings.data_dir) / "secret.key")
    if key_file.exists():
        key = key_file.read_text(encoding="utf-8").strip()
        if key:
            return key
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    os.chmod(key_file, 0o600)
    return key

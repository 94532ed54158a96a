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
from .i18n import N_

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
    # Key rotation: secrets that only decrypt (the new one is secret_key); see docs/security.md.
    previous_secret_keys: tuple[str, ...] = field(default=(), converter=tuple, repr=False)
    # Retention, in days (docs/data-protection.md); `rightsaware purge` applies them.
    retention_answers_days: int = 730  # the built-in privacy notice promises "up to 2 years"
    retention_contacts_days: int = 180  # contact details, counted from the person's last activity
    retention_messages_days: int = 30  # raw inbound texts and sent messages kept by channels
    retention_scans_days: int = 90  # scanned images of paper forms
    retention_exports_days: int = 30  # referral and subject-access export files written here
    retention_withdrawn_days: int = 30  # answers of a withdrawn respondent (excluded at once)
    purge_interval_hours: int = 24  # `rightsaware serve` purges this often; 0: never
    # Staff logins (dashboard, review queue, exports): absolute and idle session lifetime.
    session_lifetime_minutes: int = 480
    session_idle_minutes: int = 60

    @property
    def database(self) -> str:
        return self.database_url or f"sqlite:///{Path(self.data_dir) / 'rightsaware.db'}"

    def with_overrides(self, **overrides: Any) -> Settings:
        return attrs.evolve(self, **{k: v for k, v in overrides.items() if v is not None})


_CONVERTER = cattrs.Converter(forbid_extra_keys=True)
_LIST_SETTINGS = ("languages", "previous_secret_keys")  # comma-separated in the environment
RETENTION_SETTINGS = (
    "retention_answers_days",
    "retention_contacts_days",
    "retention_messages_days",
    "retention_scans_days",
    "retention_exports_days",
    "retention_withdrawn_days",
)
PREVIOUS_KEY_SUFFIX = ".previous"


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
                raise ConfigError(N_("{variable} must be a whole number, not '{value}'"),
                                  params={"variable": ENV_PREFIX + attribute.name.upper(), "value": raw}) from None
        elif attribute.name in _LIST_SETTINGS:
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
            raise ConfigError(N_("settings file {file} does not exist"), params={"file": str(file)}) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(N_("settings file {file} is not valid TOML: {error}"),
                              params={"file": str(file), "error": str(exc)}) from None
    data.update(_from_env(environ))
    try:
        settings = _CONVERTER.structure(data, Settings)
    except cattrs.ClassValidationError as exc:
        problems = "; ".join(cattrs.transform_error(exc))
        raise ConfigError(N_("invalid settings in {file}: {problems}"),
                          params={"file": str(file), "problems": problems}) from None
    settings = settings.with_overrides(**overrides)
    if not 3 <= settings.suppression_threshold:
        raise ConfigError(N_("suppression_threshold may not be below 3: small counts could identify people"))
    if settings.bilingual_order not in BILINGUAL_ORDERS:
        raise ConfigError(N_("bilingual_order must be one of: {choices}"), params={"choices": ", ".join(BILINGUAL_ORDERS)})
    for name in (*RETENTION_SETTINGS, "session_lifetime_minutes", "session_idle_minutes"):
        if getattr(settings, name) < 1:
            raise ConfigError(N_("{name} must be at least 1, not {value}"), params={"name": name, "value": getattr(settings, name)})
    if settings.purge_interval_hours < 0:
        raise ConfigError(N_("purge_interval_hours must be 0 (never) or a number of hours"))
    return settings


def secret_key_file(settings: Settings) -> Path:
    """Where the generated secret key is (or would be) kept."""
    return Path(settings.secret_key_file or Path(settings.data_dir) / "secret.key")


def secret_keys(settings: Settings) -> list[str]:
    """Every configured secret, the current one first: what a rotation-aware keyring needs.

    The current secret (:func:`ensure_secret_key`), then ``previous_secret_keys``, then
    the key that ``rightsaware keys rotate --generate`` set aside in
    ``<secret key file>.previous`` while a rotation of a generated key is unfinished.
    """
    keys = [ensure_secret_key(settings), *settings.previous_secret_keys]
    previous = secret_key_file(settings).with_name(secret_key_file(settings).name + PREVIOUS_KEY_SUFFIX)
    if previous.exists():
        keys.append(previous.read_text(encoding="utf-8").strip())
    return list(dict.fromkeys(key for key in keys if key))


def write_secret_file(path: Path, key: str) -> None:
    """Write a secret to ``path`` with mode 0600, atomically (a temporary file, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.chmod(temporary, 0o600)
    os.replace(temporary, path)


def ensure_secret_key(settings: Settings) -> str:
    """The configured secret key, or one generated once and kept in a 0600 file.

    A key file that others may read (for example after a careless copy) is made 0600 again.
    """
    if settings.secret_key:
        return settings.secret_key
    key_file = secret_key_file(settings)
    if key_file.exists():
        if os.stat(key_file).st_mode & 0o077:
            os.chmod(key_file, 0o600)
        key = key_file.read_text(encoding="utf-8").strip()
        if key:
            return key
    key = secrets.token_urlsafe(48)
    write_secret_file(key_file, key)
    return key

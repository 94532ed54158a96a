"""Staff accounts: users with roles, argon2id password hashes and sessions that expire.

Roles are ordered: ``viewer`` (dashboards and reports), ``reviewer`` (also the paper
review queue and individual answers), ``admin`` (also exports with personal data and
user management). A role includes every role before it.

Passwords are hashed with argon2id (``argon2-cffi``'s RFC 9106 low-memory profile) and
re-hashed on login when the parameters change. Ten wrong passwords in a row lock an
account for fifteen minutes, and :class:`LoginThrottle` refuses a sign-in without checking
the password after five failures in fifteen minutes from the same client address or for the
same user name (counted from the audit log, so the limit holds across requests, restarts
and server processes). A session is a random token in an HttpOnly cookie; the
database keeps only its SHA-256, so a copy of the database opens no session. Sessions end
after ``session_lifetime_minutes`` and after ``session_idle_minutes`` without a request.

The web side (login page, :func:`~rightsaware.auth_web.require_role`) is in
:mod:`rightsaware.auth_web`.
"""

from __future__ import annotations

import collections
import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
import threading
import unicodedata
from typing import Any

import argon2
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from attrs import frozen
from sqlalchemy import and_, delete, func, select, update
from sqlalchemy.exc import IntegrityError

from . import audit
from .errors import NotFound, RightsawareError
from .i18n import N_, _
from .response import utcnow
from .store import tables
from .store.engine import write_transaction

ROLES = tables.ROLES
MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 256
MAX_FAILED_LOGINS = 10
LOCK_MINUTES = 15
THROTTLE_FAILURES = 5  # failed sign-ins per client address, and per user name, ...
THROTTLE_WINDOW = dt.timedelta(minutes=15)  # ... in this window; then refused until the oldest ages out
LAST_SEEN_RESOLUTION = dt.timedelta(seconds=60)  # at most one write a minute per session
_USERNAME = re.compile(r"^[\w.@\-]{1,64}$")
_users = tables.users
_sessions = tables.user_sessions

MSG_BAD_ROLE = N_("Unknown role {role}: use viewer, reviewer or admin.")
MSG_BAD_USERNAME = N_("A user name has 1 to 64 letters, digits, dots, hyphens, underscores or @, and no spaces.")
MSG_SHORT_PASSWORD = N_("The password is too short: use at least {n} characters (a few unrelated words work well).")
MSG_LONG_PASSWORD = N_("The password is too long: use at most {n} characters.")
MSG_PASSWORD_IS_NAME = N_("The password must not contain the user name.")
MSG_USER_EXISTS = N_("There is already a user called {username}.")
MSG_NO_USER = N_("There is no user called {username}.")
MSG_LAST_ADMIN = N_("{username} is the last admin: make another user an admin first.")


class AuthError(RightsawareError):
    """A user, role or password was refused; the message says why."""


@frozen
class User:
    """A member of staff who signs in (no password hash: that stays in the store)."""

    id: int
    username: str
    role: str
    created_at: dt.datetime
    last_login_at: dt.datetime | None = None

    def has_role(self, role: str) -> bool:
        """Whether this user may do what ``role`` may (admins may do everything)."""
        return ROLES.index(self.role) >= ROLES.index(check_role(role))


@frozen
class Session:
    """A signed-in session: its user and the CSRF token its forms must carry."""

    user: User
    csrf_token: str
    expires_at: dt.datetime


def check_role(role: str) -> str:
    if role not in ROLES:
        raise AuthError(_(MSG_BAD_ROLE, role=role))
    return role


def normalise_username(username: str) -> str:
    """NFC, stripped and case-folded: ``Siân`` and ``SIÂN`` are the same user."""
    name = unicodedata.normalize("NFC", username or "").strip().casefold()
    if not _USERNAME.match(name):
        raise AuthError(_(MSG_BAD_USERNAME))
    return name


def check_password(password: str, username: str) -> None:
    """Refuse passwords that are too short, too long or contain the user name (NCSC guidance)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(_(MSG_SHORT_PASSWORD, n=MIN_PASSWORD_LENGTH))
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AuthError(_(MSG_LONG_PASSWORD, n=MAX_PASSWORD_LENGTH))
    if len(username) >= 3 and username in password.casefold():
        raise AuthError(_(MSG_PASSWORD_IS_NAME))


def _hasher() -> argon2.PasswordHasher:
    return argon2.PasswordHasher.from_parameters(argon2.profiles.RFC_9106_LOW_MEMORY)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _user(row: Any) -> User:  # noqa: ANN401 - a SQLAlchemy row
    return User(id=row.id, username=row.username, role=row.role, created_at=row.created_at,
                last_login_at=row.last_login_at)


class Users:
    """Staff accounts and their sessions in a :class:`~rightsaware.store.Store`."""

    def __init__(self, store: Any, hasher: argon2.PasswordHasher | None = None) -> None:
        self.store = store
        self.hasher = hasher or _hasher()
        self._dummy_hash: str | None = None

    # -- accounts ----------------------------------------------------------------------
    def add(self, username: str, password: str, role: str) -> User:
        name = normalise_username(username)
        check_role(role)
        check_password(password, name)
        now = utcnow()
        row = {"username": name, "password_hash": self.hasher.hash(password), "role": role, "failed_logins": 0,
               "locked_until": None, "last_login_at": None, "created_at": now, "updated_at": now}
        try:
            with write_transaction(self.store.engine) as connection:
                connection.execute(_users.insert().values(row))
        except IntegrityError:
            raise AuthError(_(MSG_USER_EXISTS, username=name)) from None
        return self.get(name)

    def get(self, username: str) -> User:
        name = normalise_username(username)
        with self.store.engine.connect() as connection:
            row = connection.execute(select(_users).where(_users.c.username == name)).first()
        if row is None:
            raise NotFound(_(MSG_NO_USER, username=name))
        return _user(row)

    def list(self) -> list[User]:
        with self.store.engine.connect() as connection:
            return [_user(row) for row in connection.execute(select(_users).order_by(_users.c.username))]

    def _keep_an_admin(self, connection: Any, name: str) -> None:  # noqa: ANN401
        admins = connection.scalar(select(func.count()).select_from(_users).where(
            and_(_users.c.role == "admin", _users.c.username != name)))
        if admins == 0:
            raise AuthError(_(MSG_LAST_ADMIN, username=name))

    def remove(self, username: str) -> None:
        """Delete a user and end their sessions; the last admin cannot be removed."""
        user = self.get(username)
        with write_transaction(self.store.engine) as connection:
            if user.role == "admin":
                self._keep_an_admin(connection, user.username)
            connection.execute(delete(_sessions).where(_sessions.c.user_id == user.id))
            connection.execute(delete(_users).where(_users.c.id == user.id))

    def set_role(self, username: str, role: str) -> User:
        user = self.get(username)
        check_role(role)
        with write_transaction(self.store.engine) as connection:
            if user.role == "admin" and role != "admin":
                self._keep_an_admin(connection, user.username)
            connection.execute(update(_users).where(_users.c.id == user.id).values(role=role, updated_at=utcnow()))
        return self.get(user.username)

    def set_password(self, username: str, password: str) -> None:
        """Change a password, unlock the account and end every session of the user."""
        user = self.get(username)
        check_password(password, user.username)
        with write_transaction(self.store.engine) as connection:
            connection.execute(update(_users).where(_users.c.id == user.id).values(
                password_hash=self.hasher.hash(password), failed_logins=0, locked_until=None, updated_at=utcnow()))
            connection.execute(delete(_sessions).where(_sessions.c.user_id == user.id))

    def authenticate(self, username: str, password: str, *, now: dt.datetime | None = None) -> User | None:
        """The user if the password is right and the account is not locked, else ``None``.

        Takes as long for an unknown user as for a wrong password, so user names cannot
        be discovered by timing.
        """
        now = now or utcnow()
        try:
            name = normalise_username(username)
        except AuthError:
            name = None
        password = password[: MAX_PASSWORD_LENGTH + 1]
        with self.store.engine.connect() as connection:
            row = connection.execute(select(_users).where(_users.c.username == name)).first() if name else None
        if row is None:
            self._verify(self._dummy(), password)
            return None
        if row.locked_until is not None and row.locked_until > now:
            self._verify(self._dummy(), password)
            return None
        if not self._verify(row.password_hash, password):
            failures = row.failed_logins + 1
            locked = now + dt.timedelta(minutes=LOCK_MINUTES) if failures >= MAX_FAILED_LOGINS else None
            with write_transaction(self.store.engine) as connection:
                connection.execute(update(_users).where(_users.c.id == row.id).values(
                    failed_logins=0 if locked else failures, locked_until=locked))
            return None
        values: dict[str, Any] = {"failed_logins": 0, "locked_until": None, "last_login_at": now}
        if self.hasher.check_needs_rehash(row.password_hash):
            values["password_hash"] = self.hasher.hash(password)
        with write_transaction(self.store.engine) as connection:
            connection.execute(update(_users).where(_users.c.id == row.id).values(**values))
        return self.get(row.username)

    def is_locked(self, username: str, *, now: dt.datetime | None = None) -> bool:
        user_row = self._row(username)
        return user_row is not None and user_row.locked_until is not None and user_row.locked_until > (now or utcnow())

    def _row(self, username: str) -> Any:  # noqa: ANN401
        with self.store.engine.connect() as connection:
            return connection.execute(select(_users).where(_users.c.username == normalise_username(username))).first()

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self.hasher.verify(stored, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False

    def _dummy(self) -> str:
        if self._dummy_hash is None:
            self._dummy_hash = self.hasher.hash(secrets.token_urlsafe(16))
        return self._dummy_hash

    # -- sessions ----------------------------------------------------------------------
    def start_session(self, user: User, *, lifetime: dt.timedelta, now: dt.datetime | None = None) -> tuple[str, Session]:
        """A new session for ``user``: ``(token for the cookie, session)``."""
        now = now or utcnow()
        token = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(32)
        expires = now + lifetime
        with write_transaction(self.store.engine) as connection:
            connection.execute(_sessions.insert().values(token_hash=_token_hash(token), user_id=user.id, csrf_token=csrf,
                                                         created_at=now, last_seen_at=now, expires_at=expires))
        return token, Session(user=user, csrf_token=csrf, expires_at=expires)

    def session(self, token: str | None, *, idle: dt.timedelta, now: dt.datetime | None = None) -> Session | None:
        """The live session of a cookie's token, or ``None`` (unknown, expired or idle too long)."""
        if not token or len(token) > 200:
            return None
        now = now or utcnow()
        key = _token_hash(token)
        query = (select(_sessions.c.csrf_token, _sessions.c.expires_at, _sessions.c.last_seen_at, _users)
                 .join(_users, _users.c.id == _sessions.c.user_id).where(_sessions.c.token_hash == key))
        with self.store.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        if row.expires_at <= now or row.last_seen_at + idle <= now:
            self.end_session(token)
            return None
        if now - row.last_seen_at >= LAST_SEEN_RESOLUTION:
            with write_transaction(self.store.engine) as connection:
                connection.execute(update(_sessions).where(_sessions.c.token_hash == key).values(last_seen_at=now))
        return Session(user=_user(row), csrf_token=row.csrf_token, expires_at=row.expires_at)

    def end_session(self, token: str) -> None:
        with write_transaction(self.store.engine) as connection:
            connection.execute(delete(_sessions).where(_sessions.c.token_hash == _token_hash(token)))

    def purge_sessions(self, *, idle: dt.timedelta, now: dt.datetime | None = None, dry_run: bool = False) -> int:
        """Delete sessions that have expired or gone idle; how many (would be) deleted."""
        now = now or utcnow()
        stale = (_sessions.c.expires_at <= now) | (_sessions.c.last_seen_at <= now - idle)
        with write_transaction(self.store.engine) as connection:
            if dry_run:
                return connection.scalar(select(func.count()).select_from(_sessions).where(stale))
            return max(connection.execute(delete(_sessions).where(stale)).rowcount, 0)


def _letters(digest: bytes) -> str:
    """Hex with the letters a-p for digits, so the audit log never sees a run of digits."""
    return digest.hex().translate(str.maketrans("0123456789abcdef", "abcdefghijklmnop"))


class LoginThrottle:
    """Refuse sign-ins after too many failures from one client address or for one user name.

    Failures are the audit log's ``user.login_failed`` entries, whose detail holds a keyed
    hash of the client address (``client``) and of the user name typed (``account``): the
    audit log never holds an address or a password, and counting from it makes the limit
    hold across requests, restarts and several server processes sharing one database.
    Attempts still being checked in this process count too, so a burst of parallel posts
    cannot slip past the limit while the passwords are hashed.
    """

    def __init__(self, store: Any, key: bytes, *, failures: int = THROTTLE_FAILURES,  # noqa: ANN401
                 window: dt.timedelta = THROTTLE_WINDOW) -> None:
        self.store = store
        self.key = key
        self.failures = failures
        self.window = window
        self._lock = threading.Lock()
        self._checking: collections.Counter[str] = collections.Counter()

    def tags(self, client: str, username: str) -> dict[str, str]:
        """The audit detail of an attempt: keyed hashes, never the address or the name itself."""
        name = unicodedata.normalize("NFC", username or "").strip().casefold()[:64]
        return {kind: _letters(hmac.new(self.key, f"{kind}\0{value}".encode(), hashlib.sha256).digest()[:16])
                for kind, value in (("client", client or "unknown"), ("account", name))}

    def _failure_times(self, tags: dict[str, str], now: dt.datetime) -> dict[str, list[dt.datetime]]:
        log = tables.audit_log
        wanted = [log.c.detail.contains(f'"{kind}": "{tag}"') for kind, tag in tags.items()]
        query = (select(log.c.at, log.c.detail)
                 .where(log.c.action == audit.USER_LOGIN_FAILED, log.c.at > now - self.window, wanted[0] | wanted[1])
                 .order_by(log.c.at))
        with self.store.engine.connect() as connection:
            rows = connection.execute(query).all()
        return {kind: [row.at for row in rows if f'"{kind}": "{tag}"' in row.detail] for kind, tag in tags.items()}

    def retry_after(self, tags: dict[str, str], *, now: dt.datetime | None = None) -> dt.timedelta | None:
        """How long until this client may try again, or ``None`` when it may try now."""
        now = now or utcnow()
        times = self._failure_times(tags, now)
        waits = []
        for kind, tag in tags.items():
            checking = self._checking[tag]
            count = len(times[kind]) + checking
            if count >= self.failures:
                # the wait ends when the oldest (count - failures + 1) failures have left the
                # window; attempts still being checked count as failures made now
                index = count - self.failures
                oldest = times[kind][index] if index < len(times[kind]) else now
                waits.append(max(oldest + self.window - now, dt.timedelta(seconds=1)))
        return max(waits) if waits else None

    def begin(self, tags: dict[str, str], *, now: dt.datetime | None = None) -> dt.timedelta | None:
        """Start checking a password: ``None``, or how long to wait (then do not check it)."""
        with self._lock:
            wait = self.retry_after(tags, now=now)
            if wait is None:
                self._checking.update(tags.values())
            return wait

    def end(self, tags: dict[str, str], *, failed: bool, actor: str = "web:login-form",
            now: dt.datetime | None = None) -> None:
        """Finish an attempt begun with :meth:`begin`; a failure goes into the audit log."""
        try:
            if failed:
                audit.record(self.store, actor, audit.USER_LOGIN_FAILED, detail=tags, at=now)
        finally:
            with self._lock:
                self._checking.subtract(tags.values())
                self._checking += collections.Counter()  # drop the zeros

    def refused(self, tags: dict[str, str], *, actor: str = "web:login-form") -> None:
        """Record an attempt refused unchecked (it does not lengthen the wait)."""
        audit.record(self.store, actor, audit.USER_LOGIN_THROTTLED, detail=tags)


def wait_minutes(wait: dt.timedelta) -> int:
    """A wait in whole minutes, rounded up (at least one), for the page that says it."""
    return max(1, math.ceil(wait.total_seconds() / 60))

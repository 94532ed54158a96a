"""Staff accounts: roles, argon2id hashes, lockout, sessions that expire."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import argon2
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rightsaware import audit
from rightsaware.auth import (
    MAX_FAILED_LOGINS,
    THROTTLE_FAILURES,
    THROTTLE_WINDOW,
    AuthError,
    LoginThrottle,
    Users,
    normalise_username,
    wait_minutes,
)
from rightsaware.cli import Context, build_cli
from rightsaware.errors import NotFound
from rightsaware.store import tables

PASSWORD = "llwybr tarw glas 42"
CHEAP = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
HOUR = dt.timedelta(hours=1)


@pytest.fixture
def users(rightsaware_runtime) -> Users:
    return Users(rightsaware_runtime.store, hasher=CHEAP)


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def test_add_get_list_with_case_folded_names(users) -> None:
    siân = users.add("Siân", PASSWORD, "admin")
    assert siân.username == "siân" and siân.role == "admin" and siân.last_login_at is None
    assert users.get("SIÂN") == siân
    users.add("morag.macleod", PASSWORD, "viewer")
    assert [u.username for u in users.list()] == ["morag.macleod", "siân"]
    with pytest.raises(AuthError, match="already a user called siân"):
        users.add("siân", PASSWORD, "viewer")
    with pytest.raises(NotFound, match="no user called nobody"):
        users.get("nobody")


@pytest.mark.parametrize(("name", "password", "role", "message"), [
    ("ann", PASSWORD, "owner", "Unknown role owner"),
    ("ann jones", PASSWORD, "viewer", "no spaces"),
    ("", PASSWORD, "viewer", "no spaces"),
    ("ann", "short", "viewer", "at least 10"),
    ("ann", "x" * 257, "viewer", "at most 256"),
    ("ann", "ann-is-my-password", "viewer", "must not contain the user name"),
])
def test_bad_accounts_are_refused_clearly(users, name, password, role, message) -> None:
    with pytest.raises(AuthError, match=message):
        users.add(name, password, role)


def test_roles_include_the_ones_below(users) -> None:
    viewer = users.add("v", PASSWORD, "viewer")
    reviewer = users.add("r", PASSWORD, "reviewer")
    admin = users.add("a", PASSWORD, "admin")
    assert viewer.has_role("viewer") and not viewer.has_role("reviewer")
    assert reviewer.has_role("viewer") and reviewer.has_role("reviewer") and not reviewer.has_role("admin")
    assert admin.has_role("viewer") and admin.has_role("admin")


def test_passwords_are_argon2id_hashes_never_plain_text(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    Users(store).add("siân", PASSWORD, "admin")  # the production parameters
    with store.engine.connect() as connection:
        stored = connection.scalar(select(tables.users.c.password_hash))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    store.close()
    database = Path(rightsaware_runtime.settings.database.removeprefix("sqlite:///"))
    raw = b"".join(p.read_bytes() for p in database.parent.glob(database.name + "*"))
    assert PASSWORD.encode() not in raw


def test_authenticate_and_rehash_with_newer_parameters(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    Users(store, hasher=CHEAP).add("siân", PASSWORD, "admin")
    stronger = Users(store, hasher=argon2.PasswordHasher(time_cost=2, memory_cost=2048, parallelism=1))
    assert stronger.authenticate("siân", "wrong password!") is None
    user = stronger.authenticate(" SIÂN ", PASSWORD)
    assert user is not None and user.last_login_at is not None
    with store.engine.connect() as connection:
        stored = connection.scalar(select(tables.users.c.password_hash))
    assert "m=2048,t=2" in stored and not stronger.hasher.check_needs_rehash(stored)


def test_unknown_users_cost_a_hash_too(users) -> None:
    calls = []
    verify = users.hasher.verify

    class Counting:
        def __getattr__(self, name):
            return getattr(CHEAP, name)

        def verify(self, stored, password):
            calls.append(stored)
            return verify(stored, password)

    users.hasher = Counting()
    assert users.authenticate("nobody", PASSWORD) is None
    assert users.authenticate("bad name with spaces", PASSWORD) is None
    assert len(calls) == 2  # as long as checking a real user's password


def test_lockout_after_repeated_failures(users) -> None:
    users.add("siân", PASSWORD, "admin")
    start = now()
    for _ in range(MAX_FAILED_LOGINS):
        assert users.authenticate("siân", "not the password", now=start) is None
    assert users.is_locked("siân", now=start)
    assert users.authenticate("siân", PASSWORD, now=start + dt.timedelta(minutes=14)) is None
    assert users.authenticate("siân", PASSWORD, now=start + dt.timedelta(minutes=16)) is not None
    assert not users.is_locked("siân")


def test_sessions_expire_absolutely_and_when_idle(users) -> None:
    user = users.add("siân", PASSWORD, "admin")
    start = now()
    token, session = users.start_session(user, lifetime=8 * HOUR, now=start)
    assert session.user == user and len(session.csrf_token) >= 32
    assert users.session(token, idle=HOUR, now=start + dt.timedelta(minutes=30)).user == user
    assert users.session(token, idle=HOUR, now=start + dt.timedelta(minutes=89)) is not None  # seen at 30 min
    assert users.session(token, idle=HOUR, now=start + dt.timedelta(minutes=150)) is None  # idle for 61 minutes
    assert users.session(token, idle=HOUR, now=start) is None  # and it was deleted
    token, _ = users.start_session(user, lifetime=HOUR, now=start)
    for minutes in (20, 40, 59):
        assert users.session(token, idle=HOUR, now=start + dt.timedelta(minutes=minutes)) is not None
    assert users.session(token, idle=HOUR, now=start + dt.timedelta(minutes=61)) is None  # absolute limit
    assert users.session("forged-token", idle=HOUR) is None and users.session(None, idle=HOUR) is None


def test_only_a_hash_of_the_session_token_is_stored(users, rightsaware_runtime) -> None:
    token, _ = users.start_session(users.add("siân", PASSWORD, "admin"), lifetime=HOUR)
    with rightsaware_runtime.store.engine.connect() as connection:
        stored = connection.scalar(select(tables.user_sessions.c.token_hash))
    assert stored != token and token not in stored and len(stored) == 64


def test_password_change_and_removal_end_sessions(users) -> None:
    user = users.add("siân", PASSWORD, "admin")
    users.add("morag", PASSWORD, "admin")
    token, _ = users.start_session(user, lifetime=HOUR)
    users.set_password("siân", "a different long password")
    assert users.session(token, idle=HOUR) is None
    assert users.authenticate("siân", PASSWORD) is None and users.authenticate("siân", "a different long password")
    token, _ = users.start_session(user, lifetime=HOUR)
    users.remove("siân")
    assert users.session(token, idle=HOUR) is None


def test_the_last_admin_stays(users) -> None:
    users.add("siân", PASSWORD, "admin")
    with pytest.raises(AuthError, match="last admin"):
        users.remove("siân")
    with pytest.raises(AuthError, match="last admin"):
        users.set_role("siân", "viewer")
    users.add("morag", PASSWORD, "reviewer")
    users.set_role("morag", "admin")
    assert users.set_role("siân", "viewer").role == "viewer"


def test_purge_sessions(users) -> None:
    user = users.add("siân", PASSWORD, "admin")
    start = now()
    users.start_session(user, lifetime=HOUR, now=start)
    users.start_session(user, lifetime=8 * HOUR, now=start)
    later = start + dt.timedelta(minutes=90)
    assert users.purge_sessions(idle=2 * HOUR, now=later, dry_run=True) == 1
    assert users.purge_sessions(idle=2 * HOUR, now=later) == 1
    assert users.purge_sessions(idle=HOUR, now=later) == 1


def test_normalise_username() -> None:
    assert normalise_username("  Dòmhnall ") == "dòmhnall"
    assert normalise_username("ANN@example.org") == "ann@example.org"
    for bad in ("a b", "x" * 65, "semi;colon", "<script>"):
        with pytest.raises(AuthError):
            normalise_username(bad)


def test_cli_users(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    group, obj = build_cli(runtime), Context(runtime, "en")

    def run(*args: str, text: str | None = None):
        return CliRunner().invoke(group, list(args), input=text, obj=obj)

    result = run("users", "add", "Siân", "--role", "admin", text=f"{PASSWORD}\n{PASSWORD}\n")
    assert result.exit_code == 0 and "User siân added with the role admin." in result.output, result.output
    assert PASSWORD not in result.output
    assert run("users", "add", "morag", "--role", "viewer", "--password-stdin", text="short\n").exit_code == 1
    assert run("users", "add", "morag", "--role", "viewer", "--password-stdin", text=PASSWORD + "\n").exit_code == 0
    listed = run("users", "list")
    assert "morag  viewer  never signed in" in listed.output and "siân  admin" in listed.output
    assert run("users", "set-role", "morag", "reviewer").output.strip() == "morag now has the role reviewer."
    assert run("users", "password", "morag", "--password-stdin", text="another long password\n").exit_code == 0
    refused = run("users", "remove", "siân")
    assert refused.exit_code == 1 and "last admin" in str(refused.exception)
    assert run("users", "remove", "morag").exit_code == 0
    actions = [e.action for e in audit.entries(runtime.store, action="user.")]
    assert actions == [audit.USER_REMOVE, audit.USER_PASSWORD, audit.USER_SET_ROLE, audit.USER_ADD, audit.USER_ADD]
    welsh = CliRunner().invoke(group, ["users", "list"], obj=Context(runtime, "cy"))
    assert "siân  admin  heb fewngofnodi erioed" in welsh.output


def test_throttle_counts_failures_per_address_and_per_user_name(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    throttle = LoginThrottle(store, b"k" * 32)
    start = now()
    here = throttle.tags("203.0.113.7", "Siân")
    assert here == throttle.tags("203.0.113.7", " SIÂN ")  # the same account however it is typed
    for minute in range(THROTTLE_FAILURES):
        at = start + dt.timedelta(minutes=minute)
        assert throttle.begin(here, now=at) is None
        throttle.end(here, failed=True, now=at)
    later = start + dt.timedelta(minutes=THROTTLE_FAILURES)
    wait = throttle.retry_after(here, now=later)
    assert wait == THROTTLE_WINDOW - dt.timedelta(minutes=THROTTLE_FAILURES)  # until the first failure ages out
    assert throttle.begin(here, now=later) == wait
    # another user name from the same address, and the same user name from elsewhere: both refused
    assert throttle.retry_after(throttle.tags("203.0.113.7", "morag"), now=later) == wait
    assert throttle.retry_after(throttle.tags("198.51.100.2", "siân"), now=later) == wait
    # someone else entirely is not affected
    assert throttle.retry_after(throttle.tags("198.51.100.2", "morag"), now=later) is None
    # after the oldest failure has left the window, one more try is allowed, not five
    reopened = start + THROTTLE_WINDOW + dt.timedelta(seconds=1)
    assert throttle.retry_after(here, now=reopened) is None
    assert throttle.retry_after(here, now=reopened + dt.timedelta(minutes=1)) is None
    throttle.end(here, failed=True, now=reopened)
    assert throttle.retry_after(here, now=reopened) is not None


def test_throttle_survives_a_new_process_and_ignores_successes(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    first = LoginThrottle(store, b"k" * 32)
    tags = first.tags("2001:db8::1", "iolo")
    start = now()
    for _ in range(THROTTLE_FAILURES - 1):
        first.begin(tags, now=start)
        first.end(tags, failed=True, now=start)
    first.begin(tags, now=start)
    first.end(tags, failed=False, now=start)  # a success is not a failure
    assert first.retry_after(tags, now=start) is None
    restarted = LoginThrottle(store, b"k" * 32)  # a new process with the same secret
    restarted.begin(tags, now=start)
    restarted.end(tags, failed=True, now=start)
    assert restarted.retry_after(tags, now=start) is not None
    other_key = LoginThrottle(store, b"x" * 32)  # after a key rotation the old hashes no longer match
    assert other_key.retry_after(other_key.tags("2001:db8::1", "iolo"), now=start) is None


def test_attempts_being_checked_count_so_parallel_posts_cannot_slip_through(rightsaware_runtime) -> None:
    throttle = LoginThrottle(rightsaware_runtime.store, b"k" * 32)
    tags = throttle.tags("192.0.2.9", "siân")
    start = now()
    begun = [throttle.begin(tags, now=start) for _ in range(THROTTLE_FAILURES + 3)]
    assert begun[:THROTTLE_FAILURES] == [None] * THROTTLE_FAILURES
    assert all(wait is not None for wait in begun[THROTTLE_FAILURES:])
    for _ in range(THROTTLE_FAILURES):
        throttle.end(tags, failed=False, now=start)
    assert throttle.retry_after(tags, now=start) is None  # all of them succeeded: nothing counts


def test_the_audit_log_holds_hashes_not_addresses_names_or_passwords(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    throttle = LoginThrottle(store, b"k" * 32)
    tags = throttle.tags("203.0.113.77", "siân")
    throttle.begin(tags)
    throttle.end(tags, failed=True)
    throttle.refused(tags)
    entries = audit.entries(store, action="user.")
    assert [e.action for e in entries] == [audit.USER_LOGIN_THROTTLED, audit.USER_LOGIN_FAILED]
    assert entries[0].detail == entries[1].detail == tags
    assert all(value.isalpha() and len(value) == 32 for value in tags.values())
    with store.engine.connect() as connection:
        dump = repr(connection.execute(select(tables.audit_log)).all())
    assert "203.0.113.77" not in dump and "siân" not in dump


@pytest.mark.parametrize(("seconds", "minutes"), [(1, 1), (60, 1), (61, 2), (14 * 60 + 59, 15)])
def test_wait_minutes_round_up(seconds, minutes) -> None:
    assert wait_minutes(dt.timedelta(seconds=seconds)) == minutes

"""The audit log: every access to personal data, who did it and when, never the data itself.

An entry names an *actor* (``user:<name>`` for a signed-in member of staff,
``cli:<operating-system user>`` for the command line, ``system:<task>`` for scheduled
work), an *action* (the constants below; channels add their own, such as
``scan.view``), optionally a *subject* (a respondent's keyed-hash id, a response id, an
organisation id) and a *detail* of counts and codes. :func:`record` refuses a detail that
looks like personal data (an e-mail address, a long run of digits, free text), so a
careless caller cannot leak a phone number into the log.

When a respondent is erased, :func:`forget_subjects` removes their ids from earlier
entries: the log keeps that something happened, not to whom.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import frozen
from sqlalchemy import Connection, select, update

from .response import utcnow
from .store import tables
from .store.engine import write_transaction

_log = tables.audit_log

# Actions of the core (channels may add their own, named "<thing>.<verb>").
RESPONDENT_EXPORT = "respondent.export"  # a subject access export was written
RESPONDENT_ERASE = "respondent.erase"
RESPONDENT_WITHDRAW = "respondent.withdraw"
REFERRALS_EXPORT = "referrals.export"  # contact details decrypted for an organisation
RESPONSES_VIEW = "responses.view"  # a page showing individual answers (dashboard)
RETENTION_PURGE = "retention.purge"
KEYS_ROTATE = "keys.rotate"
USER_LOGIN = "user.login"
USER_LOGIN_FAILED = "user.login_failed"  # detail: keyed hashes of the client address and user name
USER_LOGIN_THROTTLED = "user.login_throttled"  # refused unchecked: too many failures (same detail)
USER_LOGOUT = "user.logout"
USER_ADD = "user.add"
USER_REMOVE = "user.remove"
USER_SET_ROLE = "user.set_role"
USER_PASSWORD = "user.password"

SUBJECT_KINDS = ("respondent", "response", "organisation", "user", "file", "instrument")
_ACTION = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$")
_SAFE_TEXT = re.compile(r"^[\w.:/\- ]{0,120}$")
_DIGIT_RUN = re.compile(r"\d{7,}")
_SUBJECT_ID = re.compile(r"^[A-Za-z0-9_\-.:~]{1,128}$")
_PHONE_LIKE = re.compile(r"^\+?\d{7,}$")


@frozen
class AuditEntry:
    """One line of the audit log."""

    id: int
    at: dt.datetime
    actor: str
    action: str
    subject_kind: str | None
    subject_id: str | None
    detail: dict[str, Any]


def cli_actor() -> str:
    """The actor for a command typed at the command line: ``cli:<operating-system user>``."""
    try:
        return "cli:" + getpass.getuser()
    except (KeyError, OSError):  # no user name (some containers)
        return "cli:unknown"


def user_actor(username: str) -> str:
    """The actor for a signed-in member of staff."""
    return "user:" + username


def _check_detail(detail: Mapping[str, Any] | None) -> str | None:
    if not detail:
        return None
    for key, value in detail.items():
        if not isinstance(key, str) or not _SAFE_TEXT.match(key):
            raise ValueError(f"audit detail keys are short codes, not {key!r}")
        if value is None or isinstance(value, bool | int | float):
            continue
        if isinstance(value, str) and _SAFE_TEXT.match(value) and not _DIGIT_RUN.search(value):
            continue
        raise ValueError(
            f"audit detail {key!r} must be a number or a short code; personal data never goes in the audit log"
        )
    return json.dumps(dict(detail), sort_keys=True)


def _row(actor: str, action: str, subject_kind: str | None, subject_id: str | None,
         detail: Mapping[str, Any] | None, at: dt.datetime | None) -> dict[str, Any]:
    if not _ACTION.match(action):
        raise ValueError(f"audit actions look like 'respondent.export', not {action!r}")
    if subject_kind is not None and subject_kind not in SUBJECT_KINDS:
        raise ValueError(f"unknown audit subject kind {subject_kind!r}; use one of {', '.join(SUBJECT_KINDS)}")
    if subject_id is not None and (not _SUBJECT_ID.match(subject_id) or _PHONE_LIKE.match(subject_id)):
        raise ValueError("an audit subject is an id, never a phone number or other contact detail")
    return {
        "at": at or utcnow(),
        "actor": actor[:200],
        "action": action,
        "subject_kind": subject_kind,
        "subject_id": subject_id,
        "detail": _check_detail(detail),
    }


def record(store: Any, actor: str, action: str, *, subject_kind: str | None = None, subject_id: str | None = None,
           detail: Mapping[str, Any] | None = None, connection: Connection | None = None,
           at: dt.datetime | None = None) -> None:
    """Add an entry; inside ``connection``'s transaction when given (so it commits with the change)."""
    row = _row(actor, action, subject_kind, subject_id, detail, at)
    if connection is not None:
        connection.execute(_log.insert().values(row))
        return
    with write_transaction(store.engine) as own:
        own.execute(_log.insert().values(row))


def record_many(connection: Connection, actor: str, action: str, subject_kind: str,
                subject_ids: Iterable[str], detail: Mapping[str, Any] | None = None) -> None:
    """One entry per subject (for example each respondent whose contact an export decrypted)."""
    now = utcnow()
    rows = [_row(actor, action, subject_kind, subject_id, detail, now) for subject_id in subject_ids]
    if rows:
        connection.execute(_log.insert(), rows)


def record_request(request: Any, action: str, **kwargs: Any) -> None:
    """Record an access made through a web page, by the signed-in user of ``request``.

    Channels call this from routes protected with :func:`rightsaware.auth.require_role`,
    for example ``record_request(request, "scan.view", subject_kind="response",
    subject_id=response_id)``.
    """
    user = getattr(request.state, "user", None)
    actor = user_actor(user.username) if user is not None else "web:anonymous"
    record(request.app.state.runtime.store, actor, action, **kwargs)


def forget_subjects(connection: Connection, subject_ids: Iterable[str]) -> int:
    """Remove these ids from every entry (an erasure); the number of entries changed."""
    ids = list(dict.fromkeys(subject_ids))
    changed = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        result = connection.execute(update(_log).where(_log.c.subject_id.in_(chunk)).values(subject_id=None))
        changed += max(result.rowcount, 0)
    return changed


def entries(store: Any, *, action: str | None = None, subject_id: str | None = None,
            since: dt.datetime | None = None, limit: int = 100) -> list[AuditEntry]:
    """The newest entries first, optionally of one action (or prefix ``respondent.``) or subject."""
    query = select(_log)
    if action:
        query = query.where(_log.c.action.startswith(action) if action.endswith(".") else _log.c.action == action)
    if subject_id:
        query = query.where(_log.c.subject_id == subject_id)
    if since:
        query = query.where(_log.c.at >= since)
    query = query.order_by(_log.c.id.desc()).limit(limit)
    with store.engine.connect() as connection:
        rows = connection.execute(query).all()
    return [
        AuditEntry(id=row.id, at=row.at, actor=row.actor, action=row.action, subject_kind=row.subject_kind,
                   subject_id=row.subject_id, detail=json.loads(row.detail) if row.detail else {})
        for row in rows
    ]

"""Retention: delete what is older than the configured periods (``rightsaware purge``).

Kinds and their settings (days; see docs/data-protection.md):

* ``withdrawn`` (``retention_withdrawn_days``) — responses whose respondent withdrew
  consent (already left out of every report) are deleted;
* ``answers`` (``retention_answers_days``) — responses last changed before the cut-off are
  deleted with their answers and referrals;
* ``contacts`` (``retention_contacts_days``) — a respondent with no activity since the
  cut-off is erased exactly as ``respondents erase`` does (channels are told through
  ``respondent_erased``); their answers stay, anonymous;
* ``messages`` (``retention_messages_days``) — sent and failed outbox messages; channels
  delete their raw inbound messages;
* ``scans`` (``retention_scans_days``) — channels delete scanned images;
* ``exports`` (``retention_exports_days``) — files written by referral and subject access
  exports are deleted;
* ``sessions`` — staff sessions that expired.

Channels join in with the optional method ``purge_personal_data(kind, before, runtime,
dry_run) -> int``. :class:`PurgeScheduler` runs :func:`purge` in the background of
``rightsaware serve`` every ``purge_interval_hours``.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import Any

from attrs import frozen
from sqlalchemy import and_, exists, func, select

from . import audit
from .privacy import delete_files, delete_responses, erase
from .response import utcnow
from .store import tables
from .store.engine import write_transaction

log = logging.getLogger(__name__)

KINDS = ("withdrawn", "answers", "contacts", "messages", "scans", "exports", "sessions")
SETTING = {
    "withdrawn": "retention_withdrawn_days",
    "answers": "retention_answers_days",
    "contacts": "retention_contacts_days",
    "messages": "retention_messages_days",
    "scans": "retention_scans_days",
    "exports": "retention_exports_days",
}
ACTOR = "system:purge"
FIRST_RUN_DELAY_SECONDS = 60.0


@frozen
class PurgeItem:
    """How many things of one kind one part of rightsaware removed (or would remove)."""

    kind: str
    source: str  # "store" or a channel's name
    count: int
    before: dt.datetime | None


@frozen
class PurgeReport:
    items: tuple[PurgeItem, ...]
    dry_run: bool

    @property
    def total(self) -> int:
        return sum(item.count for item in self.items)

    def counts(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for item in self.items:
            totals[item.kind] = totals.get(item.kind, 0) + item.count
        return totals


def cutoffs(settings: Any, now: dt.datetime) -> dict[str, dt.datetime]:  # noqa: ANN401
    """The time before which each kind is deleted."""
    return {kind: now - dt.timedelta(days=getattr(settings, name)) for kind, name in SETTING.items()}


def _chunks(ids: list[Any], size: int = 500) -> Any:  # noqa: ANN401
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def _withdrawn(store: Any, before: dt.datetime, dry_run: bool) -> int:  # noqa: ANN401
    w = tables.withdrawals
    with write_transaction(store.engine) as connection:
        ids = list(connection.scalars(select(w.c.response_id).where(w.c.withdrawn_at < before)))
        return len(ids) if dry_run else delete_responses(connection, ids)


def _answers(store: Any, before: dt.datetime, dry_run: bool) -> int:  # noqa: ANN401
    r = tables.responses
    last = func.coalesce(r.c.completed_at, r.c.updated_at)
    with write_transaction(store.engine) as connection:
        ids = list(connection.scalars(select(r.c.id).where(and_(last < before, r.c.updated_at < before))))
        return len(ids) if dry_run else delete_responses(connection, ids)


def inactive_respondents(store: Any, before: dt.datetime) -> list[str]:  # noqa: ANN401
    """Respondents not yet erased with no activity (contact, response, message) since ``before``."""
    t = tables
    rid = t.respondents.c.id
    recent = [
        exists().where(and_(t.responses.c.respondent_id == rid, t.responses.c.updated_at >= before)),
        exists().where(and_(t.respondent_contacts.c.respondent_id == rid, t.respondent_contacts.c.updated_at >= before)),
        exists().where(and_(t.outbox.c.respondent_id == rid, t.outbox.c.updated_at >= before)),
    ]
    query = select(rid).where(and_(t.respondents.c.erased_at.is_(None), t.respondents.c.updated_at < before,
                                   *(~condition for condition in recent))).order_by(rid)
    with store.engine.connect() as connection:
        return list(connection.scalars(query))


def _messages(store: Any, before: dt.datetime, dry_run: bool) -> int:  # noqa: ANN401
    o = tables.outbox
    done = and_(o.c.status.in_(("sent", "failed")), o.c.updated_at < before)
    with write_transaction(store.engine) as connection:
        if dry_run:
            return connection.scalar(select(func.count()).select_from(o).where(done))
        return max(connection.execute(o.delete().where(done)).rowcount, 0)


def _exports(store: Any, before: dt.datetime, dry_run: bool) -> int:  # noqa: ANN401
    f = tables.exported_files
    with store.engine.connect() as connection:
        rows = connection.execute(select(f.c.id, f.c.path).where(
            and_(f.c.deleted_at.is_(None), f.c.created_at < before))).all()
    if dry_run:
        return len(rows)
    delete_files(store, rows)
    return len(rows)


def purge(runtime: Any, *, now: dt.datetime | None = None, dry_run: bool = False, actor: str = ACTOR) -> PurgeReport:  # noqa: ANN401
    """Apply every retention period once; what was (or, with ``dry_run``, would be) removed."""
    from .auth import Users

    now = now or utcnow()
    store = runtime.store
    cut = cutoffs(runtime.settings, now)
    items: list[PurgeItem] = []

    def add(kind: str, source: str, count: int) -> None:
        items.append(PurgeItem(kind=kind, source=source, count=count, before=cut.get(kind)))

    add("withdrawn", "store", _withdrawn(store, cut["withdrawn"], dry_run))
    add("answers", "store", _answers(store, cut["answers"], dry_run))
    inactive = inactive_respondents(store, cut["contacts"])
    if inactive and not dry_run:
        erase(runtime, inactive, actor=actor, action=audit.RETENTION_PURGE)
    add("contacts", "store", len(inactive))
    add("messages", "store", _messages(store, cut["messages"], dry_run))
    add("exports", "store", _exports(store, cut["exports"], dry_run))
    idle = dt.timedelta(minutes=runtime.settings.session_idle_minutes)
    add("sessions", "store", Users(store).purge_sessions(idle=idle, now=now, dry_run=dry_run))
    for channel in runtime.channels:
        method = getattr(channel, "purge_personal_data", None)
        if not callable(method):
            continue
        for kind in SETTING:
            count = method(kind, cut[kind], runtime, dry_run)
            if count:
                add(kind, channel.info.name, int(count))
    report = PurgeReport(items=tuple(items), dry_run=dry_run)
    if not dry_run and report.total:
        audit.record(store, actor, audit.RETENTION_PURGE, detail=report.counts())
    log.info("retention purge%s: %s", " (dry run)" if dry_run else "", report.counts())
    return report


class PurgeScheduler:
    """Runs :func:`purge` in a background thread: a minute after start, then every ``interval``."""

    def __init__(self, runtime: Any, interval: dt.timedelta, first_delay: float = FIRST_RUN_DELAY_SECONDS) -> None:  # noqa: ANN401
        self.runtime = runtime
        self.interval = interval
        self.first_delay = first_delay
        self.runs = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="rightsaware-purge", daemon=True)

    def start(self) -> PurgeScheduler:
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        delay = self.first_delay
        while not self._stop.wait(delay):
            try:
                purge(self.runtime)
            except Exception as exc:  # noqa: BLE001 - keep serving; the error type only (no personal data)
                log.error("scheduled retention purge failed (%s); it will be tried again", type(exc).__name__)
            self.runs += 1
            delay = self.interval.total_seconds()


def start_scheduled_purge(runtime: Any) -> PurgeScheduler | None:  # noqa: ANN401
    """Start the daily purge for ``rightsaware serve`` (``None`` when ``purge_interval_hours`` is 0)."""
    hours = runtime.settings.purge_interval_hours
    if hours <= 0:
        return None
    return PurgeScheduler(runtime, dt.timedelta(hours=hours)).start()

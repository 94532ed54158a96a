"""``paper scan``: read a batch of files, keep every page, record answers, reconcile.

Each input page is kept on disk by content hash and gets a row in ``paper_pages`` with a
state: ``read`` (every answer accepted and submitted), ``in_review`` (a person must look
at some answers, or at the whole page), ``rejected`` (with the reason: blank, another
form, an unknown layout, a second scan of the same sheet…) or ``done`` (reviewed). A page
scanned again is recognised by its hash and not read twice; the same printed sheet page in
a new image is compared with the first reading: the same answers mean a rescan (not
counted again), different answers go to a person (a photocopied form filled by someone
else?). The batch ends with a reconciliation: pages in = pages accounted for.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from attrs import field, frozen
from rightsaware.errors import NotFound, RightsawareError
from sqlalchemy import and_, select, update

from . import storage as db
from .crops import keep_crop
from .identity import PageIdentity
from .ingest import InputPage, Skipped, expand, read_file
from .reader import PageResult
from .service import PaperService
from .storage import dumps, loads, now, write_transaction

RETRYABLE = {"unknown_layout", "instrument_missing", "version_mismatch", "other_instrument", "failed"}


@frozen
class PageRecord:
    """What ``scan --json`` prints for one input page."""

    file: str
    page: int  # 1-based page number in the file
    hash: str
    outcome: str  # new | seen | retried
    state: str
    reason: str | None = None
    detail: str = ""
    identity: dict | None = None
    answers: list[dict] = field(factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"file": self.file, "page": self.page, "hash": self.hash, "outcome": self.outcome,
                "state": self.state, "reason": self.reason, "detail": self.detail or None,
                "identity": self.identity, "answers": self.answers}


@frozen
class BatchReport:
    batch_id: int
    name: str
    records: tuple[PageRecord, ...]
    skipped: tuple[str, ...]
    seconds: float

    @property
    def counts(self) -> dict[str, int]:
        return dict(Counter(r.state for r in self.records))

    @property
    def reconciled(self) -> bool:
        return sum(self.counts.values()) == len(self.records)

    def summary(self) -> dict[str, Any]:
        return {"batch": self.batch_id, "name": self.name, "pages_in": len(self.records),
                "by_state": self.counts, "already_seen": sum(r.outcome == "seen" for r in self.records),
                "accounted_for": sum(self.counts.values()), "reconciled": self.reconciled,
                "skipped_files": list(self.skipped), "seconds": round(self.seconds, 2)}


class Scanner:
    """Reads batches for one :class:`PaperService`."""

    def __init__(self, service: PaperService, expected_instrument: str | None = None) -> None:
        self.service = service
        self.engine = service.engine
        self.files = service.files
        self.reader = service.reader()
        self.expected_instrument = expected_instrument

    def scan(self, paths: Iterable[str | Path], name: str = "") -> BatchReport:
        started = time.perf_counter()
        with write_transaction(self.engine) as connection:
            batch_id = connection.execute(db.batches.insert().values(
                name=name or now().strftime("%Y-%m-%d %H:%M"), started_at=now())).inserted_primary_key[0]
        records: list[PageRecord] = []
        skipped: list[str] = []
        for item in expand(paths):
            if isinstance(item, Skipped):
                skipped.append(item.source)
                continue
            for page in read_file(item):
                try:
                    record = self.scan_page(page)
                except RightsawareError as exc:  # e.g. a survey whose translations are missing: retried later
                    record = self._failed(page, str(exc))
                records.append(record)
                with write_transaction(self.engine) as connection:
                    connection.execute(db.batch_pages.insert().values(
                        batch_id=batch_id, position=len(records), page_hash=record.hash, source=record.file,
                        page_in_file=page.index, outcome=record.outcome))
        report = BatchReport(batch_id, name, tuple(records), tuple(skipped), time.perf_counter() - started)
        with write_transaction(self.engine) as connection:
            connection.execute(update(db.batches).where(db.batches.c.id == batch_id).values(
                finished_at=now(), summary_json=dumps(report.summary())))
        return report

    # --- one page ------------------------------------------------------------------------

    def scan_page(self, page: InputPage) -> PageRecord:
        existing = self._page(page.content_hash)
        outcome = "new"
        if existing is not None:
            if not (existing["state"] == "rejected" and existing["reason"] in RETRYABLE):
                return self.record(page.content_hash, "seen")
            outcome = "retried"
        image_path = self.files.keep_page(page.content_hash, page.data, page.suffix) if page.data else None
        base = {"hash": page.content_hash, "source": page.source, "page_in_file": page.index, "image_path": image_path}
        if page.error is not None or page.grey is None:
            self._save_page(base, "rejected", page.error or "unreadable", page.detail)
            return self.record(page.content_hash, outcome)
        try:
            result = self.reader.read(page.grey)
        except (cv2.error, ValueError, np.linalg.LinAlgError) as exc:  # an image OpenCV cannot work with
            self._save_page(base, "rejected", "unreadable", str(exc).strip().splitlines()[-1][:200])
            return self.record(page.content_hash, outcome)
        self.process(base, page.grey, result)
        return self.record(page.content_hash, outcome)

    def _failed(self, page: InputPage, detail: str) -> PageRecord:
        """A page whose processing stopped on a configuration problem: kept, rejected, read again next time."""
        image_path = self.files.keep_page(page.content_hash, page.data, page.suffix) if page.data else None
        existing = self._page(page.content_hash)
        if existing is None or existing["state"] != "rejected":
            self._save_page({"hash": page.content_hash, "source": page.source, "page_in_file": page.index,
                             "image_path": image_path}, "rejected", "failed", detail[:500])
        return self.record(page.content_hash, "new")

    def process(self, base: dict, grey: Any, result: PageResult) -> None:
        """Store a reader's result for a page and act on it (also used after a person typed the code)."""
        page_hash = base["hash"]
        identity = result.identity
        ident = {} if identity is None else {
            "serial": identity.serial, "page_no": identity.page, "fingerprint": identity.fingerprint,
            "instrument_id": identity.instrument_id, "version": identity.version}
        summary = dumps(result.summary())
        if result.status == "rejected":
            self._save_page({**base, **ident}, "rejected", result.reason, "", summary)
            return
        if identity is None or result.reason in ("unidentified", "unregistered"):
            self._save_page({**base, **ident}, "in_review", result.reason, "", summary)
            kind = "identify" if identity is None else "page"
            crop = keep_crop(self.files, page_hash, "page", grey, result.registration, None)
            self._add_item(page_hash, None, None, kind, [result.reason], {}, crop)
            return
        problem = self._instrument_problem(identity)
        if problem is not None:
            self._save_page({**base, **ident}, "rejected", problem, "", summary)
            return
        layout = self.service.layout(identity.fingerprint)
        self._supersede_unread(identity, page_hash)
        duplicate = self._same_sheet_page(identity, page_hash)
        if duplicate is not None:
            if (_same_reading(loads(duplicate["result_json"]), result.summary())
                    or self._matches_decided(duplicate, result)):
                self._save_page({**base, **ident}, "rejected", "duplicate", duplicate["hash"], summary)
                return
            self._save_page({**base, **ident}, "in_review", "conflict", duplicate["hash"], summary)
            crop = keep_crop(self.files, page_hash, "page", grey, result.registration, None)
            self._add_item(page_hash, None, None, "conflict", ["conflict"], {"other_page": duplicate["hash"]}, crop)
            return
        self.service.ensure_response(identity.serial, identity, layout)
        self._save_page({**base, **ident, "sheet_key": identity.serial}, "read", None, "", summary)
        self.record_answers(page_hash, identity.serial, layout, identity.page, grey, result.registration,
                            [a.to_dict() for a in result.answers])
        self._fire(identity, page_hash, result)

    def record_answers(self, page_hash: str, sheet_key: str, layout: Any, page_no: int, grey: Any,
                       registration: Any, answers: list[dict]) -> None:
        """Accepted answers go to the sheet; doubtful ones become review items with a crop."""
        page = layout.page(page_no)
        with write_transaction(self.engine) as connection:
            connection.execute(update(db.pages).where(db.pages.c.hash == page_hash).values(sheet_key=sheet_key))
            self.service.put_answers(connection, sheet_key, {a["question"]: a["value"] for a in answers
                                                             if a["state"] == "accepted"}, "mark", page_hash)
        for answer in answers:
            if answer["state"] == "accepted":
                continue
            spot = page.question(answer["question"])
            crop = keep_crop(self.files, page_hash, answer["question"], grey, registration, spot.block)
            kind = "transcribe" if "transcribe" in answer["reasons"] else "answer"
            self._add_item(page_hash, sheet_key, answer["question"], kind, list(answer["reasons"]),
                           {"marked": list(answer["marked"])}, crop)
        statuses = self.service.sync_sheet(sheet_key)
        for name, status in statuses.items():
            if status == "refused" and name in page.question_names():
                spot = page.question(name)
                crop = keep_crop(self.files, page_hash, name, grey, registration, spot.block)
                self._add_item(page_hash, sheet_key, name, "refused", ["refused"], {}, crop)
        self.refresh_page(page_hash)

    # --- helpers -------------------------------------------------------------------------

    def _instrument_problem(self, identity: PageIdentity) -> str | None:
        if self.expected_instrument and identity.instrument_id != self.expected_instrument:
            return "other_instrument"
        try:
            instrument = self.service.runtime.instrument(identity.instrument_id)
        except NotFound:
            return "instrument_missing"
        if instrument.version != identity.version:
            return "version_mismatch"
        return None

    def _supersede_unread(self, identity: PageIdentity, page_hash: str) -> None:
        """An earlier scan of this sheet page that could not be registered is replaced by this one."""
        p = db.pages.c
        with write_transaction(self.engine) as connection:
            earlier = [r.hash for r in connection.execute(select(db.pages.c.hash).where(and_(
                p.serial == identity.serial, p.page_no == identity.page, p.hash != page_hash,
                p.state == "in_review", p.reason == "unregistered")))]
            for other in earlier:
                for item in connection.execute(select(db.items).where(and_(
                        db.items.c.page_hash == other, db.items.c.state == "open"))).mappings().all():
                    at = now()
                    connection.execute(update(db.items).where(db.items.c.id == item["id"]).values(
                        state="decided", value_json=dumps(None), decided_by="rightsaware", decided_at=at))
                    connection.execute(db.decisions.insert().values(
                        item_id=item["id"], action="superseded", value_json=dumps(page_hash),
                        before_json=dumps({"state": "open"}), who="rightsaware", at=at))
                connection.execute(update(db.pages).where(db.pages.c.hash == other).values(
                    state="rejected", reason="rescanned", detail=page_hash, updated_at=now()))

    def _same_sheet_page(self, identity: PageIdentity, page_hash: str) -> dict | None:
        p = db.pages.c
        with self.engine.connect() as connection:
            rows = connection.execute(select(db.pages).where(and_(
                p.serial == identity.serial, p.page_no == identity.page, p.hash != page_hash,
                p.sheet_key.is_not(None))).order_by(p.created_at)).mappings().all()
        return dict(rows[0]) if rows else None

    def _matches_decided(self, earlier: dict, result: PageResult) -> bool:
        """A new reading with every answer accepted equals what was decided for the earlier scan."""
        if not result.answers or any(a.state != "accepted" for a in result.answers):
            return False
        with self.engine.connect() as connection:
            rows = connection.execute(select(db.answers.c.question, db.answers.c.value_json).where(and_(
                db.answers.c.sheet_key == earlier["sheet_key"], db.answers.c.page_hash == earlier["hash"]))).all()
            open_items = connection.execute(select(db.items.c.id).where(and_(
                db.items.c.page_hash == earlier["hash"], db.items.c.state == "open"))).first()
        if open_items is not None:
            return False
        decided = {row.question: loads(row.value_json) for row in rows}
        return all(decided.get(a.question) == _json_value(a.value) for a in result.answers)

    def _page(self, page_hash: str) -> dict | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(db.pages).where(db.pages.c.hash == page_hash)).mappings().first()
        return dict(row) if row else None

    def _save_page(self, values: dict, state: str, reason: str | None, detail: str = "", result_json: str | None = None) -> None:
        at = now()
        row = {"serial": None, "sheet_key": None, "page_no": None, "fingerprint": None, "instrument_id": None,
               "version": None, **values, "state": state, "reason": reason, "detail": detail,
               "result_json": result_json, "updated_at": at}
        with write_transaction(self.engine) as connection:
            exists = connection.execute(select(db.pages.c.hash).where(db.pages.c.hash == row["hash"])).first()
            if exists:
                connection.execute(update(db.pages).where(db.pages.c.hash == row["hash"]).values(**row))
            else:
                connection.execute(db.pages.insert().values(**row, created_at=at))

    def _add_item(self, page_hash: str, sheet_key: str | None, question: str | None, kind: str, reasons: list[str],
                  proposal: dict, crop: str | None) -> None:
        with write_transaction(self.engine) as connection:
            connection.execute(db.items.insert().values(
                page_hash=page_hash, sheet_key=sheet_key, question=question, kind=kind, reasons=",".join(reasons),
                state="open", proposal_json=dumps(proposal), crop_path=crop, created_at=now()))

    def refresh_page(self, page_hash: str) -> str:
        return refresh_page_state(self.engine, page_hash)

    def _fire(self, identity: PageIdentity, page_hash: str, result: PageResult) -> None:
        from rightsaware.events import InboundEvent

        sheet = self.service.sheet(identity.serial)
        event = InboundEvent(channel="paper", idempotency_key=page_hash, kind="page",
                             response_id=sheet["response_id"] if sheet else None,
                             answers={a.question: _json_value(a.value) for a in result.answers if a.state == "accepted"})
        channel = self.service.runtime.channels.get("paper") if "paper" in self.service.runtime.channels else None
        self.service.runtime.hook.inbound_received(event=event, channel=channel, runtime=self.service.runtime)

    def record(self, page_hash: str, outcome: str) -> PageRecord:
        return page_record(self.engine, page_hash, outcome)


def refresh_page_state(engine: Any, page_hash: str) -> str:
    """``in_review`` while a page has open items; then ``done`` (or ``read`` if it never had any)."""
    with write_transaction(engine) as connection:
        row = connection.execute(select(db.pages.c.state).where(db.pages.c.hash == page_hash)).first()
        if row is None or row.state == "rejected":
            return row.state if row else "missing"
        states = [r.state for r in connection.execute(select(db.items.c.state).where(db.items.c.page_hash == page_hash))]
        state = "read" if not states else ("in_review" if "open" in states else "done")
        connection.execute(update(db.pages).where(db.pages.c.hash == page_hash).values(state=state, updated_at=now()))
        return state


def page_record(engine: Any, page_hash: str, outcome: str) -> PageRecord:
    with engine.connect() as connection:
        row = connection.execute(select(db.pages).where(db.pages.c.hash == page_hash)).mappings().first()
        open_items = {r.question: r for r in connection.execute(select(db.items).where(and_(
            db.items.c.page_hash == page_hash)))}
        stored = {r.question: r for r in connection.execute(select(db.answers).where(
            db.answers.c.page_hash == page_hash))}
    result = loads(row["result_json"]) or {}
    identity = None
    if row["serial"]:
        identity = {"instrument": row["instrument_id"], "version": row["version"], "page": row["page_no"],
                    "serial": row["serial"], "layout": row["fingerprint"]}
    answers = []
    for answer in result.get("answers", []):
        name = answer["question"]
        item = open_items.get(name)
        entry = {"question": name, "state": "accepted" if answer["state"] == "accepted" else "in_review",
                 "value": answer["value"], "reasons": answer["reasons"]}
        if item is not None and item.state == "decided":
            entry.update(state="reviewed", value=loads(item.value_json), decided_by=item.decided_by)
        if name in stored:
            entry["stored"] = stored[name].status
        answers.append(entry)
    return PageRecord(file=row["source"], page=row["page_in_file"] + 1, hash=page_hash, outcome=outcome,
                      state=row["state"], reason=row["reason"], detail=row["detail"] or "", identity=identity,
                      answers=answers)


def _json_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


def _same_reading(first: dict | None, second: dict) -> bool:
    """Two readings of one sheet page agree: every question has the same state, value and marks."""
    if not first or not first.get("answers"):
        return False

    def key(result: dict) -> dict:
        return {a["question"]: (a["state"], dumps(a["value"]), tuple(a["marked"]), tuple(a["reasons"]))
                for a in result["answers"]}

    if key(first) != key(second):
        return False
    inks = {a["question"]: a["ink"] for a in first["answers"] if not a["bubbles"]}
    for answer in second["answers"]:
        if answer["question"] in inks:
            a, b = inks[answer["question"]], answer["ink"]
            if abs(a - b) > 0.35 * max(a, b, 1e-9) and max(a, b) > 0.001:
                return False
    return True

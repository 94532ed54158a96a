"""People's rights on paper: erasure, retention of scans, withdrawal noted on a sheet, audit of views.

* :func:`erase_responses` — for the core's ``respondent_erased`` hook: deletes the scanned
  page images and crops of the person's sheets, and every paper row that links a page or
  sheet to their responses (pages, review items and decisions, answers on their way,
  batch entries, the sheet itself) and forms printed for them. Idempotent.
* :func:`purge` — for ``rightsaware purge`` (the channel's ``purge_personal_data``): scan
  images and crops of pages older than ``retention_scans_days`` are deleted (the page rows
  stay, without their image, so the batch still reconciles); after answers were deleted by
  retention, paper rows that point to responses which no longer exist go too.
* :func:`withdraw_sheet` — a reviewer read on a page that the person withdraws consent:
  the core's :func:`rightsaware.privacy.withdraw` leaves their answers out of every later
  report and export; the sheet's open review items are closed as ``withdrawn``.
* :func:`audit_scan_view` — every scan image shown (handwriting is personal data) goes
  into the audit log as ``scan.view``, by response when known.
"""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterable, Sequence
from typing import Any

from rightsaware import audit
from sqlalchemy import and_, delete, or_, select, update

from . import storage as db
from .storage import dumps, now, write_transaction
from .texts import N_, PaperError

SCAN_VIEW = "scan.view"
DUPLICATE_REASONS = ("duplicate", "rescanned", "unregistered", "conflict")
MSG_NO_SHEET = N_("This page is not linked to a sheet with answers yet. Type in its code or its answers first, "
                  "or reject it.")
MSG_UNKNOWN_SHEET = N_("There is no scanned sheet {serial}. Check the code printed at the bottom of the page.")


def _chunks(values: Sequence[Any], size: int = 500) -> Iterable[list[Any]]:
    for start in range(0, len(values), size):
        yield list(values[start : start + size])


# --- erasure -------------------------------------------------------------------------------


def erase_responses(service: Any, response_ids: Sequence[str]) -> dict[str, int]:
    """Delete every paper trace of these responses; counts of what went (all 0 the second time)."""
    if not response_ids:
        return {"sheets": 0, "pages": 0, "files": 0}
    s, p = db.sheets.c, db.pages.c
    with service.engine.connect() as connection:
        sheets = [dict(r) for chunk in _chunks(list(response_ids))
                  for r in connection.execute(select(db.sheets).where(s.response_id.in_(chunk))).mappings()]
        keys = [sheet["sheet_key"] for sheet in sheets]
        originals = [sheet["serial"] for sheet in sheets if sheet["sheet_key"] == sheet["serial"]]
        pages = []
        for chunk in _chunks(keys):
            pages += [dict(r) for r in connection.execute(select(p.hash, p.image_path).where(p.sheet_key.in_(chunk)))
                      .mappings()]
        for chunk in _chunks(originals):  # other scans of the same sheet pages, not linked to a sheet
            pages += [dict(r) for r in connection.execute(select(p.hash, p.image_path).where(and_(
                p.serial.in_(chunk), p.sheet_key.is_(None), p.reason.in_(DUPLICATE_REASONS)))).mappings()]
    hashes = list(dict.fromkeys(page["hash"] for page in pages))
    files = _delete_images(service, pages)
    files += _delete_printed(service, sheets)
    with write_transaction(service.engine) as connection:
        _delete_rows(connection, hashes, keys)
        for chunk in _chunks(list(response_ids)):
            connection.execute(delete(db.sheets).where(s.response_id.in_(chunk)))
    return {"sheets": len(sheets), "pages": len(hashes), "files": files}


def _delete_images(service: Any, pages: Iterable[dict]) -> int:
    """Page images and the page's crop folder; how many files were removed."""
    files = service.files
    removed = 0
    for page in pages:
        if page.get("image_path"):
            path = files.path(page["image_path"])
            if path.exists():
                path.unlink()
                removed += 1
        crops = files.root / "crops" / page["hash"][:2] / page["hash"]
        if crops.is_dir():
            removed += sum(1 for f in crops.iterdir() if f.is_file())
            shutil.rmtree(crops)
    return removed


def _delete_printed(service: Any, sheets: Iterable[dict]) -> int:
    removed = 0
    folder = service.files.root / "printed"
    for sheet in sheets:
        path = folder / f"{sheet['instrument_id']}-{sheet['serial']}.pdf"
        if sheet["sheet_key"] == sheet["serial"] and path.exists():
            path.unlink()
            removed += 1
    return removed


def _delete_rows(connection: Any, hashes: Sequence[str], keys: Sequence[str]) -> None:
    i = db.items.c
    for chunk in _chunks(list(hashes)):
        item_ids = list(connection.scalars(select(i.id).where(i.page_hash.in_(chunk))))
        for ids in _chunks(item_ids):
            connection.execute(delete(db.decisions).where(db.decisions.c.item_id.in_(ids)))
        connection.execute(delete(db.items).where(i.page_hash.in_(chunk)))
        connection.execute(delete(db.answers).where(db.answers.c.page_hash.in_(chunk)))
        connection.execute(delete(db.batch_pages).where(db.batch_pages.c.page_hash.in_(chunk)))
        connection.execute(delete(db.pages).where(db.pages.c.hash.in_(chunk)))
    for chunk in _chunks(list(keys)):
        item_ids = list(connection.scalars(select(i.id).where(i.sheet_key.in_(chunk))))
        for ids in _chunks(item_ids):
            connection.execute(delete(db.decisions).where(db.decisions.c.item_id.in_(ids)))
        connection.execute(delete(db.items).where(i.sheet_key.in_(chunk)))
        connection.execute(delete(db.answers).where(db.answers.c.sheet_key.in_(chunk)))


# --- retention -----------------------------------------------------------------------------


def purge(service: Any, kind: str, before: dt.datetime, dry_run: bool) -> int:
    """The channel's part of ``rightsaware purge``: scans older than ``before``; orphaned sheets."""
    if kind == "scans":
        return _purge_scans(service, before, dry_run)
    if kind == "answers":  # runs after the store deleted old and withdrawn responses alike
        return _purge_orphans(service, dry_run)
    return 0


def _purge_scans(service: Any, before: dt.datetime, dry_run: bool) -> int:
    p = db.pages.c
    with service.engine.connect() as connection:
        pages = [dict(r) for r in connection.execute(select(p.hash, p.image_path).where(and_(
            p.created_at < before, p.image_path.is_not(None)))).mappings()]
    if dry_run or not pages:
        return len(pages)
    _delete_images(service, pages)
    hashes = [page["hash"] for page in pages]
    with write_transaction(service.engine) as connection:
        for chunk in _chunks(hashes):
            connection.execute(update(db.pages).where(p.hash.in_(chunk)).values(image_path=None, updated_at=now()))
            connection.execute(update(db.items).where(db.items.c.page_hash.in_(chunk)).values(crop_path=None))
    return len(pages)


def _purge_orphans(service: Any, dry_run: bool) -> int:
    """Sheets whose response was deleted by retention, with their pages, images and rows."""
    from rightsaware.store import tables

    s = db.sheets.c
    with service.engine.connect() as connection:
        linked = list(connection.scalars(select(s.response_id).where(s.response_id.is_not(None)).distinct()))
        existing: set[str] = set()
        for chunk in _chunks(linked):
            existing |= set(connection.scalars(select(tables.responses.c.id).where(tables.responses.c.id.in_(chunk))))
    gone = [rid for rid in linked if rid not in existing]
    if dry_run or not gone:
        return len(gone)
    return erase_responses(service, gone)["sheets"]


# --- withdrawal ----------------------------------------------------------------------------


def sheet_of_item(service: Any, item: Any) -> dict:
    """The sheet (with a response) a review item belongs to, or a PaperError saying what to do first."""
    for key in (item.sheet_key, item.page.get("sheet_key"), item.page.get("serial")):
        sheet = service.sheet(key) if key else None
        if sheet is not None and sheet["response_id"]:
            return sheet
    raise PaperError(MSG_NO_SHEET)


def withdraw_sheet(service: Any, sheet: dict, *, who: str, actor: str) -> Any:
    """Withdraw the sheet's response through the core; close its open items. Safe to repeat."""
    from rightsaware.privacy import withdraw

    report = withdraw(service.runtime, response_id=sheet["response_id"], channel="paper", actor=actor)
    i = db.items.c
    with service.engine.connect() as connection:
        hashes = list(connection.scalars(select(db.pages.c.hash).where(db.pages.c.sheet_key == sheet["sheet_key"])))
        open_items = connection.execute(select(i.id, i.page_hash, i.state, i.value_json, i.decided_by).where(and_(
            i.state == "open", or_(i.sheet_key == sheet["sheet_key"], i.page_hash.in_(hashes))))).all()
    at = now()
    with write_transaction(service.engine) as connection:
        for row in open_items:
            connection.execute(db.decisions.insert().values(
                item_id=row.id, action="withdrawn", value_json=dumps(sheet["sheet_key"]), who=who, at=at,
                before_json=dumps({"state": row.state, "value": row.value_json, "by": row.decided_by})))
            connection.execute(update(db.items).where(i.id == row.id).values(
                state="decided", value_json=dumps(None), decided_by=who, decided_at=at))
    from .scanning import refresh_page_state

    for page_hash in {*hashes, *(row.page_hash for row in open_items)}:
        refresh_page_state(service.engine, page_hash)
    return report


def sheet_by_serial(service: Any, serial: str) -> dict:
    sheet = service.sheet(serial.strip())
    if sheet is None or not sheet["response_id"]:
        raise PaperError(MSG_UNKNOWN_SHEET, serial=serial)
    return sheet


def is_withdrawn(service: Any, response_id: str | None) -> bool:
    from rightsaware.privacy import withdrawn_responses

    return bool(response_id) and response_id in withdrawn_responses(service.runtime.store, [response_id])


# --- audit ---------------------------------------------------------------------------------


def audit_scan_view(service: Any, item: Any, *, actor: str, which: str = "item") -> None:
    """Record that a person saw a scan image of this item (by response when the sheet has one)."""
    sheet = service.sheet(item.sheet_key) if item.sheet_key else None
    detail = {"item": item.id, "which": which}
    if sheet and sheet.get("response_id"):
        audit.record(service.runtime.store, actor, SCAN_VIEW, subject_kind="response",
                     subject_id=sheet["response_id"], detail=detail)
    else:
        audit.record(service.runtime.store, actor, SCAN_VIEW, subject_kind="file", subject_id=item.page_hash,
                     detail=detail)

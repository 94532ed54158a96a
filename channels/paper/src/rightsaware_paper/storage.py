"""The paper channel's tables (SQLAlchemy Core) and files, next to the core store.

Tables: layouts printed (JSON by fingerprint), sheets (a serial → one response), batches
and the pages in each, pages (by content hash, with their state), review items, the
decisions taken on them (who, when, before → after; never overwritten) and each sheet's
answers on their way into the store. They are created on the core store's engine with
``create_all`` (idempotent); they should become an Alembic migration of the core store.

Files live under ``<data_dir>/paper/``: ``pages/`` (every input page, by content hash,
write-once), ``crops/`` (question crops for review) and ``printed/``.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
)
from rightsaware.response import utcnow
from rightsaware.store.engine import write_transaction
from rightsaware.store.tables import UTCDateTime

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s", "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s", "uq": "uq_%(table_name)s_%(column_0_N_name)s",
})


def _at(name: str, nullable: bool = False) -> Column:
    return Column(name, UTCDateTime(), nullable=nullable)


layouts = Table(
    "paper_layouts", metadata,
    Column("fingerprint", String(16), primary_key=True),
    Column("instrument_id", String(128), nullable=False),
    Column("version", String(128), nullable=False),
    Column("languages", String(32), nullable=False),
    Column("large_print", Boolean(), nullable=False),
    Column("pages", Integer(), nullable=False),
    Column("layout_json", Text(), nullable=False),
    _at("created_at"),
)

sheets = Table(
    "paper_sheets", metadata,
    Column("sheet_key", String(64), primary_key=True),  # the serial, or serial~n for a copy filled by someone else
    Column("serial", String(32), nullable=False),
    Column("instrument_id", String(128), nullable=False),
    Column("version", String(128), nullable=False),
    Column("fingerprint", String(16), nullable=False),
    Column("language", String(35)),
    Column("response_id", String(128)),
    Column("printed", Boolean(), nullable=False),
    _at("created_at"),
    Index(None, "serial"),
)

batches = Table(
    "paper_batches", metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("name", String(200), nullable=False),
    _at("started_at"),
    _at("finished_at", nullable=True),
    Column("summary_json", Text()),
)

pages = Table(
    "paper_pages", metadata,
    Column("hash", String(64), primary_key=True),
    Column("state", String(16), nullable=False),  # read | in_review | rejected | done
    Column("reason", String(40)),
    Column("detail", Text()),
    Column("source", Text(), nullable=False),
    Column("page_in_file", Integer(), nullable=False),
    Column("image_path", Text()),
    Column("serial", String(32)),
    Column("sheet_key", String(64)),
    Column("page_no", Integer()),
    Column("fingerprint", String(16)),
    Column("instrument_id", String(128)),
    Column("version", String(128)),
    Column("result_json", Text()),
    _at("created_at"),
    _at("updated_at"),
    Index(None, "serial", "page_no"),
    Index(None, "state"),
    Index(None, "sheet_key"),
)

batch_pages = Table(
    "paper_batch_pages", metadata,
    Column("batch_id", Integer(), ForeignKey("paper_batches.id"), nullable=False),
    Column("position", Integer(), nullable=False),
    Column("page_hash", String(64), nullable=False),
    Column("source", Text(), nullable=False),
    Column("page_in_file", Integer(), nullable=False),
    Column("outcome", String(16), nullable=False),  # new | seen | retried
    PrimaryKeyConstraint("batch_id", "position"),
)

items = Table(
    "paper_items", metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("page_hash", String(64), ForeignKey("paper_pages.hash"), nullable=False),
    Column("sheet_key", String(64)),
    Column("question", String(200)),  # None for a whole-page item
    Column("kind", String(16), nullable=False),  # answer | transcribe | refused | page | identify | conflict
    Column("reasons", String(200), nullable=False),
    Column("state", String(16), nullable=False),  # open | decided
    Column("proposal_json", Text()),
    Column("crop_path", Text()),
    Column("value_json", Text()),
    Column("decided_by", String(200)),
    _at("decided_at", nullable=True),
    _at("created_at"),
    Index(None, "state", "id"),
    Index(None, "page_hash"),
)

decisions = Table(
    "paper_decisions", metadata,
    Column("id", Integer(), primary_key=True, autoincrement=True),
    Column("item_id", Integer(), ForeignKey("paper_items.id"), nullable=False),
    Column("action", String(32), nullable=False),
    Column("value_json", Text()),
    Column("before_json", Text()),
    Column("who", String(200), nullable=False),
    _at("at"),
)

answers = Table(
    "paper_answers", metadata,
    Column("sheet_key", String(64), nullable=False),
    Column("question", String(200), nullable=False),
    Column("value_json", Text()),
    Column("source", String(16), nullable=False),  # mark | review | keyed
    Column("page_hash", String(64), nullable=False),
    Column("status", String(16), nullable=False),  # pending | stored | not_asked | refused | unanswered
    Column("message", Text()),
    _at("updated_at"),
    PrimaryKeyConstraint("sheet_key", "question"),
)

_CREATED: set[int] = set()
_LOCK = threading.Lock()


def ensure_tables(engine: Engine) -> None:
    """Create the paper tables once per engine (``create_all`` skips tables that exist)."""
    with _LOCK:
        if id(engine) in _CREATED:
            return
        metadata.create_all(engine, checkfirst=True)
        _CREATED.add(id(engine))


def dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class Files:
    """Page images and crops under ``<data_dir>/paper``, by content hash, never overwritten."""

    def __init__(self, data_dir: str | Path) -> None:
        self.root = Path(data_dir) / "paper"

    def keep_page(self, content_hash: str, data: bytes, suffix: str) -> str:
        relative = Path("pages") / content_hash[:2] / f"{content_hash}{suffix or '.bin'}"
        self._write_once(relative, data)
        return relative.as_posix()

    def keep_crop(self, page_hash: str, name: str, png: bytes) -> str:
        relative = Path("crops") / page_hash[:2] / page_hash / f"{name}.png"
        self._write_once(relative, png)
        return relative.as_posix()

    def path(self, relative: str) -> Path:
        path = (self.root / relative).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError("path outside the paper folder")
        return path

    def read(self, relative: str) -> bytes:
        return self.path(relative).read_bytes()

    def _write_once(self, relative: Path, data: bytes) -> None:
        target = self.root / relative
        if target.exists():
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(target.name + ".part")
        temporary.write_bytes(data)
        temporary.replace(target)


def now():  # noqa: ANN201 - datetime
    return utcnow()


__all__ = ["Files", "answers", "batch_pages", "batches", "decisions", "dumps", "ensure_tables", "items", "layouts",
           "loads", "metadata", "now", "pages", "sheets", "write_transaction"]

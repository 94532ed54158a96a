"""The review queue: doubtful answers, handwriting, pages that could not be read, and decisions.

Every decision is kept as an event (who, when, what it was before and after) in
``paper_decisions``; the machine's reading in ``paper_pages.result_json`` is never
changed. A decided answer goes into the sheet and through the engine like any other, so
it is validated the same way: a value the survey does not allow is refused with the
engine's message and the item stays open.

Actions by item kind:

* ``answer``, ``refused``, ``transcribe``: ``choose`` (a choice code, a list of codes or
  typed text), ``blank`` (nothing was meant) or ``unreadable`` (no answer is recorded);
* ``page`` (could not be lined up): ``keyed`` (answers typed from the page image) or ``reject``;
* ``identify`` (code unreadable): ``identify`` (the code printed on the page) or ``reject``;
* ``conflict`` (a second, different scan of a sheet page): ``same_sheet`` or ``different_person``.
"""

from __future__ import annotations

from typing import Any

from attrs import frozen
from rightsaware.errors import NotFound
from rightsaware.flow import AnswerError
from sqlalchemy import and_, func, select, update

from . import storage as db
from .crops import crop_from_page, decode_kept, registration_from_summary
from .identity import BadCode, normalise_code, parse_code
from .scanning import Scanner, refresh_page_state
from .service import PaperService
from .storage import dumps, loads, now, write_transaction
from .texts import DOMAIN, N_, PaperError

CORE_DOMAIN = "rightsaware"
ACTIONS = {
    "answer": ("choose", "blank", "unreadable"),
    "refused": ("choose", "blank", "unreadable"),
    "transcribe": ("choose", "blank", "unreadable"),
    "page": ("keyed", "reject"),
    "identify": ("identify", "reject"),
    "conflict": ("same_sheet", "different_person"),
}
MSG_BAD_ACTION = N_("'{action}' is not a decision for this item; use one of: {actions}.")
MSG_DECIDED = N_("This item was already decided by {who}.")
MSG_BAD_CODE = N_("That code is not right. Type it exactly as printed at the bottom of the page.")
MSG_NO_WHO = N_("Give your name so that the decision can be recorded.")
MSG_NO_ITEM = N_("There is no review item {id}.")


class ReviewError(PaperError):
    """A decision that cannot be taken; ``template`` and ``params`` translate the message."""

    def __init__(self, template: str, custom: bool = False, domain: str = DOMAIN, **params: Any) -> None:
        super().__init__(template, domain=domain, **params)
        self.custom = custom  # the instrument's own constraint message, already translated

    def translated(self, messages: Any) -> str:
        return self.message if self.custom else super().translated(messages)


@frozen
class Item:
    id: int
    page_hash: str
    sheet_key: str | None
    question: str | None
    kind: str
    reasons: tuple[str, ...]
    state: str
    proposal: dict
    crop_path: str | None
    value: Any
    decided_by: str | None
    decided_at: Any
    created_at: Any
    page: dict

    @property
    def instrument_id(self) -> str | None:
        return self.page.get("instrument_id")


class ReviewQueue:
    def __init__(self, service: PaperService) -> None:
        self.service = service
        self.engine = service.engine

    # --- reading --------------------------------------------------------------------------

    def items(self, state: str = "open", limit: int = 200, offset: int = 0) -> list[Item]:
        query = select(db.items).order_by(db.items.c.id).limit(limit).offset(offset)
        if state:
            query = query.where(db.items.c.state == state)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [self._item(dict(r)) for r in rows]

    def count(self, state: str = "open") -> int:
        with self.engine.connect() as connection:
            return connection.execute(select(func.count()).select_from(db.items).where(
                db.items.c.state == state)).scalar_one()

    def item(self, item_id: int) -> Item:
        with self.engine.connect() as connection:
            row = connection.execute(select(db.items).where(db.items.c.id == item_id)).mappings().first()
        if row is None:
            raise ReviewError(MSG_NO_ITEM, id=item_id)
        return self._item(dict(row))

    def next_open(self, after: int | None = None) -> Item | None:
        query = select(db.items).where(db.items.c.state == "open").order_by(db.items.c.id).limit(1)
        if after is not None:
            query = query.where(db.items.c.id > after)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        if row is None and after is not None:
            return self.next_open(None)
        return self._item(dict(row)) if row else None

    def decisions(self, item_id: int) -> list[dict]:
        with self.engine.connect() as connection:
            rows = connection.execute(select(db.decisions).where(db.decisions.c.item_id == item_id).order_by(
                db.decisions.c.id)).mappings().all()
        return [{**dict(r), "value": loads(r["value_json"]), "before": loads(r["before_json"])} for r in rows]

    def crop(self, item: Item) -> bytes | None:
        """The item's image, made again from the kept page when needed."""
        path = item.crop_path
        if path is None or not self.service.files.path(path).exists():
            layout = self.service.layout(item.page["fingerprint"]) if item.page.get("fingerprint") else None
            rect = None
            if item.question and layout is not None:
                rect = layout.page(item.page["page_no"]).question(item.question).block
            path = crop_from_page(self.service.files, item.page, rect, item.question or "page")
            if path is None:
                return None
            with write_transaction(self.engine) as connection:
                connection.execute(update(db.items).where(db.items.c.id == item.id).values(crop_path=path))
        return self.service.files.read(path)

    def other_page_image(self, item: Item) -> bytes | None:
        """For a conflict: a preview of the earlier scan of the same sheet page."""
        other = item.proposal.get("other_page")
        if not other:
            return None
        with self.engine.connect() as connection:
            row = connection.execute(select(db.pages).where(db.pages.c.hash == other)).mappings().first()
        if row is None:
            return None
        path = crop_from_page(self.service.files, dict(row), None, "page")
        return None if path is None else self.service.files.read(path)

    def _item(self, row: dict) -> Item:
        with self.engine.connect() as connection:
            page = connection.execute(select(db.pages).where(db.pages.c.hash == row["page_hash"])).mappings().first()
        return Item(row["id"], row["page_hash"], row["sheet_key"], row["question"], row["kind"],
                    tuple(r for r in row["reasons"].split(",") if r), row["state"], loads(row["proposal_json"]) or {},
                    row["crop_path"], loads(row["value_json"]), row["decided_by"], row["decided_at"],
                    row["created_at"], dict(page) if page else {})

    # --- deciding -------------------------------------------------------------------------

    def decide(self, item_id: int, action: str, value: Any = None, *, who: str) -> Item:
        who = (who or "").strip()
        if not who:
            raise ReviewError(MSG_NO_WHO)
        item = self.item(item_id)
        allowed = ACTIONS[item.kind]
        if action not in allowed:
            raise ReviewError(MSG_BAD_ACTION, action=action, actions=", ".join(allowed))
        question_item = item.question is not None
        if item.state != "open" and not question_item:
            raise ReviewError(MSG_DECIDED, who=item.decided_by or "?")
        if question_item:
            stored = self._decide_answer(item, action, value)
        else:
            stored = getattr(self, f"_decide_{item.kind}")(item, action, value, who)
        at = now()
        with write_transaction(self.engine) as connection:
            connection.execute(db.decisions.insert().values(
                item_id=item.id, action=action, value_json=dumps(stored), who=who, at=at,
                before_json=dumps({"state": item.state, "value": item.value, "by": item.decided_by})))
            connection.execute(update(db.items).where(db.items.c.id == item.id).values(
                state="decided", value_json=dumps(stored), decided_by=who, decided_at=at))
        if item.sheet_key:
            self.service.sync_sheet(item.sheet_key)
        refresh_page_state(self.engine, item.page_hash)
        if item.kind == "identify" and action == "identify":
            self._after_identify(item, stored)
        return self.item(item.id)

    def _check(self, item: Item, question_name: str, raw: Any) -> Any:
        """Parse and validate a value as the engine would; raise ReviewError with its message."""
        engine = self.service.interviewer.engine(item.page["instrument_id"])
        question = engine.question(question_name)
        if isinstance(raw, list):
            raw = tuple(raw)
        value = engine.parse(question, raw)
        if not isinstance(value, AnswerError) and value is not None and item.sheet_key:
            sheet = self.service.sheet(item.sheet_key)
            try:
                response = self.service.interviewer.load(sheet["response_id"])
                value_error = engine.validate(question, value, engine.values(response))
            except NotFound:
                value_error = None
            if value_error is not None:
                value = value_error
        if isinstance(value, AnswerError):
            if value.custom:
                from rightsaware.i18n import localize

                from rightsaware.i18n import current_messages

                language = current_messages().locale
                instrument = self.service.runtime.instrument(item.page["instrument_id"])
                text = localize(instrument, self.service.runtime.messages(language)).constraint_message(question)
                raise ReviewError(text or value.custom, custom=True)
            raise ReviewError(value.message, domain=CORE_DOMAIN, **value.params)
        return jsonable(value)

    def _decide_answer(self, item: Item, action: str, value: Any) -> Any:
        with write_transaction(self.engine) as connection:
            if action == "unreadable":
                connection.execute(db.answers.delete().where(and_(
                    db.answers.c.sheet_key == item.sheet_key, db.answers.c.question == item.question)))
                return None
        stored = None if action == "blank" else self._check(item, item.question, value)
        with write_transaction(self.engine) as connection:
            self.service.put_answer(connection, item.sheet_key, item.question, stored, "review", item.page_hash)
        return stored

    def _decide_page(self, item: Item, action: str, value: Any, who: str) -> Any:
        if action == "reject":
            return self._reject_page(item, "rejected_by_reviewer")
        values = dict(value or {})
        layout = self.service.layout(item.page["fingerprint"])
        names = [spot.name for spot in layout.page(item.page["page_no"]).questions]
        checked = {name: self._check(item, name, values.get(name)) for name in names if values.get(name) not in (None, "")}
        serial = item.page["serial"]
        identity = _identity(item.page)
        self.service.ensure_response(serial, identity, layout)
        with write_transaction(self.engine) as connection:
            connection.execute(update(db.pages).where(db.pages.c.hash == item.page_hash).values(sheet_key=serial))
            connection.execute(update(db.items).where(db.items.c.id == item.id).values(sheet_key=serial))
            for name, stored in checked.items():
                self.service.put_answer(connection, serial, name, stored, "keyed", item.page_hash)
        self.service.sync_sheet(serial)
        return checked

    def _decide_identify(self, item: Item, action: str, value: Any, who: str) -> Any:
        if action == "reject":
            return self._reject_page(item, "rejected_by_reviewer")
        try:
            identity, ok = parse_code(str(value or ""), self.service.key)
        except BadCode:
            raise ReviewError(MSG_BAD_CODE) from None
        if not ok and not self.service.serial_known(identity.serial):
            raise ReviewError(MSG_BAD_CODE)
        return normalise_code(str(value))

    def _after_identify(self, item: Item, code: str) -> None:
        identity, _ok = parse_code(code, self.service.key)
        grey = decode_kept(self.service.files.read(item.page["image_path"]))
        scanner = Scanner(self.service)
        result = scanner.reader.read(grey, identity=identity)
        base = {"hash": item.page_hash, "source": item.page["source"], "page_in_file": item.page["page_in_file"],
                "image_path": item.page["image_path"]}
        scanner.process(base, grey, result)

    def _decide_conflict(self, item: Item, action: str, value: Any, who: str) -> Any:
        if action == "same_sheet":
            return self._reject_page(item, "duplicate")
        serial = item.page["serial"]
        with self.engine.connect() as connection:
            copies = connection.execute(select(func.count()).select_from(db.sheets).where(
                db.sheets.c.serial == serial)).scalar_one()
        sheet_key = f"{serial}~{copies + 1}"
        layout = self.service.layout(item.page["fingerprint"])
        self.service.ensure_response(sheet_key, _identity(item.page), layout)
        summary = loads(item.page["result_json"]) or {}
        grey = decode_kept(self.service.files.read(item.page["image_path"]))
        Scanner(self.service).record_answers(item.page_hash, sheet_key, layout, item.page["page_no"], grey,
                                             registration_from_summary(summary), summary.get("answers", []))
        return sheet_key

    def _reject_page(self, item: Item, reason: str) -> str:
        with write_transaction(self.engine) as connection:
            connection.execute(update(db.pages).where(db.pages.c.hash == item.page_hash).values(
                state="rejected", reason=reason, updated_at=now()))
        return reason


def jsonable(value: Any) -> Any:
    """An engine value as JSON the engine parses back: codes, lists of codes, numbers, ISO dates, text."""
    if isinstance(value, tuple):
        return list(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if value is None or isinstance(value, (bool, int, str)):
        return value
    return str(value)  # Decimal


def _identity(page: dict):  # noqa: ANN202 - PageIdentity
    from .identity import PageIdentity

    layout_pages = page.get("pages")
    return PageIdentity(page["instrument_id"], page["version"], page["fingerprint"], page["page_no"],
                        layout_pages or page["page_no"], page["serial"])

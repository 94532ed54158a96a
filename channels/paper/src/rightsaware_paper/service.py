"""The paper channel's operations on a runtime: print forms, look up layouts, keep sheets' answers.

:class:`PaperService` is what the CLI, the review pages and the scanner share. Answers
reach the store only through :class:`rightsaware.interview.Interviewer` (the same
validation as every channel); an answer still in review is held back, and
:meth:`PaperService.sync_sheet` submits whatever a sheet has that the response lacks,
again after every review decision, so skip logic always sees the earlier answers.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from rightsaware.errors import NotFound
from rightsaware.flow import MSG_REQUIRED, AnswerError, as_choice_codes
from rightsaware.interview import Interviewer
from rightsaware.settings import ensure_secret_key
from sqlalchemy import and_, bindparam, select, update

from . import storage as db
from .compose import Composer
from .identity import PageIdentity, qr_key
from .layout import Layout
from .pdf import PrintedForms, render_forms
from .storage import dumps, loads, now, write_transaction
from .texts import N_, FormText, PaperError

CHANNEL = "paper"
MAX_COPIES = 10000
MSG_COPIES = N_("The number of copies must be between 1 and {most}.")
MSG_ONE_COPY = N_("A form printed for one response is printed once.")
MSG_TOO_MANY = N_("Choose one or two languages, for example cy+en.")
MSG_GONE = N_("This question is not in the survey any more.")
MSG_NOT_IN_INSTRUMENT = N_("The survey {instrument} is not available in {language}; it has {languages}.")


class PaperService:
    """Printing, layouts, sheets and their answers for one runtime."""

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.engine = runtime.store.engine
        db.ensure_tables(self.engine)
        self.files = db.Files(runtime.settings.data_dir)
        self.interviewer = Interviewer(runtime)
        self._layouts: dict[str, Layout] = {}

    @functools.cached_property
    def key(self) -> bytes:
        return qr_key(ensure_secret_key(self.runtime.settings))

    # --- printing -----------------------------------------------------------------------

    def languages_for(self, instrument: Any, option: str) -> tuple[str, ...]:
        from rightsaware.i18n import bilingual_order, normalize_language

        wanted = [normalize_language(part) for part in option.replace(",", "+").split("+") if part.strip()]
        wanted = list(dict.fromkeys(wanted))
        if not 1 <= len(wanted) <= 2:
            raise PaperError(MSG_TOO_MANY)
        for language in wanted:
            if language not in instrument.languages:
                raise PaperError(MSG_NOT_IN_INSTRUMENT, instrument=instrument.id, language=language,
                                 languages="+".join(instrument.languages))
        return tuple(bilingual_order(wanted, self.runtime.settings.bilingual_order))

    @staticmethod
    def default_languages(instrument: Any) -> str:
        """Welsh or Gaelic with English when the survey has them, else its first language."""
        for celtic in ("cy", "gd"):
            if celtic in instrument.languages:
                return f"{celtic}+en" if "en" in instrument.languages else celtic
        return instrument.languages[0]

    def build_layout(self, instrument_id: str, languages: Sequence[str], *, large_print: bool = False,
                     stacked: bool = False) -> Layout:
        instrument = self.runtime.instrument(instrument_id)
        texts = {lang: FormText(self.runtime, instrument, lang) for lang in languages}
        return Composer(instrument, texts, languages, large_print=large_print, stacked=stacked).build()

    def print_forms(self, instrument_id: str, language_option: str, *, copies: int = 1, large_print: bool = False,
                    stacked: bool = False, response_id: str | None = None) -> PrintedForms:
        """Lay out, remember the layout and the serials, and return the PDF.

        ``response_id`` links a single printed copy to an existing response (an invitation
        on paper), so its scanned answers continue that response.
        """
        if not 1 <= copies <= MAX_COPIES:
            raise PaperError(MSG_COPIES, most=MAX_COPIES)
        if response_id is not None and copies != 1:
            raise PaperError(MSG_ONE_COPY)
        instrument = self.runtime.instrument(instrument_id)
        languages = self.languages_for(instrument, language_option)
        layout = self.build_layout(instrument_id, languages, large_print=large_print, stacked=stacked)
        title = FormText(self.runtime, instrument, languages[0]).title()
        forms = render_forms(layout, self.key, copies=copies, title=title)
        self.save_layout(layout)
        with write_transaction(self.engine) as connection:
            at = now()
            connection.execute(db.sheets.insert(), [
                {"sheet_key": serial, "serial": serial, "instrument_id": layout.instrument_id,
                 "version": layout.version, "fingerprint": layout.fingerprint, "language": languages[0],
                 "response_id": response_id, "printed": True, "created_at": at}
                for serial in forms.serials
            ])
        return forms

    def save_layout(self, layout: Layout) -> None:
        from rightsaware.store.engine import insert_ignoring_duplicates

        with write_transaction(self.engine) as connection:
            insert_ignoring_duplicates(connection, db.layouts, {
                "fingerprint": layout.fingerprint, "instrument_id": layout.instrument_id, "version": layout.version,
                "languages": "+".join(layout.languages), "large_print": layout.large_print,
                "pages": layout.page_count, "layout_json": layout.to_json(), "created_at": now(),
            })
        self._layouts[layout.fingerprint] = layout

    def layout(self, fingerprint: str) -> Layout | None:
        if fingerprint not in self._layouts:
            with self.engine.connect() as connection:
                text = connection.execute(select(db.layouts.c.layout_json).where(
                    db.layouts.c.fingerprint == fingerprint)).scalar()
            if text is None:
                return None
            self._layouts[fingerprint] = Layout.from_json(text)
        return self._layouts[fingerprint]

    def serial_known(self, serial: str) -> bool:
        with self.engine.connect() as connection:
            return connection.execute(select(db.sheets.c.sheet_key).where(
                and_(db.sheets.c.serial == serial, db.sheets.c.printed.is_(True)))).first() is not None

    def reader(self):  # noqa: ANN201 - Reader
        from .reader import Reader

        return Reader(self.key, self.layout, self.serial_known)

    # --- sheets and answers ---------------------------------------------------------------

    def sheet(self, sheet_key: str) -> dict | None:
        with self.engine.connect() as connection:
            row = connection.execute(select(db.sheets).where(db.sheets.c.sheet_key == sheet_key)).mappings().first()
        return dict(row) if row else None

    def ensure_response(self, sheet_key: str, identity: PageIdentity, layout: Layout) -> str:
        """The response of a sheet, started on its first scanned page."""
        sheet = self.sheet(sheet_key)
        if sheet is not None and sheet["response_id"]:
            return sheet["response_id"]
        turn = self.interviewer.start(identity.instrument_id, channel=CHANNEL, language=layout.languages[0])
        response_id = turn.response.id
        with write_transaction(self.engine) as connection:
            if sheet is None:
                connection.execute(db.sheets.insert().values(
                    sheet_key=sheet_key, serial=identity.serial, instrument_id=identity.instrument_id,
                    version=identity.version, fingerprint=identity.fingerprint, language=layout.languages[0],
                    response_id=response_id, printed=False, created_at=now()))
            else:
                connection.execute(update(db.sheets).where(db.sheets.c.sheet_key == sheet_key).values(
                    response_id=response_id))
        return response_id

    def put_answer(self, connection: Any, sheet_key: str, question: str, value: Any, source: str, page_hash: str) -> None:
        self.put_answers(connection, sheet_key, {question: value}, source, page_hash)

    def put_answers(self, connection: Any, sheet_key: str, values: dict[str, Any], source: str, page_hash: str) -> None:
        """Replace these answers of the sheet, in two statements whatever their number."""
        if not values:
            return
        table = db.answers
        connection.execute(table.delete().where(and_(table.c.sheet_key == sheet_key, table.c.question.in_(list(values)))))
        at = now()
        connection.execute(table.insert(), [
            {"sheet_key": sheet_key, "question": name, "value_json": dumps(value), "source": source,
             "page_hash": page_hash, "status": "pending", "message": None, "updated_at": at}
            for name, value in values.items()])

    def sync_sheet(self, sheet_key: str) -> dict[str, str]:
        """Submit the sheet's decided answers the response lacks; returns each answer's status."""
        sheet = self.sheet(sheet_key)
        if sheet is None or not sheet["response_id"]:
            return {}
        from .privacy import is_withdrawn

        if is_withdrawn(self, sheet["response_id"]):  # the person withdrew: nothing more is stored
            return {}
        with self.engine.connect() as connection:
            rows = [dict(r) for r in connection.execute(select(db.answers).where(
                db.answers.c.sheet_key == sheet_key)).mappings()]
            open_items = connection.execute(select(db.items.c.id).where(and_(
                db.items.c.sheet_key == sheet_key, db.items.c.state == "open"))).first() is not None
        engine = self.interviewer.engine(sheet["instrument_id"])
        try:
            response = self.interviewer.load(sheet["response_id"])
        except NotFound:
            return {}
        submit: dict[str, Any] = {}
        parsed: dict[str, Any] = {}
        statuses: dict[str, tuple[str, str | None]] = {}
        known = {row["question"]: (row["status"], row["message"]) for row in rows}
        for row in rows:
            name, raw = row["question"], _raw(loads(row["value_json"]))
            try:
                question = engine.question(name)
            except KeyError:
                statuses[name] = ("refused", dumps({"message": MSG_GONE, "params": {}, "custom": None}))
                continue
            raw = as_choice_codes(question, raw)  # marks and reviewers give codes, never positions
            value = engine.parse(question, raw)
            if isinstance(value, AnswerError):
                statuses[name] = ("refused", error_json(value))
                continue
            parsed[name] = value
            existing = response.answers.get(name)
            if existing is None or existing.value != value:
                submit[name] = raw
        errors: dict[str, AnswerError] = {}
        if submit:
            turn, errors = self.interviewer.submit_all(sheet["response_id"], submit, channel=CHANNEL)
            response = turn.response
        for name, value in parsed.items():
            if name in errors:
                error = errors[name]
                if value is None and error.message == MSG_REQUIRED:
                    statuses[name] = ("unanswered", None)
                else:
                    statuses[name] = ("refused", error_json(error))
            elif name in response.answers and response.answers[name].value == value:
                statuses[name] = ("stored", None)
            else:
                statuses[name] = ("pending" if open_items else "not_asked", None)
        changed = [{"q": name, "s": status, "m": message} for name, (status, message) in statuses.items()
                   if (status, message) != known.get(name)]
        if changed:  # one statement for every answer whose status changed
            at = now()
            with write_transaction(self.engine) as connection:
                connection.execute(update(db.answers).where(and_(
                    db.answers.c.sheet_key == sheet_key, db.answers.c.question == bindparam("q"))).values(
                    status=bindparam("s"), message=bindparam("m"), updated_at=at), changed)
        if not open_items and response.status == "active" and self.sheet_complete(sheet):
            # Paper cannot ask again: a sheet whose pages are all read and decided is finished,
            # with any blanks left unanswered, so referrals and reports include it.
            self.interviewer.finish(sheet["response_id"])
        return {name: status for name, (status, _) in statuses.items()}

    def sheet_complete(self, sheet: dict) -> bool:
        """Whether every page of the sheet's layout has been read (and none awaits review)."""
        layout = self.layout(sheet["fingerprint"])
        if layout is None:
            return False
        with self.engine.connect() as connection:
            pages = connection.execute(select(db.pages.c.page_no, db.pages.c.state).where(
                db.pages.c.sheet_key == sheet["sheet_key"])).all()
        if any(state == "in_review" for _page, state in pages):
            return False
        read = {page for page, state in pages if state in ("read", "done")}
        return read >= set(range(1, layout.page_count + 1))


def error_json(error: AnswerError) -> str:
    """An engine error kept for display in any language: template, parameters, custom message."""
    return dumps({"message": error.message, "params": error.params, "custom": error.custom})


def _raw(value: Any) -> Any:
    """JSON values back to what the engine takes: lists of codes become tuples."""
    return tuple(value) if isinstance(value, list) else value

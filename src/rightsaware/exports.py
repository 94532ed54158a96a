"""Exports: the protected tables as CSV, XLSX or JSON, and respondent-level data on request.

Tables come from :class:`~rightsaware.aggregate_model.Results`, so they carry exactly the
figures a report shows: a suppressed cell has no count and no percentage. One row per
figure (long format) keeps the file the same shape for every question.

Respondent-level data is written only when asked for explicitly; it never contains contact
details or respondent ids (only the response's own pseudonymous id), leaves out synthetic
and withdrawn responses unless told otherwise (withdrawn: never), and leaves out free text
unless asked for. It is personal data: keep it safe.

Every text cell that a spreadsheet could read as a formula (starting with ``= + - @``, a
tab or a carriage return) is prefixed with ``'``. CSV can start with a byte-order mark so
that Excel reads Welsh and Gaelic letters (ŵ ŷ à) correctly.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from sqlalchemy import and_, select

from .aggregate_model import Cell, Results
from .aggregate_tables import AWARENESS
from .errors import RightsawareError
from .i18n import _
from .results_labels import Labels
from .store import tables as t

FORMATS = ("csv", "xlsx", "json")
TABLE_COLUMNS = ("question", "question_label", "breakdown", "breakdown_label", "group", "group_label", "figure",
                 "code", "label", "count", "suppressed", "percent", "ci_low", "ci_high", "share_of_mentions", "value")
RISKY_STARTS = ("=", "+", "-", "@", "\t", "\r")


class ExportError(RightsawareError):
    """An export that cannot be written as asked."""


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula gets a leading ``'``; other values pass."""
    if isinstance(value, str) and value.startswith(RISKY_STARTS):
        return "'" + value
    return value


def _percent(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _cell_fields(cell: Cell) -> dict[str, Any]:
    if cell.suppressed:
        return {"count": None, "suppressed": 1}
    return {"count": cell.count, "suppressed": 0, "percent": _percent(cell.proportion),
            "ci_low": _percent(cell.ci_low), "ci_high": _percent(cell.ci_high),
            "share_of_mentions": _percent(cell.share)}


def table_rows(results: Results, labels: Labels) -> Iterator[dict[str, Any]]:
    """Every published figure as one row (see :data:`TABLE_COLUMNS`)."""
    if results.too_few:
        return
    found = list(results.questions) + ([results.awareness] if results.awareness is not None else [])
    for result in found:
        question_label = labels.question(result.name)
        for table in [result.overall, *result.by.values()]:
            by_question = labels.dimension_question(results, table.dimension)
            for row in table.rows:
                base = {"question": result.name, "question_label": question_label,
                        "breakdown": table.dimension or "", "breakdown_label": labels.dimension(table.dimension),
                        "group": row.group, "group_label": labels.group(table.dimension, row.group, by_question)}
                figures: list[tuple[str, str, str, Cell]] = []
                if row.size is not None:
                    figures.append(("respondents", "", labels.item("respondents"), row.size))
                figures += [("answer", code, labels.option(result.name, code), cell) for code, cell in row.cells.items()]
                figures += [("apart", code, labels.option(result.name, code), cell) for code, cell in row.apart.items()]
                # "answered" is the base itself when nothing is kept apart from it: not repeated
                separate = bool(row.apart) or result.kind in ("number", "date", "text")
                for name in ("base", "answered", "no_answer", "agree", "mentions"):
                    cell = getattr(row, name)
                    if cell is not None and (name != "answered" or separate):
                        figures.append((name, "", labels.item(name), cell))
                for figure, code, label, cell in figures:
                    yield {**base, "figure": figure, "code": code, "label": label, **_cell_fields(cell)}
                if row.stats is not None:
                    for name, value in (("q1", row.stats.q1), ("median", row.stats.median), ("q3", row.stats.q3)):
                        yield {**base, "figure": name, "code": "", "label": name, "suppressed": 0,
                               "value": value.isoformat() if isinstance(value, dt.date) else value}
                if row.mean is not None:
                    yield {**base, "figure": "mean_share_known", "code": "", "label": "mean", "suppressed": 0,
                           "value": round(row.mean, 4)}


def _open_text(out: Path | None, bom: bool) -> IO[str]:
    if out is None:
        import sys

        return io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8-sig" if bom else "utf-8", newline="",
                                write_through=True)
    return out.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="")


def _csv(rows: Iterator[Sequence[Any]], header: Sequence[str], out: Path | None, bom: bool) -> int:
    handle = _open_text(out, bom)
    count = 0
    try:
        writer = csv.writer(handle)
        writer.writerow([neutralise(h) for h in header])
        for row in rows:
            writer.writerow(["" if v is None else neutralise(v) for v in row])
            count += 1
    finally:
        if out is None:
            handle.detach()
        else:
            handle.close()
    return count


def _xlsx(sheets: Sequence[tuple[str, Sequence[str], Iterator[Sequence[Any]]]], out: Path | None) -> int:
    from openpyxl import Workbook

    if out is None:
        raise ExportError(_("An XLSX export needs a file: add --out results.xlsx."))
    book = Workbook(write_only=True)
    count = 0
    for title, header, rows in sheets:
        sheet = book.create_sheet(title=title[:31])
        sheet.append([neutralise(h) for h in header])
        for row in rows:
            sheet.append([neutralise(v) for v in row])
            count += 1
    book.save(out)
    return count


def write_tables(results: Results, labels: Labels, fmt: str, out: Path | None, *, bom: bool = False) -> int:
    """Write the protected tables; returns the number of figures written."""
    if fmt not in FORMATS:
        raise ExportError(_("Unknown export format '{format}'. Use csv, xlsx or json.", format=fmt))
    if fmt == "json":
        data = results.to_json()
        if not labels.codes:
            data["labels"] = label_block(results, labels)
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        if out is None:
            print(text)
        else:
            out.write_text(text + "\n", encoding="utf-8")
        return sum(1 for _ in table_rows(results, labels))
    rows = ([r.get(c) for c in TABLE_COLUMNS] for r in table_rows(results, labels))
    if fmt == "csv":
        return _csv(rows, TABLE_COLUMNS, out, bom)
    about = [(k, v) for k, v in _about(results, labels)]
    return _xlsx([(labels.m._("Tables"), TABLE_COLUMNS, rows), (labels.m._("About"), ("item", "value"), iter(about))],
                 out)


def label_block(results: Results, labels: Labels) -> dict[str, Any]:
    names = [q.name for q in results.questions] + ([AWARENESS] if results.awareness is not None else [])
    block: dict[str, Any] = {"language": labels.language, "questions": {}}
    for name in names:
        result = results.question(name) if name != AWARENESS else results.awareness
        codes = result.overall.codes + result.overall.apart_codes
        block["questions"][name] = {"label": labels.question(name),
                                    "options": {c: labels.option(name, c) for c in codes}}
    block["breakdowns"] = {d.name: labels.dimension(d.name) for d in results.dimensions}
    return block


def _about(results: Results, labels: Labels) -> Iterator[tuple[str, Any]]:
    m = labels.m
    yield m._("Survey"), results.instrument_id
    yield m._("Version"), results.instrument_version
    yield m._("Produced"), results.generated_at.isoformat(timespec="seconds")
    yield m._("Responses"), results.responses if results.responses is not None else m._("not shown")
    yield m._("Smallest count shown"), results.threshold
    yield m._("Counts hidden because they are small"), results.primary_suppressed
    yield m._("Counts hidden so that small ones cannot be worked out"), results.secondary_suppressed
    yield m._("Synthetic (practice) responses"), (m._("included") if results.include_synthetic
                                                  else m._("left out"))


# --- respondent-level data -------------------------------------------------------------------

def _responses(store: Any, instrument_id: str, include_synthetic: bool) -> Iterator[tuple[Any, list[Any]]]:
    """Completed, not withdrawn responses with their answers, in id order, streamed."""
    r, a = t.responses, t.answers
    where = [r.c.instrument_id == instrument_id, r.c.status == "completed", t.not_withdrawn(r.c.id)]
    if not include_synthetic:
        where.append(r.c.synthetic.is_(False))
    columns = [r.c.id, r.c.instrument_version, r.c.channel, r.c.language, r.c.completed_at, r.c.synthetic]
    responses = select(*columns).where(and_(*where)).order_by(r.c.id)
    answers = (select(a.c.response_id, a.c.question, a.c.value_kind, a.c.value_text, a.c.value_long, a.c.skipped)
               .join(r, r.c.id == a.c.response_id).where(and_(*where)).order_by(a.c.response_id, a.c.question))
    options = {"stream_results": True, "yield_per": 1000}
    with store.engine.connect() as connection:
        rows = connection.execute(responses, execution_options=options)
        stream = iter(connection.execute(answers, execution_options=options))
        pending = next(stream, None)
        for row in rows:
            found = []
            while pending is not None and pending.response_id == row.id:
                found.append(pending)
                pending = next(stream, None)
            yield row, found


def _value(answer: Any) -> Any:
    from .store.codec import decode_value

    if answer.skipped:
        return None
    return decode_value(answer.value_kind, answer.value_text, answer.value_long)


def respondent_columns(instrument: Any, labels: Labels, include_free_text: bool) -> list[tuple[str, str, str | None]]:
    """``(header, question, choice)`` for each answer column (one per option of multiple choice)."""
    columns = []
    for q in instrument.questions:
        if not q.answerable or (q.kind == "text" and not include_free_text):
            continue
        if q.kind == "select_multiple":
            for choice in instrument.choices_for(q):
                header = f"{q.name}:{choice.name}" if labels.codes else \
                    f"{labels.question(q.name)}: {labels.option(q.name, choice.name)}"
                columns.append((header, q.name, choice.name))
        else:
            columns.append((q.name if labels.codes else labels.question(q.name), q.name, None))
    return columns


def write_respondents(store: Any, instrument: Any, labels: Labels, fmt: str, out: Path | None, *,
                      include_synthetic: bool = False, include_free_text: bool = False, bom: bool = False) -> int:
    """Write one row per completed response (no contact details); returns how many."""
    if fmt not in FORMATS:
        raise ExportError(_("Unknown export format '{format}'. Use csv, xlsx or json.", format=fmt))
    columns = respondent_columns(instrument, labels, include_free_text)
    header = ["response", "version", "channel", "language", "completed_at", "synthetic"] + [c[0] for c in columns]

    def convert(question: str, value: Any) -> Any:
        if value is None:
            return None
        if isinstance(value, (dt.date, decimal.Decimal)):
            return str(value) if isinstance(value, decimal.Decimal) else value.isoformat()
        if isinstance(value, str) and instrument.choices_for(instrument.question(question)):
            return labels.option(question, value)
        return value

    def rows() -> Iterator[list[Any]]:
        for response, answers in _responses(store, instrument.id, include_synthetic):
            values = {a.question: _value(a) for a in answers}
            row = [response.id, response.instrument_version, response.channel, response.language,
                   response.completed_at.isoformat(timespec="seconds") if response.completed_at else None,
                   int(bool(response.synthetic))]
            for _header, question, choice in columns:
                value = values.get(question)
                if choice is not None:
                    row.append(None if value is None else int(choice in value))
                else:
                    row.append(convert(question, value))
            yield row

    if fmt == "csv":
        return _csv(rows(), header, out, bom)
    if fmt == "xlsx":
        return _xlsx([(labels.m._("Responses"), header, rows())], out)
    return _json_lines(header, rows(), out)


def _json_lines(header: Sequence[str], rows: Iterator[list[Any]], out: Path | None) -> int:
    """A JSON array written one object at a time (constant memory)."""
    import sys

    handle = sys.stdout if out is None else out.open("w", encoding="utf-8")
    count = 0
    try:
        handle.write("[")
        for row in rows:
            handle.write(("," if count else "") + "\n" + json.dumps(dict(zip(header, row)), ensure_ascii=False))
            count += 1
        handle.write("\n]\n")
    finally:
        if out is not None:
            handle.close()
    return count

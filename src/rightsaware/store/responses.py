"""Responses and their answers: create, load, save with optimistic concurrency, stream.

The interview state (language, status, history, notes seen, revision) lives in the
response row. :meth:`ResponsesMixin.save_response` updates it only if nobody saved since
the caller loaded it (``revision``), and rewrites only the answers that changed.
Answers are written with one batched ``executemany`` per table.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import attrs
from sqlalchemy import Connection, and_, delete, func, select
from sqlalchemy.exc import IntegrityError

from ..errors import ConcurrentUpdate, NotFound, StoreError
from ..i18n import N_
from ..response import STATUS_ACTIVE, Response, utcnow
from . import codec, tables
from .bulk import insert_rows, insert_statement
from .engine import write_transaction
from .fast import FastPath

_responses = tables.responses
_answers = tables.answers
_choices = tables.answer_choices
_ANSWER_COLUMNS = [c for c in _answers.c if c.name != "response_id"]
_COMPARED = ("value_kind", "value_text", "value_num", "value_long", "language", "channel", "answered_at", "skipped")


class ResponsesMixin:
    """Response methods of :class:`rightsaware.store.Store`."""

    engine: Any
    fast: FastPath

    # -- writing -----------------------------------------------------------------------
    def create_response(self, response: Response) -> None:
        """Store a new response (with any answers it already has)."""
        fast = self.fast
        dialect = "sqlite" if fast.sqlite else "postgresql"
        answers, choices = codec.answer_rows(response)
        try:
            with fast.write() as cursor:
                cursor.executemany(*insert_statement(dialect, _responses, [codec.response_values(response)]))
                if answers:
                    cursor.executemany(*insert_statement(dialect, _answers, answers))
                if choices:
                    cursor.executemany(*insert_statement(dialect, _choices, choices))
        except self.engine.dialect.loaded_dbapi.IntegrityError:
            raise StoreError(N_("A response with the same id is already stored, or its respondent is unknown.")) from None

    def save_completed_batch(self, responses: Sequence[Response]) -> int:
        """Insert many new responses (e.g. simulated or a paper batch) in one transaction.

        All or nothing: if one response id already exists, none is stored.
        """
        if not responses:
            return 0
        with write_transaction(self.engine) as connection:
            self._insert_responses(connection, responses)
        return len(responses)

    @staticmethod
    def _insert_responses(connection: Connection, responses: Sequence[Response]) -> None:
        rows, answer_rows, choice_rows = [], [], []
        for response in responses:
            rows.append(codec.response_values(response))
            answers, choices = codec.answer_rows(response)
            answer_rows.extend(answers)
            choice_rows.extend(choices)
        try:
            insert_rows(connection, _responses, rows)
        except IntegrityError:
            raise StoreError(
                N_("A response with the same id is already stored, or its respondent is unknown."),
            ) from None
        insert_rows(connection, _answers, answer_rows)
        insert_rows(connection, _choices, choice_rows)

    def save_response(self, response: Response, *, expected_revision: int, previous: Response | None = None) -> Response:
        """Save ``response`` if the stored one is still at ``expected_revision``.

        Returns the response as saved (revision + 1, ``updated_at`` now). Raises
        :class:`~rightsaware.errors.ConcurrentUpdate` when someone else saved first, and
        :class:`~rightsaware.errors.NotFound` when there is no such response.

        ``previous`` is the response as loaded at ``expected_revision``, when the caller
        has it: its answers are then what is stored, so only the changes are compared
        and written, without reading the stored answers again.
        """
        saved = attrs.evolve(response, revision=expected_revision + 1, updated_at=utcnow())
        values = codec.response_values(saved)
        fast = self.fast
        known = previous.answers if (
            previous is not None and previous.id == response.id and previous.revision == expected_revision) else None
        with fast.write() as cursor:
            cursor.execute(fast.update_sql, fast.update_params(values, response.id, expected_revision))
            if cursor.rowcount != 1:
                cursor.execute(fast.revision_sql, (response.id,))
                if cursor.fetchone() is None:
                    raise NotFound(N_("There is no stored response with that id."))
                raise ConcurrentUpdate(
                    N_("This response was changed by someone else in the meantime; load it again and retry.")
                )
            self._write_answer_changes(cursor, saved, known)
        return saved

    def _write_answer_changes(self, cursor: Any, response: Response, known: dict | None) -> None:
        fast = self.fast
        if known is None:
            cursor.execute(fast.answers_sql, (response.id,))
            stored = {row[0]: fast.answer_row(row) for row in cursor.fetchall()}
        else:
            stored = {q: codec.answer_row(response.id, q, answer) for q, answer in known.items()}
        wanted = {}
        for question, answer in response.answers.items():
            row = codec.answer_row(response.id, question, answer)
            old = stored.get(question)
            if old is None or any(old[name] != row[name] for name in _COMPARED):
                wanted[question] = (row, answer)
        stale = [(response.id, q) for q in stored if q not in response.answers or q in wanted]
        if stale:
            cursor.executemany(fast.delete_choices_sql, stale)
            cursor.executemany(fast.delete_answers_sql, stale)
        if wanted:
            dialect = "sqlite" if fast.sqlite else "postgresql"
            cursor.executemany(*insert_statement(dialect, _answers, [row for row, _ in wanted.values()]))
            choices = [c for row, answer in wanted.values() for c in codec.choice_rows(row, answer.value)]
            if choices:
                cursor.executemany(*insert_statement(dialect, _choices, choices))

    def delete_response(self, response_id: str) -> bool:
        """Delete a response with its answers and referrals; whether it existed."""
        with write_transaction(self.engine) as connection:
            connection.execute(delete(_choices).where(_choices.c.response_id == response_id))
            connection.execute(delete(_answers).where(_answers.c.response_id == response_id))
            connection.execute(delete(tables.referrals).where(tables.referrals.c.response_id == response_id))
            return connection.execute(delete(_responses).where(_responses.c.id == response_id)).rowcount == 1

    # -- reading -----------------------------------------------------------------------
    def load_response(self, response_id: str) -> Response | None:
        """The stored response with its answers (one query), or ``None``."""
        fast = self.fast
        with fast.read() as cursor:
            cursor.execute(fast.load_sql, (response_id,))
            rows = cursor.fetchall()
        if not rows:
            return None
        width = len(rows[0]) - 9
        answers = (codec.answer_from_row(fast.answer_row(row[width:])) for row in rows if row[width] is not None)
        return codec.response_from_row(fast.response_row(rows[0][:width]), answers)

    def response_revision(self, response_id: str) -> int | None:
        """The stored revision of a response (``None`` if there is none): one small query, to
        tell whether a response kept in memory is still current."""
        fast = self.fast
        with fast.read() as cursor:
            cursor.execute(fast.revision_sql, (response_id,))
            row = cursor.fetchone()
        return None if row is None else row[0]

    @staticmethod
    def _load(connection: Connection, response_id: str) -> Response | None:
        row = connection.execute(select(_responses).where(_responses.c.id == response_id)).mappings().first()
        if row is None:
            return None
        answers = connection.execute(
            select(*_ANSWER_COLUMNS).where(_answers.c.response_id == response_id)
        ).mappings()
        return codec.response_from_row(row, (codec.answer_from_row(a) for a in answers))

    def active_response(
        self, respondent_id: str, instrument_id: str | None = None, channel: str | None = None
    ) -> Response | None:
        """The respondent's newest active response (optionally of one instrument or channel)."""
        query = select(_responses.c.id).where(
            and_(_responses.c.respondent_id == respondent_id, _responses.c.status == STATUS_ACTIVE)
        )
        if instrument_id is not None:
            query = query.where(_responses.c.instrument_id == instrument_id)
        if channel is not None:
            query = query.where(_responses.c.channel == channel)
        query = query.order_by(_responses.c.started_at.desc(), _responses.c.updated_at.desc()).limit(1)
        with self.engine.connect() as connection:
            response_id = connection.scalar(query)
            return None if response_id is None else self._load(connection, response_id)

    def _filters(self, instrument_id: str, version: str | None, status: str | None, include_synthetic: bool) -> list:
        where = [_responses.c.instrument_id == instrument_id]
        if version is not None:
            where.append(_responses.c.instrument_version == version)
        if status is not None:
            where.append(_responses.c.status == status)
        if not include_synthetic:
            where.append(_responses.c.synthetic.is_(False))
        return where

    def count_responses(
        self,
        instrument_id: str,
        version: str | None = None,
        *,
        status: str | None = None,
        include_synthetic: bool = True,
    ) -> int:
        """How many responses an instrument (version) has, of any status unless ``status`` is given."""
        where = self._filters(instrument_id, version, status, include_synthetic)
        with self.engine.connect() as connection:
            return connection.scalar(select(func.count()).select_from(_responses).where(*where))

    def iter_responses(
        self,
        instrument_id: str,
        *,
        status: str | None = "completed",
        include_synthetic: bool = False,
        version: str | None = None,
        batch_size: int = 1000,
    ) -> Iterator[Response]:
        """Stream responses (with answers) of an instrument, ordered by id, in constant memory.

        Two server-side cursors in one read-only snapshot: responses by id and their
        answers by response id, merged as they arrive.
        """
        where = self._filters(instrument_id, version, status, include_synthetic)
        responses = select(_responses).where(*where).order_by(_responses.c.id)
        answers = (
            select(_answers)
            .join(_responses, _responses.c.id == _answers.c.response_id)
            .where(*where)
            .order_by(_answers.c.response_id, _answers.c.question)
        )
        options: dict[str, Any] = {"stream_results": True, "yield_per": batch_size}
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection.execution_options(isolation_level="REPEATABLE READ")
            response_rows = connection.execute(responses, execution_options=options).mappings()
            answer_rows = iter(connection.execute(answers, execution_options=options).mappings())
            pending = next(answer_rows, None)
            for row in response_rows:
                found = []
                while pending is not None and pending["response_id"] == row["id"]:
                    found.append(codec.answer_from_row(pending))
                    pending = next(answer_rows, None)
                yield codec.response_from_row(row, found)

    def response_ids(self, instrument_id: str, ids: Sequence[str]) -> set[str]:
        """Which of ``ids`` are stored responses of the instrument (for imports that skip duplicates)."""
        found: set[str] = set()
        with self.engine.connect() as connection:
            for start in range(0, len(ids), 500):
                chunk = list(ids[start : start + 500])
                found.update(
                    connection.scalars(
                        select(_responses.c.id).where(
                            and_(_responses.c.instrument_id == instrument_id, _responses.c.id.in_(chunk))
                        )
                    )
                )
        return found


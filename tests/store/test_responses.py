"""Responses and answers: round trips, optimistic concurrency, streaming, batches."""

from __future__ import annotations

import datetime as dt
import decimal
import types

import attrs
import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import StatementError

from rightsaware.errors import ConcurrentUpdate, NotFound, StoreError
from rightsaware.response import Answer, Response
from rightsaware.store import Store

UTC = dt.timezone.utc
T0 = dt.datetime(2025, 3, 1, 9, 30, 15, 123456, tzinfo=UTC)


def make_response(response_id: str, *, instrument: str = "rights", status: str = "active", **answers) -> Response:  # noqa: ANN003
    return Response(
        id=response_id,
        instrument_id=instrument,
        instrument_version="1",
        instrument_hash="sha256:abc",
        channel="sms",
        language="cy",
        status=status,
        answers={q: Answer(q, v, language="cy", channel="sms", answered_at=T0) for q, v in answers.items()},
        history=tuple(answers),
        started_at=T0,
        updated_at=T0,
        completed_at=T0 if status == "completed" else None,
    )


EVERY_VALUE = {
    "code": "yes",
    "welsh_text": "Mae gen i hawl i gael fy nghlywed — ŵ ŷ",
    "gaelic_text": "Tha còir agam",
    "empty_text": "",
    "long_text": "ll" * 400,  # kept out of the value_text index
    "count": 42,
    "negative": -7,
    "huge": 2**70,
    "price": decimal.Decimal("12.50"),
    "tiny": decimal.Decimal("-0.000001"),
    "birthday": dt.date(1948, 7, 5),
    "many": ("transport", "cost", "language"),
    "none_chosen": (),
    "unanswered": None,
}


def test_every_answer_value_type_survives_a_round_trip(store: Store) -> None:
    response = make_response("r-types", **EVERY_VALUE)
    response = attrs.evolve(
        response,
        answers={**response.answers, "skipped_one": Answer("skipped_one", None, skipped=True, answered_at=T0)},
        seen_notes=("intro", "privacy"),
    )
    store.create_response(response)
    loaded = store.load_response("r-types")
    assert loaded == response
    for name, value in EVERY_VALUE.items():
        assert type(loaded.answers[name].value) is type(value), name
    assert loaded.answers["price"].value.as_tuple() == decimal.Decimal("12.50").as_tuple()
    assert loaded.started_at == T0 and loaded.started_at.tzinfo is not None
    assert store.load_response("missing") is None


def test_answers_are_countable_in_sql(store: Store) -> None:
    store.create_response(make_response("a", q="yes", m=("x", "y")))
    store.create_response(make_response("b", q="no", m=("y",)))
    store.create_response(make_response("c", q="yes", m=()))
    t = store.tables
    with store.engine.connect() as connection:
        by_code = dict(
            connection.execute(
                select(t.answers.c.value_text, func.count())
                .where(t.answers.c.question == "q")
                .group_by(t.answers.c.value_text)
            ).all()
        )
        by_choice = dict(
            connection.execute(
                select(t.answer_choices.c.choice, func.count())
                .where(t.answer_choices.c.question == "m")
                .group_by(t.answer_choices.c.choice)
            ).all()
        )
    assert by_code == {"yes": 2, "no": 1}
    assert by_choice == {"x": 1, "y": 2}


def test_save_writes_only_what_changed_and_bumps_the_revision(store: Store) -> None:
    store.create_response(make_response("r1", a="yes", b=3, m=("x", "y")))
    loaded = store.load_response("r1")
    answers = dict(loaded.answers)
    answers["b"] = Answer("b", 4, answered_at=T0)
    answers["m"] = Answer("m", ("z",), answered_at=T0)
    del answers["a"]
    answers["c"] = Answer("c", dt.date(2025, 1, 1), answered_at=T0)
    changed = attrs.evolve(loaded, answers=answers, status="completed", completed_at=T0, history=("b", "m", "c"))
    saved = store.save_response(changed, expected_revision=loaded.revision)
    assert saved.revision == 1 and saved.updated_at > T0
    again = store.load_response("r1")
    assert again == saved
    assert again.values() == {"b": 4, "m": ("z",), "c": dt.date(2025, 1, 1)}
    t = store.tables
    with store.engine.connect() as connection:
        choices = connection.execute(select(t.answer_choices.c.choice).where(t.answer_choices.c.response_id == "r1"))
        assert [row.choice for row in choices] == ["z"]


def test_two_stale_saves_one_wins_the_other_is_refused(store: Store) -> None:
    store.create_response(make_response("r1", a="yes"))
    first = store.load_response("r1")
    second = store.load_response("r1")
    store.save_response(attrs.evolve(first, language="en"), expected_revision=0)
    with pytest.raises(ConcurrentUpdate, match="load it again"):
        store.save_response(attrs.evolve(second, language="gd"), expected_revision=0)
    current = store.load_response("r1")
    assert (current.language, current.revision) == ("en", 1)
    store.save_response(attrs.evolve(current, language="gd"), expected_revision=1)
    with pytest.raises(ConcurrentUpdate):
        store.save_response(attrs.evolve(current, language="cy"), expected_revision=1)
    assert store.load_response("r1").language == "gd"
    with pytest.raises(NotFound):
        store.save_response(make_response("never-created"), expected_revision=0)


def test_creating_the_same_response_twice_is_refused(store: Store) -> None:
    store.create_response(make_response("r1", a="yes"))
    with pytest.raises(StoreError, match="already stored"):
        store.create_response(make_response("r1", a="no"))
    assert store.load_response("r1").values() == {"a": "yes"}


def test_active_response_is_the_newest_active_one(store: Store, keyring) -> None:  # noqa: ANN001
    rid = store.ensure_respondent("sms", "+447700900123")
    old = attrs.evolve(make_response("old"), respondent_id=rid)
    new = attrs.evolve(make_response("new"), respondent_id=rid, started_at=T0 + dt.timedelta(hours=1))
    done = attrs.evolve(make_response("done", status="completed"), respondent_id=rid, started_at=T0 + dt.timedelta(hours=2))
    web = attrs.evolve(make_response("web", instrument="other"), respondent_id=rid, channel="web")
    for response in (old, new, done, web):
        store.create_response(response)
    assert store.active_response(rid).id == "new"
    assert store.active_response(rid, "rights").id == "new"
    assert store.active_response(rid, channel="web").id == "web"
    assert store.active_response(rid, "rights", "web") is None
    assert store.active_response("nobody") is None


def test_iter_responses_streams_with_answers_and_filters(store: Store) -> None:
    batch = [make_response(f"r{i:04d}", status="completed", q=str(i % 3), n=i, m=("a", "b")) for i in range(250)]
    batch.append(attrs.evolve(make_response("synthetic", status="completed", q="0"), synthetic=True))
    batch.append(make_response("still-active", q="0"))
    batch.append(make_response("no-answers", status="completed"))
    batch.append(make_response("elsewhere", instrument="other", status="completed", q="1"))
    assert store.save_completed_batch(batch) == len(batch)
    streamed = store.iter_responses("rights", batch_size=16)
    assert isinstance(streamed, types.GeneratorType)
    first = next(streamed)
    assert first.id == "no-answers" and first.answers == {}
    rest = list(streamed)
    assert [r.id for r in rest] == [f"r{i:04d}" for i in range(250)]
    assert all(r.values() == {"q": str(i % 3), "n": i, "m": ("a", "b")} for i, r in enumerate(rest))
    assert {r.id for r in store.iter_responses("rights", include_synthetic=True)} >= {"synthetic"}
    assert [r.id for r in store.iter_responses("rights", status="active")] == ["still-active"]
    assert len(list(store.iter_responses("rights", status=None, include_synthetic=True))) == 253
    assert store.count_responses("rights") == 253
    assert store.count_responses("rights", "1") == 253
    assert store.count_responses("rights", "2") == 0
    assert store.count_responses("rights", status="completed", include_synthetic=False) == 251


def test_a_batch_is_all_or_nothing(store: Store) -> None:
    store.create_response(make_response("taken", a="yes"))
    with pytest.raises(StoreError):
        store.save_completed_batch([make_response("fresh", status="completed", a="no"), make_response("taken")])
    assert store.load_response("fresh") is None
    assert store.save_completed_batch([]) == 0


def test_delete_response_removes_answers_and_referrals(store: Store) -> None:
    store.create_response(make_response("r1", a="yes", m=("x",)))
    store.add_referral("r1", "citizens-advice-cymru", "benefits", channel="sms", language="cy", share_contact=False)
    assert store.delete_response("r1") is True
    assert store.delete_response("r1") is False
    t = store.tables
    with store.engine.connect() as connection:
        for table in (t.answers, t.answer_choices, t.referrals):
            assert connection.scalar(select(func.count()).select_from(table)) == 0


def test_values_the_store_cannot_keep_are_refused(store: Store) -> None:
    for bad in (1.5, True, dt.datetime(2025, 1, 1, tzinfo=UTC), ["list"], decimal.Decimal("NaN")):
        with pytest.raises((TypeError, ValueError)):
            store.create_response(make_response("bad", q=bad))
    naive = attrs.evolve(make_response("naive"), started_at=dt.datetime(2025, 1, 1))
    with pytest.raises(ValueError, match="timezone-aware"):
        store.create_response(naive)
    with pytest.raises(StatementError, match="timezone-aware"):
        store.record_instrument("i", "1", "h")  # fine
        store.claim_outbox("sms", limit=1, now=dt.datetime(2025, 1, 1))

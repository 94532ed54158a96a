"""Withdrawing consent by text (WITHDRAW, TYNNU'N ÔL, TARRAING AIR AIS), and how it differs from STOP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from rightsaware.store import tables

NUMBER = "+447700900123"


def withdrawn_ids(runtime):
    with runtime.store.engine.connect() as connection:
        return dict(connection.execute(select(tables.withdrawals.c.response_id, tables.withdrawals.c.channel)).all())


def reportable_ids(runtime):
    """What every report and export reads: responses not withdrawn."""
    with runtime.store.engine.connect() as connection:
        return set(connection.scalars(select(tables.responses.c.id).where(tables.not_withdrawn())))


@pytest.mark.parametrize(("language", "word", "confirmation"), [
    ("en", "Withdraw", "Your consent is withdrawn: your answers will not be used in any results"),
    ("cy", "tynnu'n ôl", "Mae eich caniatâd wedi'i dynnu'n ôl: fydd eich atebion ddim yn cael eu defnyddio"),
    ("cy", "TYNNU NOL", "Mae eich caniatâd wedi'i dynnu'n ôl"),  # no accent, capitals
    ("gd", "Tarraing air ais!", "Chaidh do chead a tharraing air ais: cha tèid na freagairtean agad a chleachdadh"),
])
def test_withdrawal_word_ends_the_interview_and_excludes_the_answers(sms_runtime, fake_twilio, invite, text,
                                                                     language, word, confirmation):
    respondent = invite(NUMBER, language)
    response_id = sms_runtime.store.active_response(respondent, channel="sms").id
    text(NUMBER, "1")
    assert "heard" in sms_runtime.store.load_response(response_id).answers
    assert response_id in reportable_ids(sms_runtime)
    sent_before = len(fake_twilio.bodies_to(NUMBER))

    text(NUMBER, word)

    bodies = fake_twilio.bodies_to(NUMBER)
    assert len(bodies) == sent_before + 1
    assert bodies[-1].startswith(confirmation)
    assert withdrawn_ids(sms_runtime) == {response_id: "sms"}
    assert response_id not in reportable_ids(sms_runtime)
    stored = sms_runtime.store.load_response(response_id)
    assert stored.status == "abandoned"
    assert sms_runtime.store.active_response(respondent, channel="sms") is None
    assert "sms" in sms_runtime.store.respondent(respondent).opted_out_channels

    text(NUMBER, "1")  # the conversation is over: nothing is started, nothing is sent
    assert len(fake_twilio.bodies_to(NUMBER)) == sent_before + 1
    assert sms_runtime.store.active_response(respondent, channel="sms") is None
    text(NUMBER, word)  # again: harmless, confirmed again
    assert withdrawn_ids(sms_runtime) == {response_id: "sms"}


def test_stop_keeps_the_answers_but_withdrawal_after_stop_removes_them(sms_runtime, fake_twilio, invite, text):
    respondent = invite(NUMBER)
    response_id = sms_runtime.store.active_response(respondent, channel="sms").id
    text(NUMBER, "1")
    text(NUMBER, "STOP")
    assert sms_runtime.store.load_response(response_id).status == "abandoned"
    assert withdrawn_ids(sms_runtime) == {}  # STOP only stops texts: the answers still count
    assert response_id in reportable_ids(sms_runtime)

    text(NUMBER, "delete my answers")  # someone who opted out can still withdraw consent
    assert withdrawn_ids(sms_runtime) == {response_id: "sms"}
    assert response_id not in reportable_ids(sms_runtime)
    assert fake_twilio.bodies_to(NUMBER)[-1].startswith("Your consent is withdrawn")


def test_withdrawal_after_completing_excludes_a_finished_response(sms_runtime, fake_twilio, invite, text):
    respondent = invite(NUMBER, "gd")
    response_id = sms_runtime.store.active_response(respondent, channel="sms").id
    for body in ("1", "30", "1 3", "Tha am bus fadalach"):
        text(NUMBER, body)
    assert sms_runtime.store.load_response(response_id).status == "completed"
    text(NUMBER, "sguab às mo fhreagairtean")
    assert withdrawn_ids(sms_runtime) == {response_id: "sms"}
    assert sms_runtime.store.load_response(response_id).status == "completed"  # kept, but out of every report
    assert response_id not in reportable_ids(sms_runtime)
    assert fake_twilio.bodies_to(NUMBER)[-1].startswith("Chaidh do chead a tharraing air ais")


def test_a_sentence_mentioning_withdrawal_is_an_ordinary_answer(sms_runtime, fake_twilio, invite, text):
    respondent = invite(NUMBER)
    response_id = sms_runtime.store.active_response(respondent, channel="sms").id
    for body in ("1", "30", "1 3"):
        text(NUMBER, body)
    text(NUMBER, "I might withdraw later")  # the free-text question's answer, not the keyword
    assert withdrawn_ids(sms_runtime) == {}
    assert sms_runtime.store.load_response(response_id).values()["comment"] == "I might withdraw later"

"""Withdrawal of consent: answers leave every report and export, from any channel."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from rightsaware import audit
from rightsaware.cli import Context, build_cli
from rightsaware.interview import Interviewer
from rightsaware.plugins import hookimpl
from rightsaware.privacy import is_withdrawal, withdraw, withdrawn_responses
from rightsaware.store import tables

PHONE = "+447700900123"


def completed(runtime, respondent_id: str | None, heard: str = "1") -> str:
    interviewer = Interviewer(runtime)
    turn = interviewer.start("sample", channel="fake", respondent_id=respondent_id)
    turn, errors = interviewer.submit_all(turn.response.id, {"heard": heard, "age": "40", "barriers": "1", "comment": "iawn"})
    assert not errors and turn.completed
    return turn.response.id


def counted(store) -> int:
    """What a report counts: completed, not withdrawn (the predicate aggregation uses)."""
    r = tables.responses
    with store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(r).where(
            r.c.status == "completed", tables.not_withdrawn()))


def test_withdrawal_excludes_every_response_of_the_person(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    store = runtime.store
    abandoned = []

    class Listener:
        @hookimpl
        def response_abandoned(self, response, reason):
            abandoned.append((response.id, reason))

    runtime.pm.register(Listener(), name="listener")
    rid = store.ensure_respondent("sms", PHONE)
    first = completed(runtime, rid)
    store.add_referral(first, "citizens-advice", "advice", channel="sms", language="en", share_contact=True)
    active = Interviewer(runtime).start("sample", channel="fake", respondent_id=rid).response.id
    someone_else = completed(runtime, None)
    assert counted(store) == 2

    report = withdraw(runtime, respondent_id=rid, channel="sms", actor="sms:inbound")
    assert report.responses == 2 and report.newly_withdrawn == 2 and report.abandoned == 1
    assert counted(store) == 1
    assert withdrawn_responses(store, [first, active, someone_else]) == {first, active}
    assert abandoned == [(active, "withdrawn")]
    assert store.referrals_for(first) == []  # nobody is referred after withdrawing
    assert store.respondent(rid).opted_out_channels == {"sms"}
    entry = audit.entries(store, action=audit.RESPONDENT_WITHDRAW)[0]
    assert entry.subject_id == rid and entry.detail == {"channel": "sms", "new": 2, "responses": 2}

    again = withdraw(runtime, respondent_id=rid, channel="sms", actor="sms:inbound")
    assert again.newly_withdrawn == 0 and again.abandoned == 0 and counted(store) == 1


def test_not_withdrawn_works_with_an_alias_and_for_answers(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    store = runtime.store
    kept, gone = completed(runtime, None), completed(runtime, None, heard="2")
    withdraw(runtime, response_id=gone, channel="web", actor="web:link")
    a = tables.answers
    with store.engine.connect() as connection:
        answered = set(connection.scalars(select(a.c.response_id).where(tables.not_withdrawn(a.c.response_id))))
        alias = tables.responses.alias("r")
        ids = set(connection.scalars(select(alias.c.id).where(tables.not_withdrawn(alias.c.id))))
    assert answered == {kept} and ids == {kept}


def test_an_anonymous_web_response_withdraws_itself_only(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    one, two = completed(runtime, None), completed(runtime, None)
    report = withdraw(runtime, response_id=one, channel="web", actor="web:link")
    assert report.respondent_id is None and report.responses == 1
    assert withdrawn_responses(runtime.store, [one, two]) == {one}
    entry = audit.entries(runtime.store, action=audit.RESPONDENT_WITHDRAW)[0]
    assert (entry.subject_kind, entry.subject_id) == ("response", one)


def test_a_paper_sheet_of_a_known_person_withdraws_the_person(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    rid = runtime.store.ensure_respondent("sms", PHONE)
    sheet, other = completed(runtime, rid), completed(runtime, rid)
    report = withdraw(runtime, response_id=sheet, channel="paper", actor="user:reviewer", stop_contact=False)
    assert report.respondent_id == rid and report.responses == 2
    assert withdrawn_responses(runtime.store, [sheet, other]) == {sheet, other}
    assert runtime.store.respondent(rid).opted_out_channels == frozenset()


@pytest.mark.parametrize("text", [
    "WITHDRAW", "withdraw.", " Delete my answers ", "TYNNU'N ÔL", "tynnu'n ol", "Tynnu nôl!", "dileu fy atebion",
    "TARRAING AIR AIS", "tarraing as", "Sguab às mo fhreagairtean",
])
def test_withdrawal_words_in_three_languages(text: str) -> None:
    assert is_withdrawal(text)


@pytest.mark.parametrize("text", ["", "1", "yes", "I withdraw nothing", "STOP", "draw", "tynnu", "dileu"])
def test_other_replies_are_not_withdrawals(text: str) -> None:
    assert not is_withdrawal(text)


@given(st.text(max_size=300))
def test_random_replies_never_crash_the_withdrawal_check(text: str) -> None:
    assert is_withdrawal(text) in (True, False)


def test_cli_withdraw(rightsaware_runtime) -> None:
    runtime = rightsaware_runtime
    rid = runtime.store.ensure_respondent("sms", PHONE)
    completed(runtime, rid)
    anonymous = completed(runtime, None)
    group, obj = build_cli(runtime), Context(runtime, "en")
    result = CliRunner().invoke(group, ["respondents", "withdraw", "--phone", "07700900123"], obj=obj)
    assert result.exit_code == 0 and "1 response withdrawn" in result.output, result.output
    result = CliRunner().invoke(group, ["respondents", "withdraw", "--response", anonymous], obj=Context(runtime, "gd"))
    assert result.exit_code == 0 and counted(runtime.store) == 0
    result = CliRunner().invoke(group, ["respondents", "withdraw", "--response", "nope"], obj=obj)
    assert result.exit_code == 1 and "no response" in str(result.exception)

"""Interviews through the store and the hooks: start, reply, commands, concurrency, completion."""

from __future__ import annotations

import threading

import pytest

from rightsaware.interview import Interviewer
from rightsaware.plugins import hookimpl


class Recorder:
    """A plugin that records the event hooks it sees."""

    def __init__(self) -> None:
        self.events: list[tuple] = []

    @hookimpl
    def answer_recorded(self, response, question, answer):
        self.events.append(("answer", question.name, answer.value))

    @hookimpl
    def response_completed(self, response, instrument):
        self.events.append(("completed", response.id, instrument.id))

    @hookimpl
    def response_abandoned(self, response, reason):
        self.events.append(("abandoned", response.id, reason))


@pytest.fixture
def recorder(rightsaware_runtime) -> Recorder:
    plugin = Recorder()
    rightsaware_runtime.pm.register(plugin, name="recorder")
    return plugin


def test_start_shows_notes_then_the_first_question(rightsaware_runtime) -> None:
    turn = Interviewer(rightsaware_runtime).start("sample", channel="fake", language="cy")
    assert [n.name for n in turn.notes] == ["intro"]
    assert turn.question.name == "heard"
    stored = rightsaware_runtime.store.load_response(turn.response.id)
    assert stored.instrument_hash == rightsaware_runtime.instrument("sample").content_hash
    assert stored.language == "cy"


def test_hook_answer_recorded_and_response_completed(rightsaware_runtime, recorder) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    for reply in ("nac ydw", "44", "SKIP"):
        turn = interviewer.reply(turn.response.id, reply, channel="fake")
        assert turn.error is None, turn.error
    assert turn.completed
    assert ("answer", "heard", "no") in recorder.events
    assert ("answer", "age", 44) in recorder.events
    assert [e for e in recorder.events if e[0] == "completed"] == [("completed", turn.response.id, "sample")]
    again = interviewer.reply(turn.response.id, "anything")
    assert again.completed
    assert len([e for e in recorder.events if e[0] == "completed"]) == 1  # once per response


def test_hook_response_abandoned(rightsaware_runtime, recorder) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    interviewer.abandon(turn.response.id, "expired")
    interviewer.abandon(turn.response.id, "expired")
    assert recorder.events == [("abandoned", turn.response.id, "expired")]
    assert rightsaware_runtime.store.load_response(turn.response.id).status == "abandoned"


def test_invalid_reply_keeps_the_question_and_stores_nothing(rightsaware_runtime) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    bad = interviewer.reply(turn.response.id, "purple")
    assert bad.error is not None and bad.question.name == "heard"
    assert rightsaware_runtime.store.load_response(turn.response.id).answers == {}
    message = bad.error.format(rightsaware_runtime.messages("cy")._)
    assert message != bad.error.format()  # the hint is shown in Welsh


def test_language_switch_mid_interview(rightsaware_runtime) -> None:
    store = rightsaware_runtime.store
    respondent = store.ensure_respondent("fake", "+447700900123")
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake", respondent_id=respondent)
    turn = interviewer.reply(turn.response.id, "1")
    switched = interviewer.reply(turn.response.id, "GÀIDHLIG")
    assert switched.intent == "language"
    assert switched.response.language == "gd"
    assert switched.question.name == "age"  # carries on where it was
    assert store.respondent(respondent).language == "gd"  # remembered for the respondent
    later = interviewer.start("sample", channel="fake", respondent_id=respondent)
    assert later.response.language == "gd"


def test_back_and_help_commands(rightsaware_runtime) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    turn = interviewer.reply(turn.response.id, "yes")
    assert turn.question.name == "age"
    back = interviewer.reply(turn.response.id, "BACK")
    assert back.intent == "back" and back.question.name == "heard"
    helped = interviewer.reply(back.response.id, "HELP")
    assert helped.intent == "help" and helped.question.name == "heard"


def test_change_an_answer_by_name(rightsaware_runtime) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    rid = turn.response.id
    interviewer.answer(rid, "heard", "yes")
    interviewer.answer(rid, "age", "30")
    turn = interviewer.answer(rid, "barriers", ["time", "language"])
    assert turn.response.answers["barriers"].value == ("time", "language")
    turn = interviewer.answer(rid, "heard", "no")
    assert "barriers" not in turn.response.answers


def test_submit_all_like_paper(rightsaware_runtime, recorder) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake", language="gd")
    turn, errors = interviewer.submit_all(turn.response.id, {"heard": "1", "age": "15", "barriers": "2", "comment": "Glè mhath"})
    assert set(errors) == {"age"}
    assert not turn.completed
    turn, errors = interviewer.submit_all(turn.response.id, {"age": "70"})
    assert errors == {} and turn.completed
    assert turn.response.answers["comment"].value == "Glè mhath"


def test_concurrent_replies_lose_nothing(rightsaware_runtime) -> None:
    """Many threads answering named questions of one response at once: every answer lands."""
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    rid = turn.response.id
    interviewer.answer(rid, "heard", "yes")
    errors: list[BaseException] = []

    def work(name: str, value: str) -> None:
        try:
            result = interviewer.answer(rid, name, value)
            assert result.error is None
        except BaseException as exc:  # noqa: BLE001 - collected for the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=args) for args in
               [("age", "50"), ("barriers", "1 2"), ("comment", "Iawn")] * 3]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    final = rightsaware_runtime.store.load_response(rid)
    assert final.answers["age"].value == 50
    assert final.answers["barriers"].value == ("time", "transport")
    assert final.answers["comment"].value == "Iawn"
    assert final.status == "completed"


def test_instrument_changed_without_new_version_is_refused(rightsaware_runtime, sample_instrument) -> None:
    import attrs

    from rightsaware.errors import InstrumentConflict

    interviewer = Interviewer(rightsaware_runtime)
    interviewer.start("sample", channel="fake")
    changed = attrs.evolve(sample_instrument, title="Another title").with_hash("f" * 64)
    with pytest.raises(InstrumentConflict, match="version"):
        rightsaware_runtime.store.record_instrument(changed.id, changed.version, changed.content_hash)


def test_finish_closes_a_sheet_with_blanks(rightsaware_runtime, recorder) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    turn, errors = interviewer.submit_all(turn.response.id, {"heard": "2"})
    assert not turn.completed and turn.question.name == "age"
    finished = interviewer.finish(turn.response.id)
    assert finished.completed and "age" not in finished.response.answers
    assert [e for e in recorder.events if e[0] == "completed"] == [("completed", turn.response.id, "sample")]
    assert interviewer.finish(turn.response.id).completed  # idempotent
    assert len([e for e in recorder.events if e[0] == "completed"]) == 1


def test_skip_on_a_required_question_is_refused_not_stored(rightsaware_runtime) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    refused = interviewer.reply(turn.response.id, "SKIP")
    assert refused.intent == "skip" and refused.error is not None and refused.question.name == "heard"
    assert rightsaware_runtime.store.load_response(turn.response.id).answers == {}

"""Deferred completion: a channel that shows "Check your answers" completes with complete()."""

from __future__ import annotations

import pytest

from rightsaware.interview import Interviewer
from rightsaware.plugins import hookimpl


class Completed:
    def __init__(self) -> None:
        self.ids: list[str] = []

    @hookimpl
    def response_completed(self, response, instrument):
        self.ids.append(response.id)


@pytest.fixture
def completed(rightsaware_runtime) -> Completed:
    plugin = Completed()
    rightsaware_runtime.pm.register(plugin, name="completed")
    return plugin


def answer_all(interviewer: Interviewer, response_id: str):
    turn = None
    for name, raw in (("heard", "no"), ("age", "44"), ("comment", "")):
        turn = interviewer.answer(response_id, name, raw, channel="fake")
        assert turn.error is None, turn.error
    return turn


def test_a_deferring_interviewer_completes_only_when_asked(rightsaware_runtime, completed) -> None:
    interviewer = Interviewer(rightsaware_runtime, defer_completion=True)
    response_id = interviewer.start("sample", channel="fake").response.id
    early = interviewer.complete(response_id)  # questions left: nothing changes
    assert not early.completed and early.question.name == "heard" and early.response.revision == 0
    turn = answer_all(interviewer, response_id)
    assert turn.question is None and not turn.completed  # nothing left to ask, not yet sent
    stored = rightsaware_runtime.store.load_response(response_id)
    assert stored.status == "active" and stored.completed_at is None and completed.ids == []
    changed = interviewer.answer(response_id, "age", "45", channel="fake")  # still changeable
    assert changed.response.status == "active" and changed.response.answers["age"].value == 45
    done = interviewer.complete(response_id)
    assert done.completed and done.response.completed_at is not None and completed.ids == [response_id]
    assert rightsaware_runtime.store.load_response(response_id).status == "completed"
    again = interviewer.complete(response_id)  # sent twice: completed (and announced) once
    assert again.completed and again.response.revision == done.response.revision and completed.ids == [response_id]


def test_without_deferral_the_last_answer_completes(rightsaware_runtime, completed) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    response_id = interviewer.start("sample", channel="fake").response.id
    turn = answer_all(interviewer, response_id)
    assert turn.completed and completed.ids == [response_id]
    assert interviewer.complete(response_id).response.revision == turn.response.revision  # nothing more


def test_finish_still_closes_a_deferred_response(rightsaware_runtime, completed) -> None:
    interviewer = Interviewer(rightsaware_runtime, defer_completion=True)
    response_id = interviewer.start("sample", channel="fake").response.id
    interviewer.answer(response_id, "heard", "yes", channel="fake")
    turn = interviewer.finish(response_id)  # a paper sheet with blanks
    assert turn.completed and completed.ids == [response_id]

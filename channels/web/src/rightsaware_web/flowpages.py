"""Navigation between a response's pages, decided from the engine's view of the response.

Which page comes next, which page "Back" goes to and what the progress line says are all
read from :class:`rightsaware.flow.Engine` (skip logic, relevance, what is answered):
the pages never evaluate an expression themselves.
"""

from __future__ import annotations

from typing import Any

from rightsaware.response import STATUS_ACTIVE, STATUS_COMPLETED

from . import events


def relevant_answerable(engine: Any, response: Any) -> list[Any]:
    return [q for q in engine.relevant_questions(response) if q.answerable]


def is_finished(engine: Any, response: Any) -> bool:
    """Every relevant question is answered (the engine completed the response)."""
    if response.status == STATUS_COMPLETED:
        return True
    return response.status == STATUS_ACTIVE and engine.next_question(response) is None


def next_page(site: Any, request: Any, engine: Any, response: Any, *, embed: bool, change: bool = False,
              after: Any = None, sent: bool | None = None) -> str:
    """Where the respondent goes now: done, the next question or "Check your answers".

    After answering ``after``, the next question in order is shown even when it is already
    answered (the respondent is stepping through their answers with Back and Continue),
    unless an unanswered question comes first. In change mode (from "Check your answers")
    only questions that skip logic newly asks are shown before returning there. ``sent``
    says whether the answers were sent, when the caller knows (else the store is asked).
    """
    instrument_id = response.instrument_id
    if sent if sent is not None else events.is_submitted(site.runtime.store, response):
        return site.survey_url(request, instrument_id, "done", embed=embed)
    unanswered = engine.next_question(response) if response.status == STATUS_ACTIVE else None
    target = unanswered
    if after is not None and not change:
        order = {q.name: i for i, q in enumerate(engine.questions)}
        later = [q for q in relevant_answerable(engine, response) if order[q.name] > order[after.name]]
        if later and (target is None or order[later[0].name] < order[target.name]):
            target = later[0]
    if target is None:
        return site.survey_url(request, instrument_id, "check", embed=embed)
    return site.survey_url(request, instrument_id, "q/" + target.name, embed=embed, change="1" if change else None)


def previous_page(site: Any, request: Any, engine: Any, response: Any, question: Any, *, embed: bool,
                  change: bool) -> str:
    """The Back link: "Check your answers" in change mode, else the previous answered question."""
    if change:
        return site.survey_url(request, response.instrument_id, "check", embed=embed)
    earlier = []
    for q in relevant_answerable(engine, response):
        if q.name == question.name:
            break
        if q.name in response.answers:
            earlier.append(q)
    if earlier:
        return site.survey_url(request, response.instrument_id, "q/" + earlier[-1].name, embed=embed)
    return site.survey_url(request, response.instrument_id, embed=embed)


def last_question_page(site: Any, request: Any, engine: Any, response: Any, *, embed: bool) -> str:
    """The Back link of "Check your answers": the last relevant question."""
    questions = relevant_answerable(engine, response)
    if not questions:
        return site.survey_url(request, response.instrument_id, embed=embed)
    return site.survey_url(request, response.instrument_id, "q/" + questions[-1].name, embed=embed)


def progress(engine: Any, response: Any, question: Any) -> tuple[int, int, int]:
    """(position of ``question``, relevant questions so far, questions still unanswered)."""
    questions = relevant_answerable(engine, response)
    names = [q.name for q in questions]
    position = names.index(question.name) + 1 if question.name in names else len(names)
    left = sum(1 for q in questions if q.name not in response.answers)
    return position, len(questions), left


def notes_before(engine: Any, response: Any, question: Any) -> list[Any]:
    """Notes to show above ``question``: the ones just before it and any not yet seen."""
    values = engine.values(response)
    index = next(i for i, q in enumerate(engine.questions) if q.name == question.name)
    chosen: dict[str, Any] = {}
    for q in reversed(engine.questions[:index]):
        if q.answerable:
            break
        if engine.is_relevant(q, values):
            chosen[q.name] = q
    if question.name not in response.answers:
        for note in engine.pending_notes(response, question):
            chosen.setdefault(note.name, note)
    order = {q.name: i for i, q in enumerate(engine.questions)}
    return sorted(chosen.values(), key=lambda q: order[q.name])


def closing_notes(engine: Any, response: Any) -> list[Any]:
    """Relevant notes after the last relevant question (a closing message)."""
    values = engine.values(response)
    questions = relevant_answerable(engine, response)
    last = questions[-1].name if questions else None
    index = next((i for i, q in enumerate(engine.questions) if q.name == last), -1)
    return [q for q in engine.questions[index + 1:] if not q.answerable and engine.is_relevant(q, values)]

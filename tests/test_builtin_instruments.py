"""Every built-in instrument through the engine in all three languages, with generated answers.

Random walks answer each instrument start to finish (hypothesis drives the choices): no
dead ends, every question reachable, every referral rule able to fire, and the same
answers given as Welsh or Gaelic labels store the same codes as in English.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rightsaware.expressions import parse
from rightsaware.flow import Engine
from rightsaware.i18n import Translator, localize
from rightsaware.library import InstrumentLibrary, builtin_instruments_dir
from rightsaware.referral import referral_topics
from rightsaware.response import Response

LIBRARY = InstrumentLibrary([builtin_instruments_dir()])
IDS = LIBRARY.ids()


def test_there_is_an_instrument_for_wales_and_for_scotland() -> None:
    jurisdictions = {LIBRARY.get(i).jurisdiction for i in IDS}
    assert {"wales", "scotland"} <= jurisdictions
    assert LIBRARY.problems == []
    for instrument_id in IDS:
        assert set(LIBRARY.get(instrument_id).languages) == {"en", "cy", "gd"}


def new_response(engine: Engine, language: str = "en") -> Response:
    inst = engine.instrument
    return Response(id="r", instrument_id=inst.id, instrument_version=inst.version, instrument_hash=inst.content_hash,
                    channel="test", language=language)


def random_reply(engine: Engine, question, rng: random.Random):
    """A reply the engine accepts for ``question`` (as raw values, language-neutral)."""
    choices = engine.choices(question)
    if question.kind == "select_one":
        return rng.choice(choices).name
    if question.kind == "select_multiple":
        return tuple(c.name for c in rng.sample(list(choices), rng.randint(1, min(3, len(choices)))))
    if question.kind == "integer":
        return rng.randint(16, 99)
    if question.kind == "decimal":
        return str(rng.randint(0, 1000) / 10)
    if question.kind == "date":
        return f"{rng.randint(1, 28)}/{rng.randint(1, 12)}/{rng.randint(1930, 2010)}"
    return rng.choice(["", "Iawn", "Tha gu math", "Fine"]) if not question.required else "Iawn"


def walk(engine: Engine, rng: random.Random) -> tuple[Response, list]:
    response = new_response(engine)
    given_replies = []
    for _step in range(len(engine.questions) + 1):
        question = engine.next_question(response)
        if question is None:
            return response, given_replies
        for _attempt in range(20):
            reply = random_reply(engine, question, rng)
            outcome = engine.answer(response, question.name, reply)
            if outcome.error is None:
                break
        else:
            raise AssertionError(f"no accepted reply for {question.name}: dead end")
        response = outcome.response
        given_replies.append((question.name, reply))
    raise AssertionError("the interview never ends")


@pytest.fixture(scope="module")
def engines() -> dict[str, Engine]:
    return {i: Engine(LIBRARY.get(i)) for i in IDS}


@pytest.mark.parametrize("instrument_id", IDS)
def test_no_dead_ends_every_question_reachable_every_rule_fires(engines, instrument_id) -> None:
    engine = engines[instrument_id]
    instrument = engine.instrument
    reached: set[str] = set()
    fired: set[int] = set()
    for seed in range(400):
        response, _replies = walk(engine, random.Random(seed))
        assert response.status == "completed"
        reached |= set(response.answers) | set(response.seen_notes)
        values = response.values()
        for index, rule in enumerate(instrument.referrals):
            if parse(rule.when).is_true(values):
                fired.add(index)
                assert set(rule.topics) <= set(referral_topics(instrument, values))
        if len(fired) == len(instrument.referrals) and reached >= {q.name for q in instrument.questions}:
            break
    assert {q.name for q in instrument.questions} - reached == set()
    assert set(range(len(instrument.referrals))) - fired == set()


@pytest.mark.parametrize("instrument_id", IDS)
def test_nothing_is_asked_without_consent(engines, instrument_id) -> None:
    engine = engines[instrument_id]
    response = new_response(engine)
    while (question := engine.next_question(response)) is not None and question.name != "consent":
        response = engine.answer(response, question.name, random_reply(engine, question, random.Random(1))).response
    response = engine.answer(response, "consent", "no").response
    assert response.status == "completed"
    assert set(response.answers) == {"consent"}


@pytest.fixture(scope="module")
def translator() -> Translator:
    translator = Translator.with_core()
    for instrument_id in IDS:
        entry = LIBRARY.entry(instrument_id)
        translator.add_instrument(entry.instrument, entry.path)
    return translator


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(min_value=0, max_value=10_000), instrument_id=st.sampled_from(IDS))
def test_same_answers_same_codes_in_every_language(translator, seed, instrument_id) -> None:
    instrument = LIBRARY.get(instrument_id)
    english, replies = walk(Engine(instrument), random.Random(seed))
    for language in ("cy", "gd"):
        text = localize(instrument, translator.messages(language))

        def labels(question, choice, lang, _text={}):  # noqa: B006 - a per-call cache
            if lang not in _text:
                _text[lang] = localize(instrument, translator.messages(lang))
            return [_text[lang].choice_label(question, choice)]

        engine = Engine(instrument, choice_labels=labels)
        response = new_response(engine, language)
        for name, reply in replies:
            question = engine.question(name)
            choices = {c.name: c for c in engine.choices(question)}
            if question.kind == "select_one":
                reply = text.choice_label(question, choices[reply])
            elif question.kind == "select_multiple":
                reply = [text.choice_label(question, choices[code]) for code in reply]
            outcome = engine.answer(response, name, reply)
            assert outcome.error is None, (language, name, reply, outcome.error)
            response = outcome.response
        assert response.values() == english.values()

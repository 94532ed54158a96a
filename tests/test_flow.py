"""The interview engine: skip logic, parsing per kind, validation, back, language, paper."""

from __future__ import annotations

import datetime as dt
import decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rightsaware.flow import MSG_CHOICE, MSG_CONSTRAINT, MSG_NOT_A_QUESTION, MSG_REQUIRED, Engine
from rightsaware.loading import loads_instrument
from rightsaware.response import Response
from rightsaware.testing import SAMPLE_INSTRUMENT

KINDS = SAMPLE_INSTRUMENT + """
[[questions]]
name = "score"
type = "decimal"
label = "Score?"
required = false

[[questions]]
name = "born"
type = "date"
label = "Born?"
required = false

[[questions]]
name = "aware"
type = "select_one aware"
label = "Do you know your rights?"
required = false
"""
KINDS = KINDS.replace(
    'barriers = [',
    'aware = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" }, { name = "not_sure", label = "Not sure" } ]\nbarriers = [',
)


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine(loads_instrument(KINDS))


def new_response(engine: Engine, language: str = "en") -> Response:
    inst = engine.instrument
    return Response(id="r1", instrument_id=inst.id, instrument_version=inst.version,
                    instrument_hash=inst.content_hash, channel="test", language=language)


def answer_all(engine: Engine, response: Response, replies: dict) -> Response:
    for name, raw in replies.items():
        outcome = engine.answer(response, name, raw)
        assert outcome.error is None, (name, outcome.error)
        response = outcome.response
    return response


def test_first_question_and_notes(engine: Engine) -> None:
    response = new_response(engine)
    question = engine.next_question(response)
    assert question.name == "heard"
    assert [n.name for n in engine.pending_notes(response, question)] == ["intro"]
    after = engine.answer(response, "heard", "1").response
    assert "intro" in after.seen_notes
    assert engine.pending_notes(after, engine.next_question(after)) == []


def test_skip_logic_follows_answers(engine: Engine) -> None:
    response = new_response(engine)
    no = answer_all(engine, response, {"heard": "2", "age": "40"})
    assert engine.next_question(no).name == "comment"  # barriers skipped when heard = no
    yes = answer_all(engine, response, {"heard": "yes", "age": "40"})
    assert engine.next_question(yes).name == "barriers"


def test_changing_an_answer_drops_answers_no_longer_asked(engine: Engine) -> None:
    response = answer_all(engine, new_response(engine), {"heard": "yes", "age": "40", "barriers": "1 2"})
    assert "barriers" in response.answers
    changed = engine.answer(response, "heard", "no").response
    assert "barriers" not in changed.answers
    assert "barriers" not in changed.history


@pytest.mark.parametrize(
    ("reply", "code"),
    [("1", "yes"), ("2", "no"), ("yes", "yes"), ("YES", "yes"), (" No. ", "no"), ("ydw", "yes"),
     ("Nac ydw", "no"), ("tha", "yes"), ("chan eil", "no"), ("y", "yes")],
)
def test_select_one_by_number_code_label_and_words(engine: Engine, reply: str, code: str) -> None:
    assert engine.parse(engine.question("heard"), reply) == code


def test_select_one_unknown_reply_is_an_error_not_a_guess(engine: Engine) -> None:
    for reply in ("3", "0", "maybe tomorrow", "1 2"):
        result = engine.parse(engine.question("heard"), reply)
        assert result.message == MSG_CHOICE, reply
        assert result.params == {"count": 2}


def test_dont_know_words_map_to_not_sure(engine: Engine) -> None:
    assert engine.parse(engine.question("aware"), "not sure") == "not_sure"
    assert engine.parse(engine.question("aware"), "3") == "not_sure"


@pytest.mark.parametrize(
    ("reply", "codes"),
    [("1 3", ("time", "language")), ("3,1", ("time", "language")), ("1, 2", ("time", "transport")),
     ("transport", ("transport",)), ("Time and Language", ("time", "language")), ("2 2", ("transport",))],
)
def test_select_multiple(engine: Engine, reply: str, codes: tuple) -> None:
    assert engine.parse(engine.question("barriers"), reply) == codes


def test_select_multiple_refuses_unknown_parts(engine: Engine) -> None:
    assert engine.parse(engine.question("barriers"), "1 9").message == MSG_CHOICE


@pytest.mark.parametrize(("reply", "value"), [("42", 42), (" 1,234 ", 1234), ("-3", -3), (7, 7)])
def test_integer(engine: Engine, reply, value) -> None:
    assert engine.parse(engine.question("age"), reply) == value


@pytest.mark.parametrize("reply", ["4.5", "forty", "1e3", True, 10**20, "1" * 30])
def test_integer_refuses(engine: Engine, reply) -> None:
    assert isinstance(engine.parse(engine.question("age"), reply), type(engine.parse(engine.question("age"), "x")))


@pytest.mark.parametrize(("reply", "value"), [("3.5", "3.5"), ("3,5", "3.5"), ("1,234.5", "1234.5"), ("-.5", "-0.5")])
def test_decimal(engine: Engine, reply, value) -> None:
    assert engine.parse(engine.question("score"), reply) == decimal.Decimal(value)


@pytest.mark.parametrize(
    ("reply", "value"),
    [("2024-05-31", dt.date(2024, 5, 31)), ("31/5/2024", dt.date(2024, 5, 31)), ("31.05.1990", dt.date(1990, 5, 31)),
     ("1/2/99", dt.date(1999, 2, 1)), ("1/2/05", dt.date(2005, 2, 1))],
)
def test_date(engine: Engine, reply, value) -> None:
    assert engine.parse(engine.question("born"), reply) == value


def test_date_refuses_impossible_dates(engine: Engine) -> None:
    assert not isinstance(engine.parse(engine.question("born"), "31/2/2024"), dt.date)
    assert not isinstance(engine.parse(engine.question("born"), "tomorrow"), dt.date)


def test_text_is_nfc(engine: Engine) -> None:
    decomposed = "Cymraeg: dw^r".replace("w^", "w\u0302")
    assert engine.parse(engine.question("comment"), decomposed) == "Cymraeg: d\u0175r"


def test_required_and_constraint(engine: Engine) -> None:
    response = new_response(engine)
    assert engine.answer(response, "heard", "").error.message == MSG_REQUIRED
    response = engine.answer(response, "heard", "1").response
    outcome = engine.answer(response, "age", "12")
    assert outcome.error.message == MSG_CONSTRAINT
    assert outcome.error.custom == "Please give an age between 16 and 120."
    assert outcome.response is response  # nothing changed


def test_optional_question_can_be_skipped(engine: Engine) -> None:
    response = answer_all(engine, new_response(engine), {"heard": "2", "age": "30"})
    skipped = engine.skip(response, "comment")
    assert skipped.error is None
    assert skipped.response.answers["comment"].skipped
    assert engine.skip(new_response(engine), "heard").error.message == MSG_REQUIRED


def test_questions_not_asked_cannot_be_answered(engine: Engine) -> None:
    response = answer_all(engine, new_response(engine), {"heard": "no"})
    assert engine.answer(response, "barriers", "1").error.message == MSG_NOT_A_QUESTION
    assert engine.answer(response, "nope", "1").error.message == MSG_NOT_A_QUESTION
    assert engine.answer(response, "intro", "1").error.message == MSG_NOT_A_QUESTION


def test_completion(engine: Engine) -> None:
    replies = {"heard": "no", "age": "70", "comment": "", "score": "", "born": "", "aware": "1"}
    response = new_response(engine)
    for index, (name, raw) in enumerate(replies.items()):
        outcome = engine.answer(response, name, raw)
        response = outcome.response
        assert outcome.completed == (index == len(replies) - 1)
    assert response.status == "completed"
    assert response.completed_at is not None
    assert engine.next_question(response) is None


def test_back_withdraws_the_last_answer(engine: Engine) -> None:
    response = answer_all(engine, new_response(engine), {"heard": "yes", "age": "40"})
    back = engine.back(response)
    assert "age" not in back.answers
    assert engine.next_question(back).name == "age"
    fresh = new_response(engine)
    assert engine.back(fresh) is fresh


def test_switch_language_keeps_answers(engine: Engine) -> None:
    response = answer_all(engine, new_response(engine), {"heard": "yes"})
    switched = engine.switch_language(response, "cy")
    assert switched.language == "cy"
    assert switched.answers == response.answers
    assert engine.next_question(switched).name == "age"
    later = engine.answer(switched, "age", "33").response
    assert later.answers["age"].language == "cy"


def test_submit_all_validates_like_one_at_a_time(engine: Engine) -> None:
    response, errors = engine.submit_all(new_response(engine), {
        "heard": "no", "age": "200", "barriers": "1", "comment": "hello", "unknown": "x",
    })
    assert set(errors) == {"age", "unknown"}
    assert errors["age"].message == MSG_CONSTRAINT
    assert "barriers" not in response.answers  # not relevant when heard = no
    assert response.answers["comment"].value == "hello"
    assert response.answers["heard"].value == "no"


def test_progress(engine: Engine) -> None:
    response = new_response(engine)
    assert engine.progress(response) == (0, 6)
    response = answer_all(engine, response, {"heard": "yes"})
    assert engine.progress(response) == (1, 6)
    response = engine.answer(response, "heard", "no").response
    assert engine.progress(response) == (1, 5)


def test_answers_are_codes_in_every_language(engine: Engine) -> None:
    welsh = engine.answer(new_response(engine, "cy"), "heard", "ydw").response
    gaelic = engine.answer(new_response(engine, "gd"), "heard", "tha").response
    english = engine.answer(new_response(engine), "heard", "Yes").response
    assert welsh.answers["heard"].value == gaelic.answers["heard"].value == english.answers["heard"].value == "yes"


def test_labels_in_other_languages_are_matched() -> None:
    instrument = loads_instrument(KINDS)
    welsh = {("heard", "yes"): "Ydw, rwy wedi clywed", ("heard", "no"): "Nac ydw, dim eto"}

    def labels(question, choice, language):
        return [welsh.get((question.name, choice.name), "")] if language == "cy" else []

    engine = Engine(instrument, choice_labels=labels)
    assert engine.parse(engine.question("heard"), "nac ydw, dim eto") == "no"
    assert engine.parse(engine.question("heard"), "YDW, RWY WEDI CLYWED") == "yes"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40), st.sampled_from(["heard", "age", "barriers", "comment", "score", "born", "aware"]))
def test_random_replies_never_crash(reply: str, name: str) -> None:
    engine = Engine(loads_instrument(KINDS))
    response = answer_all(engine, new_response(engine), {"heard": "yes"}) if name != "heard" else new_response(engine)
    outcome = engine.answer(response, name, reply)
    assert outcome.error is not None or name in outcome.response.answers


def test_forms_send_codes_and_typed_replies_use_positions() -> None:
    from rightsaware.flow import ChoiceCode, as_choice_codes

    scale = ", ".join(f'{{ name = "{code}", label = "Level {code}" }}' for code in ("5", "4", "3", "2", "1"))
    instrument = loads_instrument(
        'id = "reverse"\nversion = "1"\ntitle = "Reverse"\n\n[choices]\n'
        f'agree = [ {scale} ]\n\n[[questions]]\nname = "q"\ntype = "select_one agree"\nlabel = "Agree?"\n'
        '\n[[questions]]\nname = "m"\ntype = "select_multiple agree"\nlabel = "Which?"\n')
    engine = Engine(instrument)
    one, many = engine.question("q"), engine.question("m")
    assert engine.parse(one, "1") == "5"  # typed (SMS, terminal): the first option shown
    assert engine.parse(one, as_choice_codes(one, "1")) == "1"  # a form's radio button: the code
    assert type(engine.parse(one, ChoiceCode("1"))) is str
    assert engine.parse(many, as_choice_codes(many, ("1", "2"))) == ("2", "1")  # in the order shown
    assert engine.parse(one, ChoiceCode("6")).message == MSG_CHOICE  # no such code: never a position
    assert engine.parse(one, ChoiceCode("Level 1")).message == MSG_CHOICE  # nor a label
    assert as_choice_codes(engine.question("q"), None) is None

"""Reading, validating and writing instrument files; every kind of bad input."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rightsaware.converter import make_converter
from rightsaware.errors import InstrumentError
from rightsaware.instrument import Instrument, SelectMultiple, SelectOne
from rightsaware.loading import content_hash, dumps_instrument, load_instrument, loads_instrument
from rightsaware.testing import SAMPLE_INSTRUMENT

GOOD = SAMPLE_INSTRUMENT


def problems_of(text: str, tmp_path=None) -> list[str]:
    with pytest.raises(InstrumentError) as info:
        loads_instrument(text, file="s.toml")
    assert info.value.problems, "an InstrumentError always lists its problems"
    return [str(p) for p in info.value.problems]


def test_sample_loads_with_kinds_and_hash() -> None:
    instrument = loads_instrument(GOOD)
    assert instrument.id == "sample"
    assert [q.kind for q in instrument.questions] == ["note", "select_one", "integer", "select_multiple", "text"]
    assert isinstance(instrument.question("heard"), SelectOne)
    assert isinstance(instrument.question("barriers"), SelectMultiple)
    assert instrument.question("intro").required is False
    assert instrument.question("heard").required is True
    assert len(instrument.content_hash) == 64


def test_round_trip_through_toml_and_converter() -> None:
    instrument = loads_instrument(GOOD)
    again = loads_instrument(dumps_instrument(instrument))
    assert again == instrument
    assert again.content_hash == instrument.content_hash
    converter = make_converter()
    assert converter.structure(converter.unstructure(instrument), Instrument) == instrument


def test_hash_ignores_formatting_but_not_content() -> None:
    a = loads_instrument(GOOD)
    b = loads_instrument(GOOD.replace('label = "How old are you?"', 'label   =   "How old are you?"'))
    c = loads_instrument(GOOD.replace("How old are you?", "What is your age?"))
    assert a.content_hash == b.content_hash
    assert a.content_hash != c.content_hash
    assert content_hash(a) == a.content_hash


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InstrumentError, match="no such file"):
        load_instrument(tmp_path / "nope.toml")


def test_folder_instead_of_file(tmp_path) -> None:
    with pytest.raises(InstrumentError, match="folder"):
        load_instrument(tmp_path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\x00\x01\x02binary", "binary"),
        ("title = 'Caf\u00e9'".encode("latin-1"), "UTF-8"),
        (b"id = 'x'\nversion = \n", "not valid TOML"),
    ],
)
def test_unreadable_files(tmp_path, content: bytes, expected: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content)
    with pytest.raises(InstrumentError, match=expected) as info:
        load_instrument(path)
    assert str(path) in str(info.value)


def test_toml_syntax_error_has_line(tmp_path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('id = "x"\nversion = "1"\ntitle = "T"\n[[questions]\nname = "a"\n', encoding="utf-8")
    with pytest.raises(InstrumentError) as info:
        load_instrument(path)
    assert info.value.problems[0].line == 4


def test_valid_toml_that_is_not_an_instrument() -> None:
    assert any("not an instrument" in p for p in problems_of('[tool.poetry]\nname = "x"\n'))


def test_misspelt_key_is_reported_with_line_and_path() -> None:
    text = GOOD.replace('label = "How old are you?"', 'lable = "How old are you?"')
    problems = problems_of(text)
    assert any("questions[2]" in p and "lable" in p for p in problems), problems
    assert any(":17:" in p or ":18:" in p or ":16:" in p for p in problems), problems


def test_wrong_types_are_refused_not_coerced() -> None:
    text = GOOD.replace('label = "How old are you?"', "label = 42").replace("required = false", 'required = "no"')
    problems = problems_of(text)
    assert any("questions[2].label" in p and "text" in p for p in problems), problems
    assert any("questions[3].required" in p for p in problems), problems


def test_languages_must_be_a_list_of_known_codes() -> None:
    assert any("languages" in p for p in problems_of(GOOD.replace('["en", "cy", "gd"]', '"en"')))
    assert any("unknown language 'fr'" in p for p in problems_of(GOOD.replace('["en", "cy", "gd"]', '["en", "fr"]')))


def test_duplicate_question_names() -> None:
    text = GOOD.replace('name = "comment"', 'name = "heard"')
    assert any("duplicate question name 'heard'" in p for p in problems_of(text))


def test_unknown_type_and_unknown_list() -> None:
    problems = problems_of(GOOD.replace('type = "integer"', 'type = "integr"'))
    assert any("unknown question type 'integr'" in p and "questions[2]" in p for p in problems), problems
    problems = problems_of(GOOD.replace('type = "select_one yes_no"', 'type = "select_one yes_noo"'))
    assert any("unknown choice list 'yes_noo'" in p for p in problems), problems
    problems = problems_of(GOOD.replace('type = "select_one yes_no"', 'type = "select_one"'))
    assert any("needs the name of a choice list" in p for p in problems), problems


def test_empty_choice_list_and_bad_choice() -> None:
    text = GOOD.replace(
        'yes_no = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" } ]',
        'yes_no = []',
    )
    assert any("choice list 'yes_no' is empty" in p for p in problems_of(text))
    text = GOOD.replace('{ name = "no", label = "No" }', '{ name = "yes", label = "No" }')
    assert any("duplicate choice name 'yes'" in p for p in problems_of(text))
    text = GOOD.replace('{ name = "no", label = "No" }', '{ name = "no way", label = "No" }')
    assert any("invalid choice name 'no way'" in p for p in problems_of(text))
    text = GOOD.replace('{ name = "no", label = "No" }', '{ nam = "no", label = "No" }')
    problems = problems_of(text)
    assert any("choices.yes_no[1]" in p for p in problems), problems


def test_invalid_names() -> None:
    assert any("invalid question name '2nd'" in p for p in problems_of(GOOD.replace('name = "comment"', 'name = "2nd"')))
    assert any("id 'My Survey'" in p for p in problems_of(GOOD.replace('id = "sample"', 'id = "My Survey"')))


def test_broken_and_unsafe_expressions() -> None:
    problems = problems_of(GOOD.replace("${heard} = 'yes'", "${heard} = 'yes' and ("))
    assert any("questions[3].relevant" in p for p in problems), problems
    problems = problems_of(GOOD.replace("${heard} = 'yes'", "__import__('os').system('x')"))
    assert any("questions[3].relevant" in p for p in problems), problems
    problems = problems_of(GOOD.replace("${heard} = 'yes'", "${hread} = 'yes'"))
    assert any("hread" in p for p in problems), problems


def test_relevant_cannot_use_itself_or_dot() -> None:
    assert any("itself" in p for p in problems_of(GOOD.replace("${heard} = 'yes'", "${barriers} = 'x'")))
    assert any("only be used in a constraint" in p for p in problems_of(GOOD.replace("${heard} = 'yes'", ". = 'x'")))


def test_note_cannot_have_a_constraint() -> None:
    text = GOOD.replace('label = "A few questions about taking part."', 'label = "A few."\nconstraint = ". > 1"')
    assert any("a note cannot have a constraint" in p for p in problems_of(text))


def test_content_hash_cannot_be_written() -> None:
    assert any("content_hash" in p for p in problems_of('content_hash = "x"\n' + GOOD))


def test_referral_rules_are_checked() -> None:
    text = GOOD + '\n[[referrals]]\nwhen = "${nothere} = 1"\ntopics = ["x"]\n'
    assert any("referrals[0].when" in p for p in problems_of(text))
    text = GOOD + '\n[[referrals]]\nwhen = "${heard} = \'no\'"\ntopics = []\n'
    assert any("at least one topic" in p for p in problems_of(text))


def test_every_problem_is_listed_at_once() -> None:
    text = GOOD.replace('type = "integer"', 'type = "integr"').replace('label = "Anything else?"', "label = 1")
    assert len(problems_of(text)) == 2
    text = GOOD.replace('name = "comment"', 'name = "heard"').replace('type = "select_one yes_no"', 'type = "select_one x"')
    assert len(problems_of(text)) == 2


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_random_text_never_crashes_the_loader(text: str) -> None:
    try:
        loads_instrument(text)
    except InstrumentError:
        pass


@settings(max_examples=100, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "version", "title", "questions", "choices", "languages", "x"]),
                       st.one_of(st.text(max_size=5), st.integers(), st.lists(st.dictionaries(st.text(max_size=5), st.text(max_size=5)), max_size=3)),
                       max_size=6))
def test_random_structures_never_crash(data) -> None:
    import tomli_w

    try:
        text = tomli_w.dumps(data)
    except Exception:  # noqa: BLE001 - not representable as TOML; nothing to test
        return
    try:
        loads_instrument(text)
    except InstrumentError:
        pass


def test_dates_and_meta_survive_round_trip() -> None:
    text = GOOD.replace('name = "comment"\ntype = "text"', 'name = "when"\ntype = "date"') + '\n[meta]\nsource = "a"\n'
    instrument = loads_instrument(text)
    assert instrument.question("when").kind == "date"
    assert instrument.meta == {"source": "a"}
    assert loads_instrument(dumps_instrument(instrument)) == instrument
    assert dt.date  # the date kind stores datetime.date values (see test_flow)

"""Tests of the XLSForm expression subset: parsing, errors with positions, ODK semantics."""

from __future__ import annotations

import datetime as dt
import decimal
import math
import pickle
import tomllib
import types
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from rightsaware.errors import ExpressionError, RightsawareError
from rightsaware.expressions import (
    FUNCTIONS,
    MAX_NESTING,
    MAX_PATTERN_LENGTH,
    Expression,
    check_references,
    parse,
)

DOCS = Path(__file__).resolve().parents[1] / "docs" / "expressions.md"


def value(source: str, values: dict | None = None, current: object = None) -> object:
    return parse(source).evaluate(values or {}, current)


def truth(source: str, values: dict | None = None, current: object = None) -> bool:
    return parse(source).is_true(values or {}, current)


def error_of(source: str) -> ExpressionError:
    with pytest.raises(ExpressionError) as caught:
        parse(source)
    return caught.value


# --- operators and precedence ------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("1 + 2 * 3", 7.0),  # * before +
        ("(1 + 2) * 3", 9.0),
        ("2 * 3 + 4", 10.0),
        ("10 - 2 - 3", 5.0),  # left to right, not 10 - (2 - 3)
        ("12 div 2 div 3", 2.0),
        ("7 mod 4 * 2", 6.0),  # same level as *, left to right
        ("2 * 3 mod 4", 2.0),
        ("-2 * 3", -6.0),
        ("- - 2", 2.0),
        ("-(1 + 2)", -3.0),
        ("2 - -1", 3.0),
        ("-2 * -3", 6.0),
        ("1.5 + .5", 2.0),
        ("1 or 0 and 0", True),  # and before or
        ("0 and 0 or 1", True),
        ("0 = 1 > 2", True),  # < > before = : 0 = (1 > 2)
        ("1 + 2 = 3", True),  # + before =
        ("2 * 3 > 5", True),
        ("1 = 1 and 2 = 2", True),
        ("1 != 1 or 2 != 2", False),
        ("not(1 > 2) and 3 >= 3 and 2 <= 3 and 2 < 3", True),
    ],
)
def test_operators_and_precedence(source: str, expected: object) -> None:
    assert value(source) == expected


def test_division_and_remainder_follow_xpath() -> None:
    assert value("1 div 0") == math.inf
    assert value("-1 div 0") == -math.inf
    assert math.isnan(value("0 div 0"))
    assert math.isnan(value("5 mod 0"))
    assert value("-7 mod 3") == -1.0  # truncated like XPath, not Python's -7 % 3 == 2
    assert value("7 mod -3") == 1.0
    assert value("7.5 mod 2") == 1.5
    assert value("7 div 2") == 3.5


def test_long_chains_do_not_hit_the_recursion_limit() -> None:
    assert value(" + ".join(["${x}"] * 2000), {"x": 1}) == 2000.0
    assert truth(" or ".join(f"${{q{i}}} = 'yes'" for i in range(2000)), {"q1999": "yes"})
    assert not truth(" and ".join(["${x} = 1"] * 2000), {"x": 2})
    assert value(" - ".join(["10"] * 3)) == -10.0


# --- values and comparisons --------------------------------------------------------------


def test_unanswered_questions_behave_as_empty_text() -> None:
    for values in ({}, {"x": None}):
        assert truth("${x} = ''", values)
        assert not truth("${x} != ''", values)
        assert not truth("${x} > 5", values)
        assert not truth("${x} < 5", values)
        assert not truth("${x} = 0", values)
        assert truth("${x} != 0", values)
        assert value("string-length(${x})", values) == 0.0
        assert value("count-selected(${x})", values) == 0.0
        assert not truth("selected(${x}, 'a')", values)
        assert math.isnan(value("${x} + 1", values))
        assert not truth("${x}", values)


def test_answered_number_is_not_empty() -> None:
    assert truth("${age} != ''", {"age": 70})
    assert not truth("${age} = ''", {"age": 70})
    assert not truth("${age} = ''", {"age": 0})


@pytest.mark.parametrize(
    ("source", "values", "expected"),
    [
        ("${code} = 1", {"code": "1"}, True),  # numeric text compared with a number
        ("${code} = 1", {"code": "01"}, True),
        ("${code} = '1'", {"code": "1"}, True),
        ("${code} = '1'", {"code": "01"}, False),  # text with text: exact
        ("${code} = 'yes'", {"code": "yes"}, True),
        ("${code} = 'yes'", {"code": "Yes"}, False),
        ("${n} > '5'", {"n": 10}, True),  # numbers, not text order ('10' < '5')
        ("${n} = 12.5", {"n": decimal.Decimal("12.5")}, True),
        ("${n} * 2", {"n": decimal.Decimal("12.5")}, 25.0),
        ("${n} + 1", {"n": 41}, 42.0),
        ("${n} = 0.3", {"n": decimal.Decimal("0.1") + decimal.Decimal("0.2")}, True),
        ("0.1 + 0.2 = 0.3", {}, True),  # within 1e-12, as JavaRosa
        ("${m} = 'a b'", {"m": ("a", "b")}, True),  # select_multiple as ODK's text
        ("'abc' > 1", {}, False),
        ("'abc' < 1", {}, False),
        ("'abc' = 1", {}, False),
        ("'abc' != 1", {}, True),
        ("'b' > 'a'", {}, False),  # XPath compares text as numbers: NaN
        ("true() = 'x'", {}, True),  # booleans win: 'x' is true
        ("false() = ''", {}, True),
        ("true() = 0", {}, False),
        ("true() = 1", {}, True),
        ("true() > false()", {}, True),
    ],
)
def test_comparisons(source: str, values: dict, expected: object) -> None:
    assert value(source, values) == expected


def test_dates_compare_with_dates_and_iso_text() -> None:
    values = {"d": dt.date(2021, 6, 1), "e": dt.date(2020, 1, 1)}
    assert truth("${d} > '2020-01-01'", values)
    assert truth("'2020-01-01' < ${d}", values)
    assert truth("${d} = '2021-06-01'", values)
    assert truth("${d} = '2021-06-01T10:30:00'", values)
    assert truth("${d} >= date('2021-06-01')", values)
    assert not truth("${d} > date('2021-06-01')", values)
    assert truth("${d} > ${e}", values)
    assert truth("${e} != ${d}", values)
    assert truth("${d} <= today()", values)
    for bad in ("'soon'", "''", "'2021-02-30'"):
        assert not truth(f"${{d}} > {bad}", values)
        assert not truth(f"${{d}} < {bad}", values)
        assert not truth(f"${{d}} = {bad}", values)
        assert truth(f"${{d}} != {bad}", values)


def test_date_arithmetic_counts_days() -> None:
    values = {"d": dt.date(1970, 1, 11), "dob": dt.date(2000, 1, 1)}
    assert value("${d} + 1", values) == 11.0
    assert value("number(${d})", values) == 10.0
    assert value("date('2024-03-01') - date('2024-02-01')") == 29.0
    assert value("today() - ${dob}", values) == float((dt.date.today() - dt.date(2000, 1, 1)).days)
    assert value("date(${d} + 1)", values) == dt.date(1970, 1, 12)
    assert value("string(${d})", values) == "1970-01-11"
    assert value("${d}", {"d": dt.datetime(2024, 5, 6, 7, 8)}) == dt.date(2024, 5, 6)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("string(1 div 0)", "Infinity"),
        ("string(-1 div 0)", "-Infinity"),
        ("string(0 div 0)", "NaN"),
        ("string(2.0)", "2"),
        ("string(-0.5)", "-0.5"),
        ("string(1 div 100000)", "0.00001"),
        ("string(true())", "true"),
        ("string(false())", "false"),
        ("number('  12.5 ')", 12.5),
        ("number('-3')", -3.0),
        ("number(true())", 1.0),
        ("number(date('1970-01-11'))", 10.0),
        ("int(3.9)", 3.0),
        ("int(-3.9)", -3.0),
        ("int('7.2')", 7.0),
        ("int(1 div 0)", math.inf),
    ],
)
def test_conversions(source: str, expected: object) -> None:
    assert value(source) == expected


@pytest.mark.parametrize(
    "text", ["1e3", "12abc", "", "1,5", "--1", ".", "Infinity", "\u0661\u0662"]
)
def test_text_that_is_not_an_xpath_number_is_nan(text: str) -> None:
    assert math.isnan(value("number(${t})", {"t": text}))


def test_truth_of_values() -> None:
    assert not truth("0")
    assert truth("0.5")
    assert not truth("0 div 0")
    assert truth("'false'")  # non-empty text is true, as in XPath
    assert not truth("''")
    assert truth("${d}", {"d": dt.date(2020, 1, 1)})
    assert truth("${m}", {"m": ("a",)})
    assert not truth("${m}", {"m": ()})


# --- functions ---------------------------------------------------------------------------


def test_selected_on_tuples_and_space_separated_text() -> None:
    assert truth("selected(${m}, 'b')", {"m": ("a", "b")})
    assert not truth("selected(${m}, 'c')", {"m": ("a", "b")})
    assert not truth("selected(${m}, 'a b')", {"m": ("a", "b")})
    assert truth("selected(${m}, 'b')", {"m": "a b"})
    assert truth("selected(${m}, ' b ')", {"m": "a  b"})
    assert not truth("selected(${m}, 'ab')", {"m": "a b"})
    assert not truth("selected(${m}, '')", {"m": ("a",)})
    assert truth("selected(${m}, 1)", {"m": ("1", "2")})
    assert truth("selected(${one}, 'yes')", {"one": "yes"})  # select_one works too
    assert truth("selected(., 'x')", {}, ("x", "y"))
    assert truth("selected(concat('a', ' ', 'b'), 'b')")


def test_count_selected() -> None:
    assert value("count-selected(${m})", {"m": ("a", "b", "c")}) == 3.0
    assert value("count-selected(${m})", {"m": " a  b "}) == 2.0
    assert value("count-selected(${m})", {"m": ()}) == 0.0
    assert value("count-selected(.)", {}, ("a",)) == 1.0
    assert truth("count-selected(${m}) >= 2", {"m": ("a", "b")})


def test_string_length() -> None:
    assert value("string-length(${t})", {"t": "ŵyn"}) == 3.0  # characters, not bytes
    assert value("string-length(123)") == 3.0
    assert value("string-length()", {}, "hello") == 5.0
    assert parse("string-length()").uses_dot
    assert not parse("string-length(${t})").uses_dot


def test_if_and_coalesce() -> None:
    assert value("if(${age} >= 65, 'older', 'younger')", {"age": 70}) == "older"
    assert value("if(${age} >= 65, 'older', 'younger')", {"age": 30}) == "younger"
    assert value("if('', 'y', 'n')") == "n"
    assert value("if(${x}, 1, 2)", {"x": "no"}) == 1.0  # any non-empty text is true
    assert value("coalesce(${a}, ${b})", {"b": "landline"}) == "landline"
    assert value("coalesce(${a}, ${b})", {"a": "mobile", "b": "landline"}) == "mobile"
    assert value("coalesce(number('x'), 5)") == 5.0  # NaN counts as empty
    assert value("coalesce(0, 5)") == 0.0  # zero is a value


def test_regex_matches_the_whole_text_like_odk_collect() -> None:
    assert not truth("regex('abc', 'b')")  # Java's Pattern.matches: the whole string
    assert truth("regex('abc', '.*b.*')")
    assert truth("regex(., '^[0-9]{5}$')", {}, "12345")
    assert not truth("regex(., '[0-9]{5}')", {}, "123456")
    assert truth("regex(${age}, '[0-9]+')", {"age": 70})
    assert truth("regex(${t}, '[0-9]*')", {})
    assert truth("regex(${t}, '\\w+')", {"t": "Llanŵ"})
    assert truth("regex(${m}, '[a-z]+ [a-z]+')", {"m": ("ab", "cd")})


@pytest.mark.parametrize(
    "pattern",
    ["[0-9]+", "(ab)+", "(\\d{1,3}\\.){3}\\d{1,3}", "([a-z]+)?", "(a+)", "[(+)]+", "\\(a+\\)+"],
)
def test_safe_regex_patterns_are_accepted(pattern: str) -> None:
    parse(f"regex(., '{pattern}')")


@pytest.mark.parametrize("pattern", ["(a+)+", "(a*)*", "(\\w+\\s?)*$", "(a|b+){2,}", "((a+)b)+"])
def test_regex_with_nested_repetition_is_refused_at_load_time(pattern: str) -> None:
    err = error_of(f"regex(., '{pattern}')")
    assert "repeats a part that itself repeats" in err.message
    assert err.position == 9


def test_regex_pattern_must_be_quoted_valid_and_short() -> None:
    assert "in quotes" in error_of("regex(., ${pattern})").message
    assert "not a valid regular expression" in error_of("regex(., '[a-')").message
    longest = "a" * MAX_PATTERN_LENGTH
    parse(f"regex(., '{longest}')")
    err = error_of(f"regex(., '{longest}a')")
    assert f"{MAX_PATTERN_LENGTH + 1} characters" in err.message and err.position == 9


def test_text_functions() -> None:
    values = {"first": "Siân", "age": 70, "m": ("a", "b"), "d": dt.date(2024, 1, 2)}
    assert value("concat(${first}, ' (', ${age}, ') ', ${m}, ' ', ${d})", values) == (
        "Siân (70) a b 2024-01-02"
    )
    assert value("concat(${nobody})") == ""
    assert truth("contains(${c}, 'help')", {"c": "I need help now"})
    assert not truth("contains(${c}, 'Help')", {"c": "I need help now"})
    assert truth("contains(${c}, '')", {"c": "x"})
    assert truth("starts-with(${p}, 'SY')", {"p": "SY23 1AB"})
    assert not truth("starts-with(${p}, 'SY')", {"p": "LL57"})


def test_constants_and_today() -> None:
    assert value("true()") is True
    assert value("false()") is False
    before = dt.date.today()
    today = value("today()")
    assert today in {before, dt.date.today()} and type(today) is dt.date
    assert value("date('2024-02-29')") == dt.date(2024, 2, 29)
    assert value("date('2023-02-29')") == ""
    assert value("date('someday')") == ""
    assert value("not(${x})") is True
    assert value("not('x')") is False


def test_every_function_is_documented_for_authors() -> None:
    docs = DOCS.read_text(encoding="utf-8")
    missing = [name for name in FUNCTIONS if f"`{name}(" not in docs]
    assert not missing, f"docs/expressions.md does not document {missing}"


# --- dot, references and the Expression object -------------------------------------------


def test_dot_is_the_current_answer() -> None:
    expr = parse(". >= 18 and . < 120")
    assert expr.uses_dot and expr.references == frozenset()
    assert expr.is_true({}, 30)
    assert not expr.is_true({}, 12)
    assert not expr.is_true({}, None)
    assert not parse("${age} >= 18").uses_dot
    assert not parse("'.'").uses_dot
    assert value(".", {}, decimal.Decimal("2.5")) == 2.5


def test_references_are_the_question_names_used() -> None:
    expr = parse("${age} >= 65 and selected(${barriers}, 'transport') or ${age} < 0")
    assert expr.references == frozenset({"age", "barriers"})
    assert parse("'${not_a_reference}' = 'x'").references == frozenset()
    assert parse("${q.1-b_x} = 1").references == frozenset({"q.1-b_x"})


def test_check_references_reports_the_first_unknown_name_with_its_position() -> None:
    expr = parse("${age} > 1 and ${agee} < 3 and ${other} = 1")
    check_references(parse("${age} > 1"), ["age"])
    check_references(parse("1 = 1"), [])
    with pytest.raises(ExpressionError) as caught:
        check_references(expr, (name for name in ["age", "other"]))
    err = caught.value
    assert err.position == 15 and err.source == expr.source
    assert "'agee'" in err.message and "Did you mean ${age}?" in err.message
    assert "at character 16 of" in str(err)


def test_expression_object() -> None:
    expr = parse("${a} = 1")
    assert isinstance(expr, Expression) and expr.source == "${a} = 1"
    assert expr == parse("${a} = 1") and hash(expr) == hash(parse("${a} = 1"))
    assert expr != parse("${a} = 2")
    restored = pickle.loads(pickle.dumps(expr))
    assert restored == expr and restored.is_true({"a": 1})
    assert expr.is_true(types.MappingProxyType({"a": 1}))
    assert type(parse("1 = 1").is_true({})) is bool


# --- errors ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "position", "fragment"),
    [
        ("", 0, "empty"),
        ("   ", 0, "empty"),
        ("1 +", 3, "ends too early: something is missing after '+'"),
        ("(1 + 2", 6, "Missing ')' to close the '(' at character 1"),
        ("1 + 2)", 5, "Unexpected ')'"),
        ("(1 + )", 5, "Unexpected ')'"),
        ("${age} 65", 7, "is an operator such as 'and' or '=' missing"),
        ("= 1", 0, "Unexpected '='"),
        ("1 = = 1", 4, "Unexpected '='"),
        ("'abc", 0, "no closing quote"),
        ('1 = "abc', 4, "no closing quote"),
        ("${}", 0, "${} needs a question name"),
        ("1 + ${ }", 4, "${} needs a question name"),
        ("${my age} = 1", 0, "'my age' is not a question name"),
        ("${age", 0, "Missing '}'"),
        ("$age", 0, "${name}"),
        ("/data/age > 3", 0, "not a path like /data/age"),
        ("${a} / 2", 5, "use 'div'"),
        ("../age", 0, "'..' is not supported"),
        ("${a} == 1", 5, "use '='"),
        ("${a} && ${b}", 5, "use 'and'"),
        ("${a} || ${b}", 5, "use 'or'"),
        ("${a} | ${b}", 5, "use 'or'"),
        ("${a} % 2", 5, "use 'mod'"),
        ("!${a}", 0, "use not(...)"),
        ("${a}[1]", 4, "Square brackets"),
        ("@id = 1", 0, "'@' is not supported"),
        ("${a} = \u2018yes\u2019", 7, "straight quotes"),
        ("${a} AND ${b}", 5, "lower case"),
        ("age > 3", 0, "write ${age}"),
        ("true", 0, "write true()"),
        ("selected", 0, "write selected(...)"),
        ("and 1", 0, "Unexpected 'and'"),
        ("1 and", 5, "ends too early"),
        ("selected(${a})", 0, "selected() needs 2 values but was given 1"),
        ("not(1, 2)", 0, "not() needs 1 value but was given 2"),
        ("1 + today(1)", 4, "today() needs 0 values"),
        ("string-length(1, 2)", 0, "needs 0 or 1 values"),
        ("concat()", 0, "needs at least 1 value"),
        ("selected(${a} 'x')", 14, "Expected ',' or ')'"),
        ("selected(${a}, 'x'", 18, "Expected ',' or ')'"),
        ("not(,)", 4, "Unexpected ','"),
        ("1 , 2", 2, "Unexpected ','"),
        ("\u0663 > 1", 0, "digits 0-9"),  # an Arabic-Indic 3
        ("1 # 2", 2, "Unexpected character '#'"),
    ],
)
def test_syntax_errors_have_a_message_and_position(
    source: str, position: int, fragment: str
) -> None:
    err = error_of(source)
    assert fragment in err.message
    assert err.position == position
    assert err.source == source
    assert isinstance(err, RightsawareError)


@pytest.mark.parametrize(
    ("source", "position", "name"),
    [
        ("foo(1)", 0, "foo"),
        ("${a} = Selected(${b}, 'x')", 7, "Selected"),
        ("jr:choice-name(${a}, '${a}')", 0, "jr:choice-name"),
        ("__import__('os')", 0, "__import__"),
        ("1 + eval('1')", 4, "eval"),
        ("uuid()", 0, "uuid"),
    ],
)
def test_unknown_functions_are_named_with_position_and_the_supported_list(
    source: str, position: int, name: str
) -> None:
    err = error_of(source)
    assert f"Unknown function '{name}()'" in err.message
    assert err.position == position
    assert "selected(), count-selected()" in err.message


def test_similar_function_name_is_suggested() -> None:
    assert "Did you mean selected()?" in error_of("Selected(${a}, 'x')").message
    assert "Did you mean count-selected()?" in error_of("count_selected(${a})").message


def test_python_is_not_evaluated() -> None:
    for source in ("1 if True else 0", "${a}.__class__", "[x for x in ()]", "lambda: 1", "a.b()"):
        with pytest.raises(ExpressionError):
            parse(source)


def test_nesting_limit() -> None:
    deep = "(" * MAX_NESTING + "1" + ")" * MAX_NESTING
    assert value(deep) == 1.0
    err = error_of("(" + deep + ")")
    assert "nested too deeply" in err.message and err.position == MAX_NESTING
    assert "nested too deeply" in error_of("-" * (MAX_NESTING + 1) + "1").message
    assert "nested too deeply" in error_of("not(" * (MAX_NESTING + 1) + "1" + ")" * 26).message


def test_text_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ExpressionError):
        parse(None)  # type: ignore[arg-type]


def test_error_message_shows_the_position_for_authors() -> None:
    assert str(error_of("1 + 2)")) == (
        "Unexpected ')': there is no '(' for it to close (at character 6 of '1 + 2)')"
    )


# --- property-based tests ----------------------------------------------------------------

PIECES = [
    "${a}",
    "${b}",
    "${m}",
    ".",
    "1",
    "0",
    "2.5",
    "-",
    "'x'",
    "'a b'",
    "''",
    "(",
    ")",
    ",",
    "=",
    "!=",
    "<",
    "<=",
    ">",
    ">=",
    "+",
    "*",
    "div",
    "mod",
    "and",
    "or",
    "not(",
    "selected(",
    "count-selected(",
    "string-length(",
    "if(",
    "coalesce(",
    "regex(",
    "'[0-9]+'",
    "concat(",
    "contains(",
    "starts-with(",
    "string(",
    "number(",
    "int(",
    "true()",
    "false()",
    "today()",
    "date(",
    "'2024-01-31'",
    "foo(",
    "/",
    "${",
    "}",
    "'",
    '"',
    "[",
    "@",
    "..",
    "$",
    "\u2018",
    "\u0663",
]

answers = st.one_of(
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["", "1", "-2.5", " 7 ", "2024-02-29", "yes", "a b", "NaN"]),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.decimals(),
    st.floats(),
    st.dates(),
    st.datetimes(),
    st.booleans(),
    st.tuples(st.text(max_size=4)),
    st.lists(st.sampled_from(["a", "b", "c"]), max_size=3).map(tuple),
)
answer_sets = st.fixed_dictionaries({}, optional={"a": answers, "b": answers, "m": answers})


def _build(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operators = st.sampled_from(
        ["=", "!=", "<", "<=", ">", ">=", "+", "-", "*", "div", "mod", "and", "or"]
    )
    binary = st.tuples(children, operators, children).map(lambda t: f"({t[0]} {t[1]} {t[2]})")
    names = sorted(name for name in FUNCTIONS if name != "regex")
    calls = st.sampled_from(names).flatmap(
        lambda name: st.lists(
            children,
            min_size=FUNCTIONS[name][0],
            max_size=3 if FUNCTIONS[name][1] is None else FUNCTIONS[name][1],
        ).map(lambda args: f"{name}({', '.join(args)})")
    )
    regex = st.tuples(children, st.sampled_from(["'[a-z]*[0-9]?'", "'.*'", "'(ab)+|x'"])).map(
        lambda t: f"regex({t[0]}, {t[1]})"
    )
    return st.one_of(binary, calls, regex, children.map(lambda x: f"-{x}"))


leaves = st.sampled_from(
    ["${a}", "${b}", "${m}", ".", "1", "0", "-3.5", "'x'", "''", "'2024-02-29'", "'7'", "true()"]
)
expressions = st.recursive(leaves, _build, max_leaves=12)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.text(max_size=40),
        st.lists(st.sampled_from(PIECES), max_size=12).map(" ".join),
        st.lists(st.sampled_from(PIECES), max_size=12).map("".join),
    )
)
def test_parse_only_ever_raises_expression_error(source: str) -> None:
    try:
        expr = parse(source)
    except ExpressionError as err:
        assert err.message
        assert err.position is None or 0 <= err.position <= len(source)
    else:
        assert expr.source == source


@settings(max_examples=300, deadline=None)
@given(expressions, answer_sets, answers)
def test_evaluate_never_raises_on_any_answers(source: str, values: dict, current: object) -> None:
    expr = parse(source)
    result = expr.evaluate(values, current)
    assert type(result) in (bool, float, str, dt.date)
    assert type(expr.is_true(values, current)) is bool
    assert expr.references <= {"a", "b", "m"}


def test_built_in_instruments_use_only_the_supported_subset() -> None:
    folder = Path(__file__).resolve().parents[1] / "src" / "rightsaware" / "data" / "instruments"
    files = sorted(folder.glob("*.toml"))
    assert files
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        names = [question["name"] for question in data["questions"]]
        questions = data["questions"]
        sources = [q[key] for q in questions for key in ("relevant", "constraint") if q.get(key)]
        sources += [rule["when"] for rule in data.get("referrals", [])]
        assert sources
        for source in sources:
            check_references(parse(source), names)

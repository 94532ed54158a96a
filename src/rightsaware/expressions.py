"""Skip logic, validation and referral rules in the XLSForm expression syntax.

``parse()`` reads an expression such as ``${age} >= 65 and selected(${barriers}, 'transport')``
(tokenizer, then a precedence-climbing parser), checks it (syntax, function names, number of
values, regex patterns) and compiles it into small closures: evaluation takes microseconds and
never uses ``eval``. A problem in the text is an ``ExpressionError`` with its position;
evaluating answers never raises. Values follow ODK's XPath rules (an unanswered question is
``''``, numbers are floats, ``1 div 0`` is infinity). ``docs/expressions.md`` documents the
subset for survey authors.
"""

from __future__ import annotations

import datetime as dt
import decimal
import difflib
import math
import re
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrs import field, frozen

from rightsaware.errors import ExpressionError

__all__ = [
    "FUNCTIONS",
    "MAX_NESTING",
    "MAX_PATTERN_LENGTH",
    "Expression",
    "check_references",
    "parse",
]

MAX_NESTING = 25  # brackets, function calls and minus signs inside one another
MAX_PATTERN_LENGTH = 200  # characters in a regex() pattern

Value = Any  # an XPath value: bool, float, str or datetime.date
Evaluator = Callable[[Mapping[str, Any], Any], Value]
Token = tuple[str, str, int]  # kind (num str ref dot name op end), text, position

_NAN, _INF = float("nan"), float("inf")
_EPOCH = dt.date(1970, 1, 1).toordinal()
_LAST_DAY = dt.date.max.toordinal() - _EPOCH
_NUMBER_TEXT = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")
_DATE_TEXT = re.compile(r"[ \t\r\n]*([0-9]{4}-[0-9]{2}-[0-9]{2})(?:T[^ \t\r\n]*)?[ \t\r\n]*")
_QUESTION_NAME = re.compile(r"[^\W\d][\w.\-]*")
_TOKEN = re.compile(
    r"""(?P<space>\s+) | (?P<num>[0-9]+(?:\.[0-9]*)?|\.[0-9]+) | (?P<bad>==|&&|\|\||\.\.)
    | (?P<ref>\$\{[^}]*\}) | (?P<str>'[^']*'|"[^"]*") | (?P<op>!=|<=|>=|[=<>+\-*(),])
    | (?P<dot>\.) | (?P<name>[^\W\d][\w.\-:]*)""",
    re.VERBOSE,
)
_WORDS = ("and", "or", "div", "mod")
_PRECEDENCE = {"or": 1, "and": 2, "=": 3, "!=": 3, "<": 4, "<=": 4, ">": 4, ">=": 4}
_PRECEDENCE.update({"+": 5, "-": 5, "*": 6, "div": 6, "mod": 6})

# name: (fewest values, most values or None, an example for error messages)
FUNCTIONS: dict[str, tuple[int, int | None, str]] = {
    "selected": (2, 2, "selected(${barriers}, 'transport')"),
    "count-selected": (1, 1, "count-selected(${barriers}) >= 2"),
    "not": (1, 1, "not(${consent} = 'yes')"),
    "if": (3, 3, "if(${age} >= 65, 'older', 'younger')"),
    "coalesce": (2, 2, "coalesce(${mobile}, ${landline})"),
    "regex": (2, 2, "regex(., '^[0-9]{11}$')"),
    "string-length": (0, 1, "string-length(.) <= 160"),
    "contains": (2, 2, "contains(${comment}, 'help')"),
    "starts-with": (2, 2, "starts-with(${postcode}, 'SY')"),
    "concat": (1, None, "concat(${first_name}, ' ', ${last_name})"),
    "string": (1, 1, "string(${age})"),
    "number": (1, 1, "number(${code}) > 3"),
    "int": (1, 1, "int(${days} div 7)"),
    "true": (0, 0, "true()"),
    "false": (0, 0, "false()"),
    "today": (0, 0, ". <= today()"),
    "date": (1, 1, ". >= date('1900-01-01')"),
}

_CURLY = "Use straight quotes (' or \") around text, not curly quotes"
_HINTS = {
    "==": "'==' is not supported: use '=' to compare",
    "&&": "'&&' is not supported: use 'and'",
    "||": "'||' is not supported: use 'or'",
    "..": "'..' is not supported: refer to a question by its name, like ${age}",
    "/": "'/' is not supported: use 'div' to divide, and ${name} (not a path like /data/age) "
    "to use an answer",
    "|": "'|' is not supported: use 'or'",
    "&": "'&' is not supported: use 'and'",
    "%": "'%' is not supported: use 'mod' for the remainder of a division",
    "!": "'!' is not supported: use not(...), or '!=' for 'is not equal to'",
    "[": "Square brackets are not supported",
    "]": "Square brackets are not supported",
    "@": "'@' is not supported: refer to a question by its name, like ${age}",
    "$": "Write a question's answer as ${name}, like ${age}",
    **dict.fromkeys("\u2018\u2019\u201c\u201d", _CURLY),  # curly quotes
}


# --- values: XPath's rules for bool, float, str and date ---------------------------------


def _xv(raw: Any) -> Value:
    """An answer (or any Python value) as an XPath value: bool, float, str or date."""
    kind = type(raw)
    if kind is str or kind is float or kind is bool or kind is dt.date:
        return raw
    if raw is None:
        return ""
    if kind is tuple:  # select_multiple codes, as ODK stores them
        return " ".join(str(code) for code in raw)
    if isinstance(raw, dt.date):  # a datetime, or another subclass of date
        return dt.date(raw.year, raw.month, raw.day)
    if isinstance(raw, str):
        return str.__str__(raw)  # a plain str, also for subclasses of str
    if isinstance(raw, (int, float, decimal.Decimal)):
        try:
            return float(raw)
        except OverflowError:  # an int too big for a float
            return _INF if raw > 0 else -_INF
        except ValueError:  # a signalling NaN
            return _NAN
    return str(raw)


def _num(x: Value) -> float:
    kind = type(x)
    if kind is float:
        return x
    if kind is str:
        return float(x) if _NUMBER_TEXT.fullmatch(x) else _NAN
    if kind is bool:
        return 1.0 if x else 0.0
    if kind is dt.date:
        return float(x.toordinal() - _EPOCH)
    return _num(_xv(x))


def _day(x: Value) -> float:
    """A value as days since 1970-01-01, reading 'YYYY-MM-DD' text as a date."""
    if type(x) is str and (match := _DATE_TEXT.fullmatch(x)) is not None:
        try:
            return float(dt.date.fromisoformat(match.group(1)).toordinal() - _EPOCH)
        except ValueError:  # like 2024-02-30
            return _NAN
    return _num(x)


def _str(x: Value) -> str:
    kind = type(x)
    if kind is str:
        return x
    if kind is float:
        if x != x:
            return "NaN"
        if x in (_INF, -_INF):
            return "Infinity" if x > 0 else "-Infinity"
        if abs(x) < 1e-12:
            return "0"
        if x.is_integer():
            return str(int(x))
        text = repr(x)
        return format(decimal.Decimal(text), "f") if "e" in text else text
    if kind is bool:
        return "true" if x else "false"
    if kind is dt.date:
        return x.isoformat()
    return _str(_xv(x))


def _bool(x: Value) -> bool:
    kind = type(x)
    if kind is bool:
        return x
    if kind is str:
        return x != ""
    if kind is float:
        return abs(x) > 1e-12  # False for NaN too
    return True  # a date


def _eq(a: Value, b: Value) -> bool:
    ta, tb = type(a), type(b)
    if ta is tb and ta is not float:
        return a == b
    if ta is bool or tb is bool:
        return _bool(a) == _bool(b)
    if ta is float or tb is float:
        x, y = _num(a), _num(b)
        return x == y or abs(x - y) < 1e-12
    if ta is dt.date or tb is dt.date:
        return _day(a) == _day(b)
    return _str(a) == _str(b)


def _ordered(a: Value, b: Value) -> tuple[float, float]:
    if type(a) is dt.date or type(b) is dt.date:
        return _day(a), _day(b)
    return _num(a), _num(b)


def _lt(a: Value, b: Value) -> bool:
    x, y = _ordered(a, b)
    return x < y


def _le(a: Value, b: Value) -> bool:
    x, y = _ordered(a, b)
    return x <= y


def _divide(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        return _NAN if x != x or x == 0 else math.copysign(_INF, x) * math.copysign(1.0, y)


def _mod(x: float, y: float) -> float:
    try:
        return math.fmod(x, y)  # truncated, like XPath: -7 mod 3 = -1
    except ValueError:
        return _NAN


def _int(x: float) -> float:
    return x if x != x or x in (_INF, -_INF) else float(math.trunc(x))


def _to_date(x: Value) -> Value:
    if type(x) is dt.date:
        return x
    days = _day(x)
    if days != days or not -_EPOCH < days < _LAST_DAY:
        return ""
    return dt.date.fromordinal(int(days) + _EPOCH)


def _codes(raw: Any) -> tuple[str, ...] | list[str]:
    """The codes chosen in a select_multiple answer (a tuple or space-separated text)."""
    if type(raw) is tuple:
        return raw
    return () if raw is None else _str(_xv(raw)).split()


_BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "=": _eq,
    "!=": lambda a, b: not _eq(a, b),
    "<": _lt,
    "<=": _le,
    ">": lambda a, b: _lt(b, a),
    ">=": lambda a, b: _le(b, a),
    "+": lambda a, b: _num(a) + _num(b),
    "-": lambda a, b: _num(a) - _num(b),
    "*": lambda a, b: _num(a) * _num(b),
    "div": lambda a, b: _divide(_num(a), _num(b)),
    "mod": lambda a, b: _mod(_num(a), _num(b)),
}


# --- the public API ----------------------------------------------------------------------


@frozen
class Expression:
    """A parsed expression: ``evaluate()`` gives its value, ``is_true()`` its truth."""

    source: str
    references: frozenset[str]
    uses_dot: bool
    _evaluator: Evaluator = field(eq=False, repr=False)
    _positions: tuple[tuple[str, int], ...] = field(eq=False, repr=False)

    def evaluate(self, values: Mapping[str, Any], current: Any = None) -> Value:
        """The value (bool, float, str or date), given answers by question name and ``.``."""
        return self._evaluator(values, current)

    def is_true(self, values: Mapping[str, Any], current: Any = None) -> bool:
        """The XPath ``boolean()`` of the value: what ``relevant`` and ``constraint`` use."""
        return _bool(self._evaluator(values, current))

    def __reduce__(self):  # noqa: ANN204 - closures cannot be pickled: parse the source again
        return (parse, (self.source,))


def parse(source: str) -> Expression:
    """Parse and check ``source``; raise ``ExpressionError`` with the position of a problem."""
    if not isinstance(source, str):
        raise ExpressionError(f"An expression must be text, not {type(source).__name__}")
    parser = _Parser(source)
    tree = parser.parse()
    return Expression(
        source=source,
        references=frozenset(name for name, _ in parser.references),
        uses_dot=parser.uses_dot,
        evaluator=_compile(tree, source),
        positions=tuple(parser.references),
    )


def check_references(expr: Expression, known_names: Iterable[str]) -> None:
    """Raise ``ExpressionError`` at the first ``${name}`` that is not in ``known_names``."""
    known = set(known_names)
    for name, position in expr._positions:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" Did you mean ${{{close[0]}}}?" if close else ""
            message = f"There is no question named '{name}' in this survey.{hint}"
            raise ExpressionError(message, expr.source, position)


# --- tokenizer and parser ----------------------------------------------------------------
# Tree nodes are tuples (kind, position, ...): num, str, ref, dot, neg, and, or, chain, call.


def _tokenize(src: str) -> list[Token]:
    tokens: list[Token] = []
    i, n = 0, len(src)
    while i < n:
        match = _TOKEN.match(src, i)
        kind = match.lastgroup if match else None
        if kind is None or kind == "bad":
            raise ExpressionError(_bad_character(src, i), src, i)
        text = match.group()
        if kind == "ref":
            text = text[2:-1]
            if not text.strip():
                raise ExpressionError("${} needs a question name, like ${age}", src, i)
            if not _QUESTION_NAME.fullmatch(text):
                raise ExpressionError(
                    f"'{text}' is not a question name: a name starts with a letter or _ and has "
                    "only letters, digits, _, - and . (no spaces)",
                    src,
                    i,
                )
        elif kind == "str":
            text = text[1:-1]
        if kind != "space":
            tokens.append((kind, text, i))
        i = match.end()
    tokens.append(("end", "", n))
    return tokens


def _bad_character(src: str, i: int) -> str:
    ch = src[i]
    if src.startswith("${", i):
        return f"Missing '}}' to close '{src[i : i + 20]}'"
    if ch in "'\"":
        return f"This text has no closing quote ({ch})"
    if ch.isdigit():
        return f"Write numbers with the digits 0-9, not '{ch}'"
    hint = _HINTS.get(src[i : i + 2]) or _HINTS.get(ch)
    return hint or f"Unexpected character {ch!r}"


def _describe(token: Token) -> str:
    kind, text, _ = token
    if kind == "end":
        return "the end of the expression"
    return {"str": f"the text '{text}'", "ref": f"${{{text}}}"}.get(kind, f"'{text}'")


class _Parser:
    """Precedence climbing, lowest first: or, and, = !=, < <= > >=, + -, * div mod, unary -."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.tokens = _tokenize(source)
        self.i = 0
        self.nesting = 0
        self.references: list[tuple[str, int]] = []
        self.uses_dot = False

    def fail(self, message: str, position: int) -> ExpressionError:
        return ExpressionError(message, self.src, position)

    def take(self) -> Token:
        self.i += 1
        return self.tokens[self.i - 1]

    def at_op(self, text: str) -> bool:
        kind, found, _ = self.tokens[self.i]
        return found == text and kind == "op"

    def parse(self) -> tuple:
        if self.tokens[0][0] == "end":
            raise self.fail("The expression is empty", 0)
        tree = self.expression(1)
        token = self.tokens[self.i]
        if token[0] != "end":
            if self.at_op(")"):
                raise self.fail("Unexpected ')': there is no '(' for it to close", token[2])
            if token[0] == "name" and token[1].lower() in _WORDS:
                raise self.fail(f"Write '{token[1].lower()}' in lower case", token[2])
            raise self.fail(
                f"Unexpected {_describe(token)}: is an operator such as 'and' or '=' missing "
                "before it?",
                token[2],
            )
        return tree

    def expression(self, lowest: int) -> tuple:
        left = self.operand()
        while True:
            kind, op, position = self.tokens[self.i]
            level = _PRECEDENCE.get(op, 0) if kind == "op" or op in _WORDS else 0
            if level < lowest or kind not in ("op", "name"):
                return left
            self.i += 1
            right = self.expression(level + 1)
            if op in ("and", "or"):  # n-ary, evaluated lazily
                left = (op, position, [*left[2], right] if left[0] == op else [left, right])
            elif left[0] == "chain":  # worked out left to right: [a, (+, b), (*, c)] is (a+b)*c
                left[3].append((op, right))
            else:
                left = ("chain", position, left, [(op, right)])

    def operand(self) -> tuple:
        token = kind, text, position = self.take()
        if kind in ("num", "str"):
            return (kind, position, float(text) if kind == "num" else text)
        if kind == "ref":
            self.references.append((text, position))
            return ("ref", position, text)
        if kind == "dot":
            self.uses_dot = True
            return ("dot", position)
        if kind == "end":
            before = f" after {_describe(self.tokens[self.i - 2])}" if self.i >= 2 else ""
            message = f"The expression ends too early: something is missing{before}"
            raise self.fail(message, position)
        if kind == "op" and text not in ("(", "-"):
            message = f"Unexpected {_describe(token)}: a value is missing before it"
            raise self.fail(message, position)
        self.nesting += 1  # a bracket, a minus sign or a function
        if self.nesting > MAX_NESTING:
            raise self.fail(
                f"This expression is nested too deeply (more than {MAX_NESTING} levels of "
                "brackets, functions or minus signs): split it into simpler parts",
                position,
            )
        try:
            if text == "-":
                return ("neg", position, self.operand())
            if text == "(":
                inner = self.expression(1)
                self.close(f"Missing ')' to close the '(' at character {position + 1}")
                return inner
            return self.call(text, position)
        finally:
            self.nesting -= 1

    def close(self, message: str) -> None:
        token = self.take()
        if token[:2] != ("op", ")"):
            raise self.fail(f"{message}; found {_describe(token)}", token[2])

    def call(self, name: str, position: int) -> tuple:
        if not self.at_op("("):
            if name in _WORDS:
                raise self.fail(f"Unexpected '{name}': a value is missing before it", position)
            if name.lower() in _WORDS:
                raise self.fail(f"Write '{name.lower()}' in lower case", position)
            if name in FUNCTIONS:
                usage = f"{name}()" if FUNCTIONS[name][1] == 0 else f"{name}(...)"
                raise self.fail(f"'{name}' is a function: write {usage}", position)
            raise self.fail(
                f"'{name}' is not understood: write ${{{name}}} for the answer to question "
                f"'{name}', or '{name}' in quotes for text",
                position,
            )
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            hint = f"Did you mean {close[0]}()? " if close else ""
            supported = ", ".join(f"{known}()" for known in FUNCTIONS)
            raise self.fail(f"Unknown function '{name}()'. {hint}Supported: {supported}", position)
        self.take()  # the "("
        args: list[tuple] = []
        if not self.at_op(")"):
            args.append(self.expression(1))
            while self.at_op(","):
                self.take()
                args.append(self.expression(1))
        self.close(f"Expected ',' or ')' after a value given to {name}()")
        fewest, most, example = FUNCTIONS[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            plural = "" if fewest == 1 else "s"
            wanted = f"{fewest} value{plural}" if fewest == most else f"{fewest} or {most} values"
            if most is None:
                wanted = f"at least {fewest} value{plural}"
            raise self.fail(
                f"{name}() needs {wanted} but was given {len(args)}, for example: {example}",
                position,
            )
        if name == "string-length" and not args:
            self.uses_dot = True
        return ("call", position, name, args)


# --- compiling the tree to closures: f(values, current) -> value -------------------------


def _compile(node: tuple, src: str) -> Evaluator:
    kind = node[0]
    if kind in ("num", "str"):
        constant = node[2]
        return lambda values, current: constant
    if kind == "ref":
        name = node[2]
        return lambda values, current: _xv(values.get(name))
    if kind == "dot":
        return lambda values, current: _xv(current)
    if kind == "neg":
        operand = _compile(node[2], src)
        return lambda values, current: -_num(operand(values, current))
    if kind in ("and", "or"):
        parts = tuple(_compile(part, src) for part in node[2])
        if len(parts) == 2:
            a, b = parts
            if kind == "and":
                return lambda v, c: _bool(a(v, c)) and _bool(b(v, c))
            return lambda v, c: _bool(a(v, c)) or _bool(b(v, c))
        test = all if kind == "and" else any
        return lambda values, current: test(_bool(part(values, current)) for part in parts)
    if kind == "chain":
        first = _compile(node[2], src)
        rest = tuple((_BINARY[op], _compile(operand, src)) for op, operand in node[3])
        if len(rest) == 1:
            ((op, second),) = rest
            return lambda values, current: op(first(values, current), second(values, current))

        def chain(values: Mapping[str, Any], current: Any) -> Value:
            result = first(values, current)
            for op, operand in rest:
                result = op(result, operand(values, current))
            return result

        return chain
    return _compile_call(node, src)


def _compile_raw(node: tuple, src: str) -> Evaluator:
    """Like ``_compile``, but an answer comes as stored: select_multiple tuples stay tuples."""
    if node[0] == "ref":
        name = node[2]
        return lambda values, current: values.get(name)
    if node[0] == "dot":
        return lambda values, current: current
    return _compile(node, src)


def _compile_call(node: tuple, src: str) -> Evaluator:
    name, arg_nodes = node[2], node[3]
    if name == "selected":
        haystack, needle = _compile_raw(arg_nodes[0], src), _compile(arg_nodes[1], src)
        return lambda v, c: _str(needle(v, c)).strip() in _codes(haystack(v, c))
    if name == "count-selected":
        chosen = _compile_raw(arg_nodes[0], src)
        return lambda v, c: float(len(_codes(chosen(v, c))))
    if name == "regex":
        pattern, subject = _pattern(arg_nodes[1], src), _compile(arg_nodes[0], src)
        return lambda v, c: pattern.fullmatch(_str(subject(v, c))) is not None
    args = [_compile(arg, src) for arg in arg_nodes]
    if name in ("true", "false"):
        constant = name == "true"
        return lambda v, c: constant
    if name == "today":
        return lambda v, c: dt.date.today()
    if name == "if":
        test, then, otherwise = args
        return lambda v, c: then(v, c) if _bool(test(v, c)) else otherwise(v, c)
    if name == "coalesce":
        first, second = args

        def coalesce(v: Mapping[str, Any], c: Any) -> Value:
            value = first(v, c)
            return second(v, c) if value == "" or value != value else value

        return coalesce
    if name == "concat":
        return lambda v, c: "".join(_str(arg(v, c)) for arg in args)
    if name == "string-length":
        text = args[0] if args else lambda v, c: _xv(c)
        return lambda v, c: float(len(_str(text(v, c))))
    convert = {"not": lambda x: not _bool(x), "string": _str, "number": _num}
    convert.update({"int": lambda x: _int(_num(x)), "date": _to_date})
    if name in convert:
        (one,), function = args, convert[name]
        return lambda v, c: function(one(v, c))
    text, part = args
    if name == "contains":
        return lambda v, c: _str(part(v, c)) in _str(text(v, c))
    return lambda v, c: _str(text(v, c)).startswith(_str(part(v, c)))  # starts-with


def _pattern(node: tuple, src: str) -> re.Pattern[str]:
    """Compile the quoted pattern of ``regex()``, refusing broken and very slow ones."""
    problem = None
    if node[0] != "str":
        problem = "regex() needs its pattern in quotes, for example: regex(., '^[0-9]{11}$')"
    elif len(node[2]) > MAX_PATTERN_LENGTH:
        problem = (
            f"This regex() pattern is {len(node[2])} characters long; the most allowed is "
            f"{MAX_PATTERN_LENGTH}"
        )
    elif _nested_repetition(node[2]):
        problem = (
            "This regex() pattern repeats a part that itself repeats (like '(a+)+'), which can "
            "take a very long time to check: remove the inner or the outer repetition"
        )
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return re.compile(node[2])
        except (re.error, OverflowError, RecursionError, ValueError) as error:
            reason = getattr(error, "msg", None) or str(error)
            problem = f"The regex() pattern is not a valid regular expression: {reason}"
    raise ExpressionError(problem, src, node[1])


_QUANTIFIER = re.compile(r"[*+?]|\{([0-9]*)(,([0-9]*))?\}")


def _nested_repetition(pattern: str) -> bool:
    """True when a group containing an unbounded repeat is itself repeated without bound.

    Such patterns (``(a+)+``, ``(\\w+\\s?)*``) take a backtracking engine such as Python's
    ``re`` time exponential in the length of the answer: one reply could stall the server.
    """
    inner = [False]  # per open group: does it contain an unbounded repeat?
    after_repeating_group = False
    i, n = 0, len(pattern)
    while i < n:
        ch = pattern[i]
        quantifier = _QUANTIFIER.match(pattern, i) if ch in "*+?{" else None
        if quantifier is not None:
            unbounded = ch in "*+" or (quantifier.group(2) is not None and not quantifier.group(3))
            if unbounded and after_repeating_group:
                return True
            inner[-1] = inner[-1] or unbounded
            i = quantifier.end() + (pattern[quantifier.end() : quantifier.end() + 1] in ("?", "+"))
            after_repeating_group = False
            continue
        after_repeating_group = False
        if ch == "\\":
            i += 2
        elif ch == "[":  # a character class: skip to its closing ]
            i += 1 + pattern.startswith("^", i + 1)
            i += pattern.startswith("]", i)
            while i < n and pattern[i] != "]":
                i += 2 if pattern[i] == "\\" else 1
            i += 1
        elif ch == "(":
            inner.append(False)
            i += 2 if pattern.startswith("(?", i) else 1
        elif ch == ")" and len(inner) > 1:
            after_repeating_group = inner.pop()
            inner[-1] = inner[-1] or after_repeating_group
            i += 1
        else:
            i += 1
    return False

"""Skip logic, validation and referral rules in the XLSForm expression syntax.

``parse()`` reads an expression such as ``${age} >= 65 and selected(${barriers}, 'transport')``
(tokenizer, then a precedence-climbing parser, both here), checks it (syntax, function names,
number of values, regex patterns) and compiles it into small closures
(``expression_compiler``, following XPath's value rules in ``xpath_values``): evaluation takes
microseconds and never uses ``eval``. A problem in the text is an ``ExpressionError`` with its
position; evaluating answers never raises. Values follow ODK's XPath rules (an unanswered
question is ``''``, numbers are floats, ``1 div 0`` is infinity). ``docs/expressions.md``
documents the subset for survey authors.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from typing import Any

from attrs import field, frozen

from rightsaware.errors import ExpressionError
from rightsaware.expression_compiler import FUNCTIONS, MAX_PATTERN_LENGTH, Evaluator, compile_tree
from rightsaware.i18n import N_
from rightsaware.xpath_values import Value, to_boolean

__all__ = [
    "FUNCTIONS",
    "MAX_NESTING",
    "MAX_PATTERN_LENGTH",
    "Expression",
    "check_references",
    "parse",
]

MAX_NESTING = 25  # brackets, function calls and minus signs inside one another
Token = tuple[str, str, int]  # kind (num str ref dot name op end), text, position

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
        return to_boolean(self._evaluator(values, current))

    def __reduce__(self):  # noqa: ANN204 - closures cannot be pickled: parse the source again
        return (parse, (self.source,))


def parse(source: str) -> Expression:
    """Parse and check ``source``; raise ``ExpressionError`` with the position of a problem."""
    if not isinstance(source, str):
        raise ExpressionError(N_("An expression must be text, not {kind}"), params={"kind": type(source).__name__})
    parser = _Parser(source)
    tree = parser.parse()
    return Expression(
        source=source,
        references=frozenset(name for name, _ in parser.references),
        uses_dot=parser.uses_dot,
        evaluator=compile_tree(tree, source),
        positions=tuple(parser.references),
    )


def check_references(expr: Expression, known_names: Iterable[str]) -> None:
    """Raise ``ExpressionError`` at the first ``${name}`` that is not in ``known_names``."""
    known = set(known_names)
    for name, position in expr._positions:
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            if close:
                raise ExpressionError(
                    N_("There is no question named '{name}' in this survey. Did you mean {suggestion}?"),
                    expr.source, position, params={"name": name, "suggestion": f"${{{close[0]}}}"},
                )
            raise ExpressionError(N_("There is no question named '{name}' in this survey."),
                                  expr.source, position, params={"name": name})


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
                raise ExpressionError(N_("${} needs a question name, like ${age}"), src, i)
            if not _QUESTION_NAME.fullmatch(text):
                raise ExpressionError(
                    N_("'{text}' is not a question name: a name starts with a letter or _ and has "
                       "only letters, digits, _, - and . (no spaces)"),
                    src,
                    i,
                    params={"text": text},
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

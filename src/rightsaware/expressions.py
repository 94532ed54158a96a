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

from rightsaware.errors import ExpressionError, Message
from rightsaware.expression_compiler import (
    FUNCTIONS,
    MAX_PATTERN_LENGTH,
    Evaluator,
    compile_tree,
)
from rightsaware.i18n import N_, Nn_
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

_CURLY = N_("Use straight quotes (' or \") around text, not curly quotes")
_SQUARE = N_("Square brackets are not supported")
_HINTS = {  # templates without params: a literal ${name} needs no doubled braces
    "==": N_("'==' is not supported: use '=' to compare"),
    "&&": N_("'&&' is not supported: use 'and'"),
    "||": N_("'||' is not supported: use 'or'"),
    "..": N_("'..' is not supported: refer to a question by its name, like ${age}"),
    "/": N_("'/' is not supported: use 'div' to divide, and ${name} (not a path like /data/age) "
            "to use an answer"),
    "|": N_("'|' is not supported: use 'or'"),
    "&": N_("'&' is not supported: use 'and'"),
    "%": N_("'%' is not supported: use 'mod' for the remainder of a division"),
    "!": N_("'!' is not supported: use not(...), or '!=' for 'is not equal to'"),
    "[": _SQUARE,
    "]": _SQUARE,
    "@": N_("'@' is not supported: refer to a question by its name, like ${age}"),
    "$": N_("Write a question's answer as ${name}, like ${age}"),
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
            hint = _bad_character(src, i)
            raise ExpressionError(hint.template, src, i, params=hint.params)
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


def _bad_character(src: str, i: int) -> Message:
    ch = src[i]
    if src.startswith("${", i):
        # TRANSLATORS: '}}' is shown as '}'; {start} is the start of the unclosed ${...
        return Message(N_("Missing '}}' to close '{start}'"), start=src[i : i + 20])
    if ch in "'\"":
        return Message(N_("This text has no closing quote ({quote})"), quote=ch)
    if ch.isdigit():
        return Message(N_("Write numbers with the digits 0-9, not '{digit}'"), digit=ch)
    hint = _HINTS.get(src[i : i + 2]) or _HINTS.get(ch)
    return Message(hint) if hint else Message(N_("Unexpected character {character}"), character=repr(ch))


def _describe(token: Token) -> Message | str:
    """The token as it is named inside another message (translated with it)."""
    kind, text, _ = token
    if kind == "end":
        return Message(N_("the end of the expression"))
    if kind == "str":
        return Message(N_("the text '{text}'"), text=text)
    return f"${{{text}}}" if kind == "ref" else f"'{text}'"


class _Parser:
    """Precedence climbing, lowest first: or, and, = !=, < <= > >=, + -, * div mod, unary -."""

    def __init__(self, source: str) -> None:
        self.src = source
        self.tokens = _tokenize(source)
        self.i = 0
        self.nesting = 0
        self.references: list[tuple[str, int]] = []
        self.uses_dot = False

    def fail(self, template: str, position: int, plural: str | None = None, /, **params: Any) -> ExpressionError:
        return ExpressionError(template, self.src, position, params=params, plural=plural)

    def take(self) -> Token:
        self.i += 1
        return self.tokens[self.i - 1]

    def at_op(self, text: str) -> bool:
        kind, found, _ = self.tokens[self.i]
        return found == text and kind == "op"

    def parse(self) -> tuple:
        if self.tokens[0][0] == "end":
            raise self.fail(N_("The expression is empty"), 0)
        tree = self.expression(1)
        token = self.tokens[self.i]
        if token[0] != "end":
            if self.at_op(")"):
                raise self.fail(N_("Unexpected ')': there is no '(' for it to close"), token[2])
            if token[0] == "name" and token[1].lower() in _WORDS:
                raise self.fail(_LOWER_CASE, token[2], word=token[1].lower())
            raise self.fail(N_("Unexpected {token}: is an operator such as 'and' or '=' missing before it?"),
                            token[2], token=_describe(token))
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
        if kind == "end":  # an empty expression was refused by parse(): a token comes before
            raise self.fail(N_("The expression ends too early: something is missing after {token}"),
                            position, token=_describe(self.tokens[self.i - 2]))
        if kind == "op" and text not in ("(", "-"):
            raise self.fail(_NO_VALUE_BEFORE, position, token=_describe(token))
        self.nesting += 1  # a bracket, a minus sign or a function
        if self.nesting > MAX_NESTING:
            raise self.fail(
                N_("This expression is nested too deeply (more than {levels} levels of brackets, "
                   "functions or minus signs): split it into simpler parts"),
                position, levels=MAX_NESTING,
            )
        try:
            if text == "-":
                return ("neg", position, self.operand())
            if text == "(":
                inner = self.expression(1)
                self.close(Message(N_("Missing ')' to close the '(' at character {position}"),
                                   position=position + 1))
                return inner
            return self.call(text, position)
        finally:
            self.nesting -= 1

    def close(self, message: Message) -> None:
        token = self.take()
        if token[:2] != ("op", ")"):
            # TRANSLATORS: {message} says what was expected; {token} is what is there instead
            raise self.fail(N_("{message}; found {token}"), token[2], message=message, token=_describe(token))

    def call(self, name: str, position: int) -> tuple:
        if not self.at_op("("):
            if name in _WORDS:
                raise self.fail(_NO_VALUE_BEFORE, position, token=f"'{name}'")
            if name.lower() in _WORDS:
                raise self.fail(_LOWER_CASE, position, word=name.lower())
            if name in FUNCTIONS:
                usage = f"{name}()" if FUNCTIONS[name][1] == 0 else f"{name}(...)"
                raise self.fail(N_("'{name}' is a function: write {usage}"), position, name=name, usage=usage)
            raise self.fail(
                N_("'{name}' is not understood: write ${{{name}}} for the answer to question '{name}', "
                   "or '{name}' in quotes for text"),
                position, name=name,
            )
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=1)
            supported = ", ".join(f"{known}()" for known in FUNCTIONS)
            if close:
                raise self.fail(N_("Unknown function '{name}()'. Did you mean {suggestion}()? Supported: "
                                   "{supported}"), position, name=name, suggestion=close[0], supported=supported)
            raise self.fail(N_("Unknown function '{name}()'. Supported: {supported}"), position, name=name,
                            supported=supported)
        self.take()  # the "("
        args: list[tuple] = []
        if not self.at_op(")"):
            args.append(self.expression(1))
            while self.at_op(","):
                self.take()
                args.append(self.expression(1))
        self.close(Message(N_("Expected ',' or ')' after a value given to {name}()"), name=name))
        fewest, most, example = FUNCTIONS[name]
        if len(args) < fewest or (most is not None and len(args) > most):
            singular, plural = _count_message(fewest, most)
            raise self.fail(singular, position, plural, n=fewest if most is None else most, name=name,
                            fewest=fewest, most=most, given=len(args), example=example)
        if name == "string-length" and not args:
            self.uses_dot = True
        return ("call", position, name, args)


_LOWER_CASE = N_("Write '{word}' in lower case")
_NO_VALUE_BEFORE = N_("Unexpected {token}: a value is missing before it")


def _count_message(fewest: int, most: int | None) -> tuple[str, str | None]:
    """The singular and plural templates of "needs N values" (``n`` is ``most``, or ``fewest``)."""
    if most is None:
        return Nn_("{name}() needs at least {n} value but was given {given}, for example: {example}",
                   "{name}() needs at least {n} values but was given {given}, for example: {example}")
    if fewest == most:
        return Nn_("{name}() needs {n} value but was given {given}, for example: {example}",
                   "{name}() needs {n} values but was given {given}, for example: {example}")
    return N_("{name}() needs {fewest} or {most} values but was given {given}, for example: {example}"), None

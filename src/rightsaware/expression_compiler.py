"""Compiling a checked expression tree into closures, and the functions expressions may call.

``expressions`` parses the text into a tree of tuples ``(kind, position, ...)``: num, str,
ref, dot, neg, and, or, chain and call. ``compile_tree`` turns it into nested closures
``f(values, current) -> value`` that use the rules in ``xpath_values``, so evaluating takes
microseconds and never uses ``eval``. ``FUNCTIONS`` lists the functions with how many values
each takes; their implementations are in ``_compile_call``. A ``regex()`` pattern is compiled
once, here, and refused (``ExpressionError``) when broken, too long or too slow to check.
"""

from __future__ import annotations

import datetime as dt
import re
import warnings
from collections.abc import Callable, Mapping
from typing import Any

from rightsaware.errors import ExpressionError
from rightsaware.i18n import N_
from rightsaware.xpath_values import (
    OPERATORS,
    Value,
    selected_codes,
    to_boolean,
    to_date,
    to_number,
    to_string,
    truncate,
    xpath_value,
)

__all__ = ["FUNCTIONS", "MAX_PATTERN_LENGTH", "Evaluator", "compile_tree"]

MAX_PATTERN_LENGTH = 200  # characters in a regex() pattern
Evaluator = Callable[[Mapping[str, Any], Any], Value]

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


def compile_tree(node: tuple, src: str) -> Evaluator:
    """The evaluator of a parsed tree; ``src`` is the source text, for error messages."""
    kind = node[0]
    if kind in ("num", "str"):
        constant = node[2]
        return lambda values, current: constant
    if kind == "ref":
        name = node[2]
        return lambda values, current: xpath_value(values.get(name))
    if kind == "dot":
        return lambda values, current: xpath_value(current)
    if kind == "neg":
        operand = compile_tree(node[2], src)
        return lambda values, current: -to_number(operand(values, current))
    if kind in ("and", "or"):
        parts = tuple(compile_tree(part, src) for part in node[2])
        if len(parts) == 2:
            a, b = parts
            if kind == "and":
                return lambda v, c: to_boolean(a(v, c)) and to_boolean(b(v, c))
            return lambda v, c: to_boolean(a(v, c)) or to_boolean(b(v, c))
        test = all if kind == "and" else any
        return lambda values, current: test(to_boolean(part(values, current)) for part in parts)
    if kind == "chain":
        first = compile_tree(node[2], src)
        rest = tuple((OPERATORS[op], compile_tree(operand, src)) for op, operand in node[3])
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
    """Like ``compile_tree``, but an answer comes as stored: select_multiple tuples stay tuples."""
    if node[0] == "ref":
        name = node[2]
        return lambda values, current: values.get(name)
    if node[0] == "dot":
        return lambda values, current: current
    return compile_tree(node, src)


def _compile_call(node: tuple, src: str) -> Evaluator:
    name, arg_nodes = node[2], node[3]
    if name == "selected":
        haystack, needle = _compile_raw(arg_nodes[0], src), compile_tree(arg_nodes[1], src)
        return lambda v, c: to_string(needle(v, c)).strip() in selected_codes(haystack(v, c))
    if name == "count-selected":
        chosen = _compile_raw(arg_nodes[0], src)
        return lambda v, c: float(len(selected_codes(chosen(v, c))))
    if name == "regex":
        pattern, subject = _pattern(arg_nodes[1], src), compile_tree(arg_nodes[0], src)
        return lambda v, c: pattern.fullmatch(to_string(subject(v, c))) is not None
    args = [compile_tree(arg, src) for arg in arg_nodes]
    if name in ("true", "false"):
        constant = name == "true"
        return lambda v, c: constant
    if name == "today":
        return lambda v, c: dt.date.today()
    if name == "if":
        test, then, otherwise = args
        return lambda v, c: then(v, c) if to_boolean(test(v, c)) else otherwise(v, c)
    if name == "coalesce":
        first, second = args

        def coalesce(v: Mapping[str, Any], c: Any) -> Value:
            value = first(v, c)
            return second(v, c) if value == "" or value != value else value

        return coalesce
    if name == "concat":
        return lambda v, c: "".join(to_string(arg(v, c)) for arg in args)
    if name == "string-length":
        text = args[0] if args else lambda v, c: xpath_value(c)
        return lambda v, c: float(len(to_string(text(v, c))))
    convert = {"not": lambda x: not to_boolean(x), "string": to_string, "number": to_number}
    convert.update({"int": lambda x: truncate(to_number(x)), "date": to_date})
    if name in convert:
        (one,), function = args, convert[name]
        return lambda v, c: function(one(v, c))
    text, part = args
    if name == "contains":
        return lambda v, c: to_string(part(v, c)) in to_string(text(v, c))
    return lambda v, c: to_string(text(v, c)).startswith(to_string(part(v, c)))  # starts-with


def _pattern(node: tuple, src: str) -> re.Pattern[str]:
    """Compile the quoted pattern of ``regex()``, refusing broken and very slow ones."""
    problem, params = None, {}
    if node[0] != "str":
        problem = N_("regex() needs its pattern in quotes, for example: regex(., '^[0-9]{11}$')")
    elif len(node[2]) > MAX_PATTERN_LENGTH:
        problem = N_("This regex() pattern is {length} characters long; the most allowed is {most}")
        params = {"length": len(node[2]), "most": MAX_PATTERN_LENGTH}
    elif _nested_repetition(node[2]):
        problem = N_(
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
            problem = N_("The regex() pattern is not a valid regular expression: {reason}")
            params = {"reason": reason}
    raise ExpressionError(problem, src, node[1], params=params)


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

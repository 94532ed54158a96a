"""XPath's value rules, which expressions follow as ODK does.

A value is a bool, float, str or ``datetime.date``. This module turns answers into values
(an unanswered question is ``''``, a select_multiple answer is its codes separated by
spaces), converts between the kinds (``number('abc')`` is NaN, ``1 div 0`` is infinity),
compares them (a date against 'YYYY-MM-DD' text compares as dates) and gives the codes
chosen in a select_multiple answer. ``expression_compiler`` builds evaluators from these.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import re
from collections.abc import Callable
from typing import Any

__all__ = [
    "OPERATORS",
    "Value",
    "divide",
    "equal",
    "less",
    "less_or_equal",
    "modulo",
    "selected_codes",
    "to_boolean",
    "to_date",
    "to_days",
    "to_number",
    "to_string",
    "truncate",
    "xpath_value",
]

Value = Any  # an XPath value: bool, float, str or datetime.date

_NAN, _INF = float("nan"), float("inf")
_EPOCH = dt.date(1970, 1, 1).toordinal()
_LAST_DAY = dt.date.max.toordinal() - _EPOCH
_NUMBER_TEXT = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")
_DATE_TEXT = re.compile(r"[ \t\r\n]*([0-9]{4}-[0-9]{2}-[0-9]{2})(?:T[^ \t\r\n]*)?[ \t\r\n]*")


def xpath_value(raw: Any) -> Value:
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


def to_number(x: Value) -> float:
    """XPath ``number()``: NaN for text that is not a plain number; a date in days from 1970."""
    kind = type(x)
    if kind is float:
        return x
    if kind is str:
        return float(x) if _NUMBER_TEXT.fullmatch(x) else _NAN
    if kind is bool:
        return 1.0 if x else 0.0
    if kind is dt.date:
        return float(x.toordinal() - _EPOCH)
    return to_number(xpath_value(x))


def to_days(x: Value) -> float:
    """A value as days since 1970-01-01, reading 'YYYY-MM-DD' text as a date."""
    if type(x) is str and (match := _DATE_TEXT.fullmatch(x)) is not None:
        try:
            return float(dt.date.fromisoformat(match.group(1)).toordinal() - _EPOCH)
        except ValueError:  # like 2024-02-30
            return _NAN
    return to_number(x)


def to_string(x: Value) -> str:
    """XPath ``string()``: 3.0 is '3' (never exponent notation), true is 'true', dates ISO."""
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
    return to_string(xpath_value(x))


def to_boolean(x: Value) -> bool:
    """XPath ``boolean()``: '', 0 and NaN are false; other text, numbers and dates are true."""
    kind = type(x)
    if kind is bool:
        return x
    if kind is str:
        return x != ""
    if kind is float:
        return abs(x) > 1e-12  # False for NaN too
    return True  # a date


def equal(a: Value, b: Value) -> bool:
    """``a = b``: as booleans if either is one, else numbers, else dates, else text."""
    ta, tb = type(a), type(b)
    if ta is tb and ta is not float:
        return a == b
    if ta is bool or tb is bool:
        return to_boolean(a) == to_boolean(b)
    if ta is float or tb is float:
        x, y = to_number(a), to_number(b)
        return x == y or abs(x - y) < 1e-12
    if ta is dt.date or tb is dt.date:
        return to_days(a) == to_days(b)
    return to_string(a) == to_string(b)


def _ordered(a: Value, b: Value) -> tuple[float, float]:
    """Both values as numbers to order them: as days when either is a date."""
    if type(a) is dt.date or type(b) is dt.date:
        return to_days(a), to_days(b)
    return to_number(a), to_number(b)


def less(a: Value, b: Value) -> bool:
    """``a < b`` as numbers (as days when either is a date); false if either is NaN."""
    x, y = _ordered(a, b)
    return x < y


def less_or_equal(a: Value, b: Value) -> bool:
    """``a <= b`` as numbers (as days when either is a date); false if either is NaN."""
    x, y = _ordered(a, b)
    return x <= y


def divide(x: float, y: float) -> float:
    """``x div y``: over zero it is a signed infinity, or NaN for 0 div 0."""
    try:
        return x / y
    except ZeroDivisionError:
        return _NAN if x != x or x == 0 else math.copysign(_INF, x) * math.copysign(1.0, y)


def modulo(x: float, y: float) -> float:
    """``x mod y``, truncated like XPath (-7 mod 3 is -1); NaN for mod 0."""
    try:
        return math.fmod(x, y)  # truncated, like XPath: -7 mod 3 = -1
    except ValueError:
        return _NAN


def truncate(x: float) -> float:
    """XPath ``int()``: towards zero, keeping NaN and infinities."""
    return x if x != x or x in (_INF, -_INF) else float(math.trunc(x))


def to_date(x: Value) -> Value:
    """XPath ``date()`` of a date, 'YYYY-MM-DD' text or days since 1970; '' if not one."""
    if type(x) is dt.date:
        return x
    days = to_days(x)
    if days != days or not -_EPOCH < days < _LAST_DAY:
        return ""
    return dt.date.fromordinal(int(days) + _EPOCH)


def selected_codes(raw: Any) -> tuple[str, ...] | list[str]:
    """The codes chosen in a select_multiple answer (a tuple or space-separated text)."""
    if type(raw) is tuple:
        return raw
    return () if raw is None else to_string(xpath_value(raw)).split()


OPERATORS: dict[str, Callable[[Value, Value], Value]] = {
    "=": equal,
    "!=": lambda a, b: not equal(a, b),
    "<": less,
    "<=": less_or_equal,
    ">": lambda a, b: less(b, a),
    ">=": lambda a, b: less_or_equal(b, a),
    "+": lambda a, b: to_number(a) + to_number(b),
    "-": lambda a, b: to_number(a) - to_number(b),
    "*": lambda a, b: to_number(a) * to_number(b),
    "div": lambda a, b: divide(to_number(a), to_number(b)),
    "mod": lambda a, b: modulo(to_number(a), to_number(b)),
}

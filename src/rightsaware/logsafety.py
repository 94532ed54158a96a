"""Keeping personal data out of logs: a redacting filter, and helpers that prove it in tests.

* :class:`RedactingFilter` — a :class:`logging.Filter` that replaces anything shaped like a
  phone number or an e-mail address in a log record (message, arguments and exception
  text) with ``[redacted]``. :func:`install` puts it on every handler of the root logger;
  it is a second line of defence: code must still never log personal data.
* :func:`configure` — what ``rightsaware serve`` calls: a standard-error handler at the
  ``log_level`` setting (unless logging is already set up), with the filter installed.
* :func:`capture` — a context manager that records every log line (all loggers, DEBUG and
  up, SQLAlchemy's SQL log included, exceptions formatted with their tracebacks).
* :func:`variants` and :func:`find_personal_data` — the forms in which a phone number or a
  name could appear (``+447700900123``, ``07700 900123``, ``7700900123``, any case) and a
  scan of texts for them. Channels use these in their end-to-end log tests.
"""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Iterable, Iterator

PHONE = re.compile(r"(?<![\w/])\+?\d(?:[ \-().]?\d){8,16}(?!\w)")
EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
REDACTED = "[redacted]"
#: The last-resort page: no translator may be working when it is needed, so all three languages.
ERROR_PAGE = (
    "Aeth rhywbeth o'i le ar ein hochr ni. Rhowch gynnig arall arni yn nes ymlaen.\n"
    "Chaidh rudeigin ceàrr air ar taobh-ne. Feuch a-rithist an ceann greis.\n"
    "Something went wrong on our side. Please try again later.\n"
    "Cyfeirnod / Àireamh-iomraidh / Reference: {reference}\n"
)


def redact(text: str) -> str:
    """``text`` with phone numbers and e-mail addresses replaced by ``[redacted]``."""
    return EMAIL.sub(REDACTED, PHONE.sub(REDACTED, text))


class RedactingFilter(logging.Filter):
    """Redact phone numbers and e-mail addresses in every record that passes through."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string: keep the template only
            message = str(record.msg)
        record.msg = redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def install(logger: logging.Logger | None = None) -> RedactingFilter:
    """Add a :class:`RedactingFilter` to every handler of ``logger`` (the root logger by default)."""
    target = logger or logging.getLogger()
    found = next((f for handler in target.handlers for f in handler.filters if isinstance(f, RedactingFilter)), None)
    redacting = found or RedactingFilter()
    for handler in target.handlers:
        if redacting not in handler.filters:
            handler.addFilter(redacting)
    return redacting


LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def configure(level: str) -> RedactingFilter:
    """Log to standard error at ``level`` (the ``log_level`` setting), redacted.

    An application that set up logging already keeps its handlers; the filter is added to them.
    """
    from .errors import ConfigError
    from .i18n import N_

    name = level.strip().upper()
    if name not in LEVELS:
        raise ConfigError(N_("log_level must be one of {levels}, not '{value}'"),
                          params={"levels": ", ".join(LEVELS), "value": level})
    root = logging.getLogger()
    if not root.handlers:
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
        root.setLevel(name)
    return install(root)


class Captured:
    """What :func:`capture` recorded: ``text`` holds every formatted line."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def text(self) -> str:
        return self.stream.getvalue()


@contextlib.contextmanager
def capture(level: int = logging.DEBUG) -> Iterator[Captured]:
    """Record every log line of every logger within the block (SQL statements included)."""
    captured = Captured()
    handler = logging.StreamHandler(captured.stream)
    handler.setLevel(level)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    sql = logging.getLogger("sqlalchemy.engine")
    old_root, old_sql = root.level, sql.level
    root.addHandler(handler)
    root.setLevel(level)
    sql.setLevel(logging.INFO)  # statements and (hidden) parameters
    try:
        yield captured
    finally:
        root.removeHandler(handler)
        root.setLevel(old_root)
        sql.setLevel(old_sql)


def variants(value: str) -> set[str]:
    """The forms in which a phone number or a name could show up in text (compared case-folded)."""
    value = value.strip()
    found = {value.casefold()}
    digits = re.sub(r"\D", "", value)
    if len(digits) >= 7 and re.fullmatch(r"[+\d\s\-().]+", value):
        found |= {digits, "+" + digits}
        if digits.startswith("44"):
            national = "0" + digits[2:]
            found |= {national, digits[2:], f"{national[:5]} {national[5:]}"}
        elif digits.startswith("0"):
            found |= {"+44" + digits[1:], "44" + digits[1:], digits[1:]}
    return {item for item in found if len(item) >= 4}


def find_personal_data(texts: Iterable[str], values: Iterable[str]) -> list[str]:
    """Which of ``values`` (phone numbers, names) appear, in any of their forms, in ``texts``."""
    haystack = "\n".join(texts).casefold()
    return sorted({value for value in values if any(form in haystack for form in variants(value))})


class SafeErrors:
    """ASGI middleware: an unhandled error becomes a plain 500 page and one safe log line.

    The log line names the exception's type, the endpoint and a short reference that the
    page shows too; never the exception's message (it may quote an answer or a number),
    never the URL (personal links carry tokens). With ``RIGHTSAWARE_DEBUG=1`` the
    traceback's frames are logged as well (file, line and code; still not the message).
    Nothing propagates to the server, so uvicorn logs no traceback of its own.
    """

    def __init__(self, app) -> None:  # noqa: ANN001 - an ASGI app
        self.app = app

    async def __call__(self, scope, receive, send) -> None:  # noqa: ANN001 - ASGI
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message) -> None:  # noqa: ANN001
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception as exc:  # noqa: BLE001 - the point of this middleware
            import os
            import secrets

            reference = secrets.token_hex(4)
            endpoint = scope.get("endpoint")
            where = getattr(endpoint, "__qualname__", None) or getattr(endpoint, "__name__", None) or "?"
            log = logging.getLogger("rightsaware.server")
            log.error("unhandled %s in %s %s (reference %s)", type(exc).__name__, scope.get("method", "?"), where,
                      reference)
            if os.environ.get("RIGHTSAWARE_DEBUG"):
                import traceback

                frames = "".join(traceback.format_tb(exc.__traceback__))  # where, never the message
                log.error("traceback of %s (%s; message left out):\n%s", reference, type(exc).__name__, redact(frames))
            if started:
                return
            body = ERROR_PAGE.format(reference=reference).encode("utf-8")
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                    (b"content-length", str(len(body)).encode()), (b"cache-control", b"no-store")]})
            await send({"type": "http.response.body", "body": body})

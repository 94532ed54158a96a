"""The exception hierarchy: every error a user can cause is a ``RightsawareError``.

The CLI and server turn these into one-screen messages (never a traceback); ``exit_code``
says how the CLI should exit (1: invalid input, 2: usage).

Messages are English templates marked with ``N_`` and translated when they are shown, in
the language of whoever reads them (the CLI's, a web request's)::

    raise NotFound(N_("There is no survey called '{id}'."), params={"id": survey_id})
    ...
    except RightsawareError as exc:
        print(exc.display(messages))          # 'Does dim arolwg o'r enw ...'

``str(exc)`` and ``exc.message`` stay English (logs, tests). ``plural=`` gives the plural
template of a message whose ``params`` has ``n``. A param may itself be translatable: a
:class:`Message` (a template with its own params) or another error; it is translated into
the same language before it is filled in. A message already translated when it was raised
(with :func:`rightsaware.i18n._`) is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _fill(template: str, params: Mapping[str, Any]) -> str:
    if not params:
        return template
    try:
        return template.format(**params)
    except (KeyError, IndexError, ValueError, AttributeError):
        return template


def _translate_params(params: Mapping[str, Any], messages: Any) -> dict[str, Any]:
    """Params with every :class:`Message` or error among them translated by ``messages``."""
    return {key: value.translated(messages) if isinstance(value, (Message, RightsawareError)) else value
            for key, value in params.items()}


class Message:
    """A translatable piece of a message: an ``N_`` template and its params.

    Put it among an error's ``params`` when the piece needs translating too::

        raise ExpressionError(N_("Unexpected {token}"), src, i,
                              params={"token": Message(N_("the text '{text}'"), text=text)})

    ``str()`` is the English text.
    """

    __slots__ = ("params", "template")

    def __init__(self, template: str, /, **params: Any) -> None:
        self.template = template
        self.params = params

    def __str__(self) -> str:
        return _fill(self.template, self.params)

    def __repr__(self) -> str:
        return f"Message({self.template!r}, **{self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.template, self.params) == (other.template, other.params)

    __hash__ = None  # type: ignore[assignment] - params is a dict

    def translated(self, messages: Any) -> str:
        """The text in the language of ``messages`` (English when it is None)."""
        if messages is None:
            return str(self)
        return messages._(self.template, **_translate_params(self.params, messages))


class RightsawareError(Exception):
    """Base class for errors caused by input, configuration or state, with a readable message."""

    exit_code = 1

    def __init__(self, message: str, *, details: Any = (), params: Mapping[str, Any] | None = None,
                 plural: str | None = None) -> None:
        self.template = message
        self.plural = plural
        self.params = dict(params or {})
        english = plural if plural is not None and self.params.get("n") != 1 else message
        message = _fill(english, self.params)
        super().__init__(message)
        self.message = message
        # details are strings, or objects with .format(translate) (loading.Problem)
        self._detail_items = list(details)
        self.details = [str(item) for item in self._detail_items]

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  {line}" for line in self.details)

    def translated(self, messages: Any) -> str:
        """The message in the language of ``messages`` (a :class:`rightsaware.i18n.Messages`)."""
        if messages is None:
            return self.message
        params = _translate_params(getattr(self, "params", None) or {}, messages)
        template = getattr(self, "template", self.message)
        plural = getattr(self, "plural", None)
        if plural is not None and "n" in params:
            ngettext = getattr(messages, "ngettext", None)
            if ngettext is None:  # no plural lookup: the English form, if it is translated
                return messages._(template if params["n"] == 1 else plural, **params)
            rest = {k: v for k, v in params.items() if k != "n"}
            return ngettext(template, plural, params["n"], **rest)
        return messages._(template, **params)

    def translated_details(self, messages: Any) -> list[str]:
        """The detail lines in the language of ``messages``."""
        items = getattr(self, "_detail_items", self.details)
        if messages is None:
            return [str(item) for item in items]
        lines = []
        for item in items:
            if hasattr(item, "format") and not isinstance(item, str):
                lines.append(item.format(messages._))
            else:
                lines.append(messages._(str(item)))
        return lines

    def display(self, messages: Any) -> str:
        """Message and details, translated, as the CLI prints them."""
        details = self.translated_details(messages)
        text = self.translated(messages)
        if not details:
            return text
        return text + "\n" + "\n".join(f"  {line}" for line in details)


class ConfigError(RightsawareError):
    """Settings are missing or wrong."""

    exit_code = 2


class InstrumentError(RightsawareError):
    """An instrument file cannot be read or is not a valid instrument.

    ``problems`` are ``Problem`` values, each with file, line and field path.
    """

    def __init__(self, message: str, problems=(), *, params: Mapping[str, Any] | None = None,  # noqa: ANN001
                 plural: str | None = None) -> None:
        self.problems = list(problems)
        super().__init__(message, details=self.problems, params=params, plural=plural)


class ExpressionError(RightsawareError):
    """An expression (``relevant``, ``constraint``, referral rule) is invalid.

    ``position`` is the 0-based character offset of the problem in ``source``.
    """

    def __init__(self, message: str, source: str = "", position: int | None = None, *,
                 params: Mapping[str, Any] | None = None, plural: str | None = None) -> None:
        self.source = source
        self.position = position
        super().__init__(message, params=params, plural=plural)

    def __str__(self) -> str:
        if self.position is None or not self.source:
            return self.message
        return f"{self.message} (at character {self.position + 1} of {self.source!r})"

    def translated(self, messages: Any) -> str:
        text = super().translated(messages)
        if self.position is None or not self.source or messages is None:
            return str(self) if messages is None else text
        return messages._("{message} (at character {position} of '{source}')", message=text,
                          position=self.position + 1, source=self.source)


class InstrumentConflict(RightsawareError):
    """The same instrument id and version was seen with different content."""


class StoreError(RightsawareError):
    """The store cannot be opened, migrated or written."""


class ConcurrentUpdate(StoreError):
    """Another process changed the same response first; reload and try again."""


class NotFound(RightsawareError):
    """A named thing (instrument, response, respondent, organisation) does not exist."""


class CatalogError(RightsawareError):
    """A declared language has no catalog, or a catalog is broken."""

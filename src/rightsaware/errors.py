"""The exception hierarchy: every error a user can cause is a ``RightsawareError``.

The CLI and server turn these into one-screen messages (never a traceback); ``exit_code``
says how the CLI should exit (1: invalid input, 2: usage).
"""

from __future__ import annotations


class RightsawareError(Exception):
    """Base class for errors caused by input, configuration or state, with a readable message."""

    exit_code = 1

    def __init__(self, message: str, *, details: list[str] | tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details)

    def __str__(self) -> str:
        if not self.details:
            return self.message
        return self.message + "\n" + "\n".join(f"  {line}" for line in self.details)


class ConfigError(RightsawareError):
    """Settings are missing or wrong."""

    exit_code = 2


class InstrumentError(RightsawareError):
    """An instrument file cannot be read or is not a valid instrument.

    ``problems`` are ``Problem`` values, each with file, line and field path.
    """

    def __init__(self, message: str, problems=()) -> None:  # noqa: ANN001 - Problem is in loading
        self.problems = list(problems)
        super().__init__(message, details=[str(p) for p in self.problems])


class ExpressionError(RightsawareError):
    """An expression (``relevant``, ``constraint``, referral rule) is invalid.

    ``position`` is the 0-based character offset of the problem in ``source``.
    """

    def __init__(self, message: str, source: str = "", position: int | None = None) -> None:
        self.source = source
        self.position = position
        super().__init__(message)

    def __str__(self) -> str:
        if self.position is None or not self.source:
            return self.message
        return f"{self.message} (at character {self.position + 1} of {self.source!r})"


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

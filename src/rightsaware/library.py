"""The instruments a deployment offers: the built-in ones plus a folder of the deployer's own.

Each instrument file ``ID.toml`` may keep its catalogs beside it in ``ID/locales/``.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from attrs import frozen

from .errors import InstrumentError, NotFound
from .i18n import N_
from .instrument import Instrument
from .loading import load_instrument


@frozen
class LibraryEntry:
    instrument: Instrument
    path: Path
    builtin: bool

    @property
    def locales_dir(self) -> Path:
        return self.path.with_suffix("") / "locales"


def builtin_instruments_dir() -> Path:
    return Path(str(resources.files("rightsaware") / "data" / "instruments"))


class InstrumentLibrary:
    """Loads instrument files once and finds them by id."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders
        self._entries: dict[str, LibraryEntry] | None = None
        self.problems: list[InstrumentError] = []

    def _load(self) -> dict[str, LibraryEntry]:
        if self._entries is None:
            entries: dict[str, LibraryEntry] = {}
            builtin = builtin_instruments_dir()
            for folder in self.folders:
                if not folder.is_dir():
                    continue
                for path in sorted(folder.glob("*.toml")):
                    try:
                        instrument = load_instrument(path)
                    except InstrumentError as exc:
                        self.problems.append(exc)
                        continue
                    entries.setdefault(instrument.id, LibraryEntry(instrument, path, folder == builtin))
            self._entries = entries
        return self._entries

    def add(self, instrument: Instrument, path: Path | None = None) -> None:
        """Offer an instrument that is not in a folder (tests, embedding applications)."""
        self._load()[instrument.id] = LibraryEntry(instrument, path or Path(f"{instrument.id}.toml"), False)

    def entries(self) -> list[LibraryEntry]:
        return sorted(self._load().values(), key=lambda e: e.instrument.id)

    def entry(self, instrument_id: str) -> LibraryEntry:
        try:
            return self._load()[instrument_id]
        except KeyError:
            known = ", ".join(sorted(self._load())) or "-"
            raise NotFound(N_("no instrument with id '{id}' (available: {known})"),
                           params={"id": instrument_id, "known": known}) from None

    def get(self, instrument_id: str) -> Instrument:
        return self.entry(instrument_id).instrument

    def ids(self) -> list[str]:
        return sorted(self._load())

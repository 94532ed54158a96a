"""The runtime: one object that owns settings, plugins, channels, store, translator and instruments.

Hooks receive it as ``runtime``. Everything heavy (the store, catalogs, instruments) is
opened on first use, so ``rightsaware --help`` stays fast.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pluggy

from .channel import ChannelRegistry
from .library import InstrumentLibrary, builtin_instruments_dir
from .plugins import make_plugin_manager
from .settings import Settings, load_settings, secret_keys


class Runtime:
    """Settings, plugin manager, channels, store, translator and instrument library."""

    def __init__(self, settings: Settings | None = None, plugin_manager: pluggy.PluginManager | None = None) -> None:
        self.settings = settings or load_settings()
        self.pm = plugin_manager if plugin_manager is not None else make_plugin_manager()
        self.hook = self.pm.hook
        self.channels = ChannelRegistry()
        self.hook.register_channels(register=self.channels.register, runtime=self)
        self._store = None
        self._closed = False
        folders = [builtin_instruments_dir()]
        if self.settings.instruments_dir:
            folders.append(Path(self.settings.instruments_dir))
        self.instruments = InstrumentLibrary(folders)

    # --- lazily opened parts -----------------------------------------------------------

    @functools.cached_property
    def keyring(self):  # noqa: ANN201 - rightsaware.crypto.Keyring
        from .crypto import Keyring

        # The current secret encrypts; previous ones (during a key rotation) still decrypt.
        return Keyring.from_secrets(secret_keys(self.settings))

    @property
    def store(self):  # noqa: ANN201 - rightsaware.store.Store
        if self._store is None:
            if self._closed:  # a background thread must not reopen (and re-migrate) a closed store
                from .errors import StoreError
                from .i18n import N_

                raise StoreError(N_("the store was closed; this runtime is shutting down"))
            from .store import Store

            self._store = Store.open(self.settings.database, self.keyring)
        return self._store

    def use_store(self, store: Any) -> None:
        """Use an already opened store (tests, embedding applications)."""
        self._store = store
        self._closed = False

    @functools.cached_property
    def translator(self):  # noqa: ANN201 - rightsaware.i18n.Translator
        from .i18n import Translator, core_locales_dir

        translator = Translator(languages=self.settings.languages)
        translator.add_domain("rightsaware", core_locales_dir())
        self.hook.register_message_catalogs(register=translator.add_domain, runtime=self)
        return translator

    def messages(self, locale: str):  # noqa: ANN201 - rightsaware.i18n.Messages
        """Translated messages bound to one locale."""
        return self.translator.messages(locale)

    def instrument(self, instrument_id: str):  # noqa: ANN201
        """An instrument by id, with its catalogs loaded into the translator."""
        entry = self.instruments.entry(instrument_id)
        self.translator.add_instrument(entry.instrument, entry.path)
        return entry.instrument

    def close(self) -> None:
        self._closed = True
        if self._store is not None:
            self._store.close()
            self._store = None


def make_runtime(settings: Settings | None = None, **kwargs: Any) -> Runtime:
    """A runtime with installed plugins; keyword arguments override settings."""
    settings = settings or load_settings(**kwargs)
    return Runtime(settings)

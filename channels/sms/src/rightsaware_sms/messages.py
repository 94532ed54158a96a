"""The SMS channel's gettext domain (``rightsaware_sms``) and small helpers to use it.

Respondent-facing texts are translated in the respondent's language with
:func:`sms_messages`; command-line texts in the user's language with :func:`ui` (imported
as ``_`` so that the extractor finds them), which the
``rightsaware sms`` commands bind to their runtime with :func:`bind_ui`. Messages are
English templates with ``{named}`` placeholders, marked with :func:`N_` where they are
defined away from the call that translates them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

DOMAIN = "rightsaware_sms"
LOCALES_DIR = Path(__file__).parent / "locales"

_ui_messages: Any = None


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def sms_messages(runtime: Any, locale: str) -> Any:
    """The ``rightsaware_sms`` domain's messages in ``locale`` (``._``, ``.ngettext``).

    The domain is registered by the plugin's ``register_message_catalogs``; a runtime built
    without the plugin (a test, an embedding application) gets it added on first use.
    """
    translator = runtime.translator
    if not translator.has_domain(DOMAIN):
        translator.add_domain(DOMAIN, LOCALES_DIR)
    return runtime.messages(locale).domain(DOMAIN)


def bind_ui(runtime: Any, language: str) -> None:
    """Translate command-line messages through ``runtime`` in ``language`` from now on."""
    global _ui_messages
    _ui_messages = sms_messages(runtime, language)


def ui(message: str, **params: Any) -> str:
    """``message`` in the command line's language (English until :func:`bind_ui` ran)."""
    if _ui_messages is not None:
        return _ui_messages._(message, **params)
    return message.format(**params) if params else message


def ui_plural(singular: str, plural: str, n: int, **params: Any) -> str:
    """The plural form of a command-line message for ``n``."""
    if _ui_messages is not None:
        return _ui_messages.ngettext(singular, plural, n, **params)
    return (singular if n == 1 else plural).format(n=n, **params)


#: The names the extractor knows (``rightsaware i18n extract``): modules import these.
_ = ui
ngettext = ui_plural

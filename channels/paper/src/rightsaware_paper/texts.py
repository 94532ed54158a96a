"""The paper channel's translated text: its gettext domain and one language's form text.

Every string the channel shows (PDF instructions, the review pages, CLI messages) is
written in English in the code, marked with :func:`N_` or passed to ``_`` and translated
through the ``rightsaware_paper`` domain (catalogs in ``locales/``). The instrument's own
text (title, labels, choices) comes from the instrument's catalogs through
:func:`rightsaware.i18n.localize`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rightsaware.errors import RightsawareError

DOMAIN = "rightsaware_paper"
LOCALES_DIR = Path(__file__).parent / "locales"


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


def paper_messages(runtime: Any, language: str) -> Any:
    """The channel's messages (``._``, ``.ngettext``) in ``language``.

    The domain is registered by the plugin's ``register_message_catalogs``; a runtime built
    without the plugin (a test, an embedding application) gets it added on first use.
    """
    translator = runtime.translator
    if not translator.has_domain(DOMAIN):
        translator.add_domain(DOMAIN, LOCALES_DIR)
    return runtime.messages(language).domain(DOMAIN)


class FormText:
    """One language's text for one instrument, as the form composer needs it."""

    def __init__(self, runtime: Any, instrument: Any, language: str) -> None:
        from rightsaware.i18n import localize

        self.language = language
        self._messages = paper_messages(runtime, language)
        self._local = localize(instrument, runtime.messages(language))

    def title(self) -> str:
        return self._local.title()

    def label(self, question: Any) -> str:
        return self._local.label(question)

    def hint(self, question: Any) -> str | None:
        return self._local.hint(question)

    def choice_label(self, question: Any, choice: Any) -> str:
        return self._local.choice_label(question, choice)

    def _(self, message: str, **params: Any) -> str:
        return self._messages._(message, **params)

    def ngettext(self, singular: str, plural: str, n: int, **params: Any) -> str:
        return self._messages.ngettext(singular, plural, n, **params)


def tr(message: str, *, domain: str = DOMAIN, **params: Any) -> str:
    """``message`` in the active locale (:func:`rightsaware.i18n.use_messages`), else English."""
    from rightsaware.errors import CatalogError
    from rightsaware.i18n import current_messages

    messages = current_messages()
    try:
        return messages.domain(domain)._(message, **params)
    except CatalogError:
        return message.format(**params) if params else message


class PaperError(RightsawareError):
    """A user error of the paper channel; ``template`` and ``params`` translate it again later."""

    def __init__(self, template: str, *, domain: str = DOMAIN, **params: Any) -> None:
        super().__init__(tr(template, domain=domain, **params))
        self.template = template
        self.domain = domain
        self.params = params

    def translated(self, messages: Any) -> str:
        """The message in the language of ``messages`` (any domain's messages)."""
        return messages.domain(self.domain)._(self.template, **self.params)


def trn(singular: str, plural: str, n: int, **params: Any) -> str:
    """The plural form for ``n`` in the active locale (CLDR: six forms in Welsh, four in Gaelic)."""
    from rightsaware.errors import CatalogError
    from rightsaware.i18n import current_messages

    try:
        return current_messages().domain(DOMAIN).ngettext(singular, plural, n, **params)
    except CatalogError:
        return (singular if n == 1 else plural).format(n=n, **params)


ngettext = trn  # the name the extractor knows

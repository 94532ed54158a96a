"""The web channel's own gettext domain, ``rightsaware_web`` (catalogs in ``locales/``).

Pages get this domain's messages from :meth:`rightsaware_web.site.Site.messages`;
operator-facing errors raised outside a request use :func:`_`, which translates into the
locale made active with :func:`rightsaware.i18n.use_messages` (English otherwise).
Strings are extracted from the Python sources and the templates (Babel's ``jinja2``
extractor) by ``rightsaware i18n update --domain rightsaware_web``, and checked by
``rightsaware i18n check``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rightsaware.errors import CatalogError
from rightsaware.i18n import current_messages

DOMAIN = "rightsaware_web"
LOCALES_DIR = Path(__file__).parent / "locales"


def _(message: str, **params: Any) -> str:
    """Translate into the active locale in this package's domain and fill ``{placeholders}``."""
    messages = current_messages()
    try:
        return messages.domain(DOMAIN)._(message, **params)
    except CatalogError:  # a runtime without the web plugin's catalogs: English
        return message.format(**params) if params else message


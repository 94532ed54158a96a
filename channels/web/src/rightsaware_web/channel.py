"""The web channel object the core calls (``info``, ``render``, ``deliver``, ``parse_inbound``).

The pages themselves live in :mod:`rightsaware_web.pages`; this object lets the core and
other plugins treat the web like any channel: render a question (the structured view
the page template shows), "deliver" an invitation (the web sends nothing itself: it makes
the respondent's personal link, for SMS or e-mail to carry), and decode a form post.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from rightsaware.channel import ChannelInfo
from rightsaware.errors import ConfigError, NotFound
from rightsaware.events import InboundEvent, Invitation, Receipt, Rendered
from rightsaware.i18n import N_, localize

from .questions import question_view

NAME = "web"


def _instrument_of(question: Any, runtime: Any) -> Any | None:
    current = getattr(runtime, "current_instrument", None)
    if current is not None and question in current.questions:
        try:
            runtime.instrument(current.id)  # loads its catalogs into the translator
        except NotFound:
            pass
        return current
    for instrument_id in runtime.instruments.ids():
        try:
            instrument = runtime.instrument(instrument_id)
        except Exception:  # noqa: BLE001 - an instrument with broken catalogs is skipped here
            continue
        if question in instrument.questions:
            return instrument
    return None


class WebChannel:
    """Accessible web forms in English, Welsh and Gaelic."""

    info = ChannelInfo(name=NAME, title=N_("Surveys on the web"), interactive=True, max_text_length=None, free_text=True,
                       locales=("en", "cy", "gd"))

    def render(self, question: Any, locale: str, runtime: Any) -> Rendered:
        """The question's label as text; ``data`` holds what the page's form shows."""
        instrument = _instrument_of(question, runtime)
        if instrument is None:
            return Rendered(channel=NAME, locale=locale, text=question.label,
                            data={"name": question.name, "kind": question.kind})
        text = localize(instrument, runtime.messages(locale))
        view = question_view(question, instrument, text, locale, {}, None)
        return Rendered(channel=NAME, locale=locale, text=view["label"], data=view)

    def deliver(self, invitation: Invitation, rendered: Rendered, runtime: Any) -> Receipt:
        """Make the respondent's personal link (``provider_id``); the web has no way to push it."""
        from .links import make_personal_link

        if not invitation.respondent_id:
            return Receipt(ok=False, error_code="no_respondent", permanent=True,
                           error="The web channel needs a respondent to make a personal link for.")
        try:
            runtime.instruments.get(invitation.instrument_id)
            link = make_personal_link(runtime, invitation.instrument_id, invitation.respondent_id)
        except (ConfigError, NotFound) as exc:
            return Receipt(ok=False, error_code="no_link", error=str(exc), permanent=True)
        return Receipt(ok=True, provider_id=link)

    def parse_inbound(self, payload: Any, runtime: Any) -> InboundEvent | None:
        """A form post ``{"response_id", "question", "answer", "form_id"?}`` as an event, else ``None``."""
        if not isinstance(payload, Mapping):
            return None
        response_id, question = payload.get("response_id"), payload.get("question")
        if not isinstance(response_id, str) or not isinstance(question, str) or "answer" not in payload:
            return None
        if not response_id or not question:
            return None
        answer = payload["answer"]
        if not (answer is None or isinstance(answer, str)
                or (isinstance(answer, (list, tuple)) and all(isinstance(a, str) for a in answer))):
            return None
        key = payload.get("form_id")
        if not isinstance(key, str) or not key:
            key = hashlib.sha256(json.dumps([response_id, question, answer]).encode()).hexdigest()
        return InboundEvent(channel=NAME, idempotency_key=key, kind="reply", response_id=response_id,
                            answers={question: list(answer) if isinstance(answer, tuple) else answer},
                            language=payload.get("language") if isinstance(payload.get("language"), str) else None)

"""Withdrawing consent on the web: the link on the confirmation page, its question, its answer.

The confirmation page gives the respondent a link to keep (signed, naming the response,
working for ``withdraw_days``). Opening it only asks whether they really want to withdraw:
opening a link never changes anything (messaging apps open links to show previews). The
button withdraws through :func:`rightsaware.privacy.withdraw`, as a text message or the
command line would: the answers are left out of every result and export, referrals made
from them are cancelled, an unfinished response is closed and, when the response belongs
to a respondent known by their phone, all of that person's answers are withdrawn and they
are sent nothing more. Withdrawing again changes nothing.
"""

from __future__ import annotations

from typing import Any

from rightsaware.i18n import N_
from rightsaware.privacy import withdraw, withdrawn_responses
from starlette.requests import Request
from starlette.responses import Response

from .problems import problem_page
from .session import Session
from .site import CHANNEL, Site, load_instrument_or_none

ACTOR = "respondent:web"  # the audit log's actor: the respondent, through a web link


def withdrawal_page(site: Site, request: Request, response_id: str, session: Session, form: Any, *,
                    embed: bool) -> Response:
    """``GET``: the question (or "withdrawn" once done); ``POST``: withdraw, then back to ``GET``."""
    store = site.runtime.store
    response = site.responses.load(response_id)
    if response is None:  # erased, or never stored
        return problem_page(site, request, "link_invalid", embed=embed)
    instrument = load_instrument_or_none(site, response.instrument_id)
    available = site.available(instrument)
    language = site.page_language(request, available, response.language)
    messages = site.messages(language)
    context: dict[str, Any] = {"embed": embed, "session": session, "switcher_languages": available}
    if instrument is not None:
        context["service_name"] = site.text(instrument, language).title()
    if response_id in withdrawn_responses(store, [response_id]):
        return site.render(request, "message.html", language, **context,
                           page_title=messages._("Your answers have been withdrawn"),
                           paragraphs=[messages._("They will not be used. You do not need to do anything else.")])
    if form is not None:
        if not session.check_csrf(form.get("csrf_token")):
            return problem_page(site, request, "session_expired", embed=embed, language=language,
                                link=(request.url.path, N_("Try again")))
        withdraw(site.runtime, response_id=response_id, channel=CHANNEL, actor=ACTOR)
        site.responses.forget(response_id)
        if instrument is not None and session.response_for(instrument.id) == response_id:
            session.forget(instrument.id)
        return site.redirect(str(request.url.path) + ("?embed=1" if embed else ""), session, request, embed)
    return site.render(request, "withdraw.html", language, **context,
                       page_title=messages._("Withdraw your answers"), csrf=session.csrf,
                       action=str(request.url.path) + ("?embed=1" if embed else ""))

"""Links sent to respondents: ``/r/<token>`` for personal invitations and for resuming.

A personal link (made by :func:`make_personal_link` for an SMS or e-mail invitation)
names one respondent and one instrument; opening it shows the start page, and starting
(a POST, so that link previews in messaging apps never start anything) carries on with
that respondent's unfinished response or starts one. A resume link (from "Save and come
back later") names one response and takes the respondent straight back to it.

Both are signed and expire; an expired link says so, a forged one is "not found".
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import quote

from rightsaware.errors import CatalogError, ConfigError, NotFound
from rightsaware.i18n import N_
from rightsaware.response import STATUS_ABANDONED, STATUS_ACTIVE, STATUS_COMPLETED
from rightsaware.settings import ensure_secret_key
from sqlalchemy import and_, select
from starlette.requests import Request
from starlette.responses import Response

from . import events, flowpages
from .config import WebConfig
from .forms import read_form
from .i18n import _
from .landing import landing_page
from .problems import problem_page
from .session import Session
from .site import Site, is_embed
from .tokens import KIND_RESUME, KIND_WITHDRAW, LinkError, Tokens
from .withdraw import withdrawal_page


def make_personal_link(runtime: Any, instrument_id: str, respondent_id: str, *, days: int | None = None,
                       base_url: str | None = None) -> str:
    """A signed, expiring link for one respondent to answer one instrument on the web.

    ``base_url`` is where the web channel is reachable (default: the ``public_url``
    setting); ``days`` how long it works (default: ``RIGHTSAWARE_WEB_INVITATION_DAYS``,
    28). The link is about 90 characters plus the address, so it fits an SMS invitation.
    """
    if days is None:
        days = WebConfig.from_environ().invitation_days
    base = (base_url or runtime.settings.public_url or "").rstrip("/")
    if not base:
        raise ConfigError(_("Personal links need the server's public address. Set RIGHTSAWARE_PUBLIC_URL, for "
                            "example to https://survey.example.org"))
    if days < 1:
        raise ConfigError(_("A personal link must stay valid for at least one day."))
    tokens = Tokens(ensure_secret_key(runtime.settings))
    token = tokens.invitation(instrument_id, respondent_id, int(time.time()) + days * 86400)
    return f"{base}/r/{quote(token, safe='.-_')}"


def latest_response(store: Any, respondent_id: str, instrument_id: str) -> Any | None:
    """The respondent's newest response to the instrument that was not abandoned."""
    table = store.tables.responses
    query = (
        select(table.c.id)
        .where(and_(table.c.respondent_id == respondent_id, table.c.instrument_id == instrument_id,
                    table.c.status != STATUS_ABANDONED))
        .order_by(table.c.started_at.desc())
        .limit(1)
    )
    with store.engine.connect() as connection:
        response_id = connection.scalar(query)
    return None if response_id is None else store.load_response(response_id)


class Links:
    """Endpoints of ``/r/<token>``."""

    def __init__(self, site: Site, pages: Any) -> None:
        self.site = site
        self.pages = pages

    async def link(self, request: Request) -> Response:
        form = await read_form(request) if request.method == "POST" else None
        return await self.site.run(self._link, request, form)

    def _link(self, request: Request, form: Any) -> Response:
        site = self.site
        embed = is_embed(request)
        try:
            link = site.tokens.read_link(request.path_params["token"])
        except LinkError as exc:
            return problem_page(site, request, "link_expired" if exc.expired else "link_invalid", embed=embed)
        session = Session.load(request, site.tokens, site.config)
        if link.kind == KIND_WITHDRAW:
            return withdrawal_page(site, request, link.response_id, session, form, embed=embed)
        if link.kind == KIND_RESUME:
            return self._resume(request, link.response_id, session, embed)
        try:
            instrument = site.instrument(link.instrument_id)
        except NotFound:
            return problem_page(site, request, "link_invalid", embed=embed)
        except CatalogError:
            return problem_page(site, request, "unavailable", embed=embed)
        store = site.runtime.store
        respondent = store.respondent(link.respondent_id)
        if respondent is None or respondent.erased:
            return problem_page(site, request, "link_invalid", embed=embed)
        latest = latest_response(store, link.respondent_id, instrument.id)
        if latest is not None and latest.status == STATUS_COMPLETED and (
            latest.channel != "web" or events.is_submitted(store, latest)
        ):
            return problem_page(site, request, "already_sent", language=latest.language, embed=embed)
        unfinished = latest if latest is not None and latest.status in (STATUS_ACTIVE, STATUS_COMPLETED) else None
        if form is None:
            action = site.url(request, "/r/" + request.path_params["token"], embed="1" if embed else None)
            return landing_page(site, request, instrument, session, action=action, embed=embed,
                                continuing=unfinished is not None)
        if not session.check_csrf(form.get("csrf_token")):
            return problem_page(site, request, "session_expired", embed=embed, language=form.get("lang"),
                                link=(request.url.path, N_("Start again")))
        language = self.pages.chosen_language(request, instrument, form.get("language"))
        if unfinished is not None:
            response_id = unfinished.id
            if unfinished.language != language and unfinished.status == STATUS_ACTIVE:
                site.interviewer.switch_language(response_id, language)
        else:
            started = self.pages.start_response(instrument, language, form.get("nonce"),
                                                respondent_id=link.respondent_id)
            if started is None:
                return problem_page(site, request, "unavailable", embed=embed)
            response_id = started.id
        session.set_response(instrument.id, response_id)
        return self._continue(request, session, response_id, embed)

    def _resume(self, request: Request, response_id: str, session: Session, embed: bool) -> Response:
        site = self.site
        store = site.runtime.store
        response = site.responses.load(response_id)
        if response is None or response.status == STATUS_ABANDONED:
            return problem_page(site, request, "link_invalid", embed=embed)
        if events.is_submitted(store, response):
            return problem_page(site, request, "already_sent", language=response.language, embed=embed)
        try:
            site.instrument(response.instrument_id)
        except (NotFound, CatalogError):
            return problem_page(site, request, "unavailable", embed=embed)
        session.set_response(response.instrument_id, response.id)
        return self._continue(request, session, response.id, embed)

    def _continue(self, request: Request, session: Session, response_id: str, embed: bool) -> Response:
        site = self.site
        response = site.responses.load(response_id)
        engine = site.interviewer.engine(response.instrument_id)
        url = flowpages.next_page(site, request, engine, response, embed=embed)
        return site.redirect(url, session, request, embed)

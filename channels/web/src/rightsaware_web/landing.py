"""The start page of a survey (bilingual where Welsh or Gaelic is offered) and the list of surveys.

Where an instrument offers Welsh or Gaelic, the start page shows every offered language
with equal prominence, in the deployment's ``bilingual_order`` (Welsh first, then Gaelic,
then English, by default), each block marked with its ``lang``: the respondent chooses
the language rather than being guessed at (Welsh Language Standards; Bòrd na Gàidhlig's
"active offer"). Accept-Language only chooses the language of the page's surroundings.
"""

from __future__ import annotations

from typing import Any

from rightsaware.errors import CatalogError, NotFound
from starlette.requests import Request
from starlette.responses import Response

from .session import Session
from .site import Site, is_embed


def _blocks(site: Site, instrument: Any, *, continuing: bool) -> list[dict[str, Any]]:
    key = ("landing", instrument.id, instrument.content_hash, continuing)
    found = site.memo.get(key)
    if found is None:
        found = site.remember(key, _make_blocks(site, instrument, continuing=continuing))
    return found


def _make_blocks(site: Site, instrument: Any, *, continuing: bool) -> list[dict[str, Any]]:
    questions = sum(1 for q in instrument.questions if q.answerable)
    blocks = []
    for code in site.available(instrument):
        messages = site.messages(code)
        text = site.text(instrument, code)
        blocks.append({
            "lang": code,
            "name": site.language_name(code),
            "title": text.title(),
            "description": text.description(),
            "count": messages.ngettext("There is {n} question.", "There are up to {n} questions.", questions),
            "switch": messages._("You can change the language at any time. Your answers will be kept."),
            "button": messages._("Continue") if continuing else messages._("Start now"),
        })
    return blocks


def landing_page(site: Site, request: Request, instrument: Any, session: Session, *, action: str,
                 current: dict[str, Any] | None = None, embed: bool = False, continuing: bool = False) -> Response:
    """The start page: a block per offered language, each with its own Start button."""
    available = site.available(instrument)
    language = site.page_language(request, available)
    blocks = _blocks(site, instrument, continuing=continuing)
    titles: dict[str, str] = {}
    for block in blocks:
        shown = "en" if block["lang"] != "en" and block["title"] == instrument.title else block["lang"]
        titles.setdefault(block["title"], shown)
    return site.render(
        request, "landing.html", language, embed=embed, session=session, switcher_languages=available,
        page_title=" / ".join(titles), titles=list(titles.items()), service_name=site.text(instrument, language).title(),
        blocks=blocks, multilingual=len(blocks) > 1, action=action, csrf=session.csrf, nonce=site.nonce(),
        current=current,
    )


def survey_list(site: Site, request: Request) -> Response:
    """``/s``: every survey this server offers, with a link to its start page."""
    language = site.page_language(request, site.available())
    messages = site.messages(language)
    items = []
    for instrument_id in site.runtime.instruments.ids():
        try:
            instrument = site.instrument(instrument_id)
        except (NotFound, CatalogError):
            continue
        available = site.available(instrument)
        shown = language if language in available else available[0]
        items.append({
            "title": site.text(instrument, shown).title(),
            "lang": shown,
            "url": site.survey_url(request, instrument.id, embed=is_embed(request)),
            "languages": messages.format_list([messages.language_name(code) for code in available]),
        })
    return site.render(request, "surveys.html", language, embed=is_embed(request),
                       page_title=messages._("Surveys"), items=items)

"""The paper pages of ``rightsaware serve``: print forms, upload scans, and the review queue.

Server-rendered, in the reader's language (``?lang=``, cookie, Accept-Language), usable
with the keyboard alone (a small script adds shortcuts: 1–9 choose, 0 blank, x can't
tell). Every page needs a signed-in user with the ``reviewer`` role (admins too), through
:func:`rightsaware.auth_web.require_role`: the pages show and change answers and scans of
handwriting. Every POST carries the session's CSRF token. Decisions are recorded under the
user's name, and every scan image shown is written to the audit log (``scan.view``).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from rightsaware.audit import user_actor
from rightsaware.auth_web import check_csrf, require_role
from rightsaware.errors import RightsawareError
from rightsaware.i18n import install_jinja, localize
from rightsaware.server import SECURITY_HEADERS, request_language
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from .privacy import audit_scan_view, is_withdrawn, sheet_of_item, withdraw_sheet
from .reasons import explain, state_name
from .review import ACTIONS, Item, ReviewError, ReviewQueue
from .service import MAX_COPIES, PaperService
from .texts import N_, PaperError, paper_messages

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
ROLE = "reviewer"
LANGUAGE_OPTIONS = ("cy+en", "gd+en", "en", "cy", "gd")
MAX_UPLOAD_FILES = 200
MSG_CSRF = N_("This form has expired. Please try again.")
MSG_CONFIRM_WITHDRAW = N_("Tick the box to confirm that the page says the person withdraws their consent.")


class PaperPages:
    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES)),
                                      autoescape=jinja2.select_autoescape(["html"]), extensions=["jinja2.ext.i18n"])
        self._service: PaperService | None = None

    @property
    def service(self) -> PaperService:
        if self._service is None:
            self._service = PaperService(self.runtime)
        return self._service

    # --- helpers -------------------------------------------------------------------------

    def page(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        language = request_language(request, self.runtime)
        messages = paper_messages(self.runtime, language)
        env = self.env.overlay()
        install_jinja(env, messages)
        html = env.get_template(template).render(lang=language, csrf=request.state.csrf_token, m=messages,
                                                 path=request.url.path, reviewer=request.state.user.username, **context)
        response = HTMLResponse(html, status_code=status, headers={**SECURITY_HEADERS, "cache-control": "no-store"})
        if request.query_params.get("lang"):
            response.set_cookie("lang", language, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
        return response

    def messages(self, request: Request) -> Any:
        return paper_messages(self.runtime, request_language(request, self.runtime))

    # --- printing and uploading ------------------------------------------------------------

    async def home(self, request: Request, error: str | None = None, status: int = 200) -> HTMLResponse:
        def counts() -> tuple[dict, int]:
            from sqlalchemy import func, select

            from . import storage as db

            with self.service.engine.connect() as connection:
                rows = connection.execute(select(db.pages.c.state, func.count()).group_by(db.pages.c.state)).all()
            return {state: n for state, n in rows}, ReviewQueue(self.service).count()

        by_state, waiting = await run_in_threadpool(counts)
        m = self.messages(request)
        instruments = [(e.instrument.id, e.instrument.title) for e in self.runtime.instruments.entries()]
        return self.page(request, "paper_home.html", status=status, instruments=instruments, options=LANGUAGE_OPTIONS,
                         max_copies=MAX_COPIES, waiting=waiting, error=error,
                         states=[(state_name(s, m), by_state.get(s, 0)) for s in ("read", "in_review", "rejected", "done")])

    async def print_forms(self, request: Request) -> Response:
        form = await request.form()
        try:
            copies = int(str(form.get("copies", "1")) or "1")
            if not 1 <= copies <= MAX_COPIES:
                raise ValueError
        except ValueError:
            return await self.home(request, self.messages(request)._("The number of copies must be between 1 and "
                                                                     "{most}.", most=MAX_COPIES), 400)
        instrument_id = str(form.get("instrument", ""))
        try:
            forms = await run_in_threadpool(
                self.service.print_forms, instrument_id, str(form.get("languages", "cy+en")), copies=copies,
                large_print=form.get("large_print") == "1", stacked=form.get("stacked") == "1")
        except PaperError as exc:
            return await self.home(request, exc.translated(self.messages(request)), 400)
        except RightsawareError as exc:
            return await self.home(request, str(exc), 400)
        name = f"{instrument_id}-{forms.layout.fingerprint}.pdf"
        return Response(forms.pdf, media_type="application/pdf",
                        headers={**SECURITY_HEADERS, "content-disposition": f"attachment; filename=\"{quote(name)}\""})

    async def upload(self, request: Request) -> Response:
        from .scanning import Scanner

        form = await request.form(max_files=MAX_UPLOAD_FILES)
        m = self.messages(request)
        if not await check_csrf(request, request.state.csrf_token, form):  # require_role(csrf=False)
            return await self.home(request, m._(MSG_CSRF), 403)
        uploads = [f for f in form.getlist("files") if hasattr(f, "read") and getattr(f, "filename", "")]
        if not uploads:
            return await self.home(request, m._("Choose at least one file to upload."), 400)
        with tempfile.TemporaryDirectory() as folder:
            paths = []
            for index, upload in enumerate(uploads):
                safe = "".join(c for c in Path(upload.filename).name if c.isalnum() or c in " ._-")[-80:].strip()
                path = Path(folder) / f"{index:04d}" / (safe or "scan")
                path.parent.mkdir()
                path.write_bytes(await upload.read())
                paths.append(path)
            batch = str(form.get("batch", ""))[:200]
            report = await run_in_threadpool(Scanner(self.service).scan, paths, batch)
        rows = [{"file": Path(r.file).name, "page": r.page, "state": state_name(r.state, m),
                 "reason": explain(r.reason, m), "seen": r.outcome == "seen",
                 "review": sum(1 for a in r.answers if a["state"] == "in_review")} for r in report.records]
        return self.page(request, "paper_scanned.html", rows=rows, summary=report.summary(),
                         waiting=ReviewQueue(self.service).count())

    # --- review -------------------------------------------------------------------------

    async def queue(self, request: Request) -> HTMLResponse:
        m = self.messages(request)
        items = await run_in_threadpool(ReviewQueue(self.service).items, "open", 500)
        rows = [{"id": i.id, "what": self._title(i, m), "reasons": "; ".join(explain(r, m) for r in i.reasons),
                 "serial": i.page.get("serial") or "", "file": (i.page.get("source") or "").rsplit("/", 1)[-1]}
                for i in items]
        return self.page(request, "paper_queue.html", rows=rows)

    async def item(self, request: Request, error: str | None = None, status: int = 200) -> Response:
        queue = ReviewQueue(self.service)
        try:
            item = await run_in_threadpool(queue.item, int(request.path_params["item_id"]))
        except ReviewError:
            return self.page(request, "paper_queue.html", status=404, rows=[],
                             error=self.messages(request)._("There is no review item {id}.",
                                                            id=request.path_params["item_id"]))
        context = await run_in_threadpool(self._item_context, item, request)
        return self.page(request, "paper_item.html", status=status, error=error, **context)

    async def decide(self, request: Request) -> Response:
        form = await request.form()
        m = self.messages(request)
        who = request.state.user.username
        item_id = int(request.path_params["item_id"])
        action, _sep, chosen = str(form.get("decision", "")).partition(":")
        value: Any = None
        if action == "choose":
            values = [chosen] if chosen else [str(v) for v in form.getlist("value")]
            value = values if form.get("multiple") == "1" else (values[0] if values else "")
        elif action == "identify":
            value = str(form.get("value", ""))
        elif action == "keyed":
            value = {k[2:]: (form.getlist(k) if len(form.getlist(k)) > 1 else str(form.get(k)))
                     for k in form.keys() if k.startswith("q:")}
        try:
            await run_in_threadpool(ReviewQueue(self.service).decide, item_id, action, value, who=who)
        except ReviewError as exc:
            return await self.item(request, exc.translated(m), 400)
        following = await run_in_threadpool(ReviewQueue(self.service).next_open, item_id)
        target = f"/paper/review/{following.id}" if following else "/paper/review?done=1"
        return RedirectResponse(target, status_code=303)

    async def withdraw(self, request: Request) -> Response:
        """The page says the person withdraws consent: withdraw the sheet's response (core API)."""
        form = await request.form()
        m = self.messages(request)
        if form.get("confirm") != "1":
            return await self.item(request, m._(MSG_CONFIRM_WITHDRAW), 400)
        item_id = int(request.path_params["item_id"])
        username = request.state.user.username

        def run() -> Item | None:
            queue = ReviewQueue(self.service)
            sheet = sheet_of_item(self.service, queue.item(item_id))
            withdraw_sheet(self.service, sheet, who=username, actor=user_actor(username))
            return queue.next_open(item_id)

        try:
            following = await run_in_threadpool(run)
        except ReviewError:
            return await self.item(request)  # the 404 page
        except PaperError as exc:
            return await self.item(request, exc.translated(m), 400)
        target = f"/paper/review/{following.id}" if following else "/paper/review?done=1"
        return RedirectResponse(target, status_code=303)

    async def image(self, request: Request) -> Response:
        queue = ReviewQueue(self.service)
        try:
            item = await run_in_threadpool(queue.item, int(request.path_params["item_id"]))
        except ReviewError:
            return Response(status_code=404)
        if request.query_params.get("which") == "other":
            data = await run_in_threadpool(queue.other_page_image, item)
        else:
            data = await run_in_threadpool(queue.crop, item)
        if data is None:
            return Response(status_code=404)
        await run_in_threadpool(self._audit_image, request, item)
        return Response(data, media_type="image/png", headers={**SECURITY_HEADERS, "cache-control": "no-store"})

    def _audit_image(self, request: Request, item: Item) -> None:
        which = "other" if request.query_params.get("which") == "other" else "item"
        audit_scan_view(self.service, item, actor=user_actor(request.state.user.username), which=which)

    async def script(self, _request: Request) -> Response:
        return FileResponse(STATIC / "review.js", media_type="text/javascript", headers=SECURITY_HEADERS)

    # --- item details ------------------------------------------------------------------------

    def _title(self, item: Item, m: Any) -> str:
        if item.question:
            return m._("Question {name}, page {page}", name=item.question, page=item.page.get("page_no") or "?")
        return m._("Whole page")

    def _item_context(self, item: Item, request: Request) -> dict:
        from .item_view import item_view

        language = request_language(request, self.runtime)
        context = item_view(self.service, item, language, localize, ACTIONS)
        try:
            sheet = sheet_of_item(self.service, item)
        except PaperError:
            sheet = None
        context["can_withdraw"] = sheet is not None
        context["withdrawn"] = sheet is not None and is_withdrawn(self.service, sheet["response_id"])
        return context


def make_routes(runtime: Any) -> list[Route]:
    """The routes; every page that shows or changes forms, answers or scans needs the reviewer role."""
    pages = PaperPages(runtime)
    guard = require_role(ROLE)
    return [
        Route("/paper", guard(pages.home), methods=["GET"]),
        Route("/paper/print", guard(pages.print_forms), methods=["POST"]),
        Route("/paper/scan", require_role(ROLE, csrf=False)(pages.upload), methods=["POST"]),
        Route("/paper/review", guard(pages.queue), methods=["GET"]),
        Route("/paper/review/{item_id:int}", guard(pages.item), methods=["GET"]),
        Route("/paper/review/{item_id:int}", guard(pages.decide), methods=["POST"]),
        Route("/paper/review/{item_id:int}/withdraw", guard(pages.withdraw), methods=["POST"]),
        Route("/paper/review/{item_id:int}/image", guard(pages.image), methods=["GET"]),
        Route("/paper/static/review.js", pages.script, methods=["GET"]),
    ]

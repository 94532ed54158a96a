"""``/results``: the live dashboard of every survey, in the viewer's language, behind a sign-in.

Routes (all need a signed-in user with at least the ``viewer`` role; see
:mod:`rightsaware.auth_web`):

* ``GET /results`` — the surveys;
* ``GET /results/{id}?by=channel&by=local_authority&lang=cy`` — the same page as the HTML
  report, with a form to choose breakdowns (``synthetic=1`` counts practice responses);
* ``GET /results/{id}.json`` — the same protected figures as JSON (a suppressed cell is
  ``{"suppressed": true}`` with no count).

Every figure goes through the same disclosure control as reports and exports.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import Route

from .errors import NotFound, RightsawareError

NO_STORE = {"cache-control": "no-store"}


def results_routes(runtime: Any) -> list[Route]:
    """The ``/results`` routes (register them with the server)."""
    from .aggregate import available_dimensions
    from .auth_web import require_role
    from .report import environment, render_report
    from .server import SECURITY_HEADERS, request_language

    headers = {**SECURITY_HEADERS, **NO_STORE}

    def compute(request: Request, instrument_id: str) -> tuple[Any, Any, str]:
        from .aggregate import aggregate_results

        instrument = runtime.instrument(instrument_id)
        by = [part for value in request.query_params.getlist("by") for part in value.split(",") if part]
        results = aggregate_results(runtime, instrument_id, by=by,
                                    include_synthetic=request.query_params.get("synthetic") == "1")
        return instrument, results, request_language(request, runtime)

    def problem(request: Request, exc: RightsawareError, status: int) -> Response:
        text = exc.display(runtime.messages(request_language(request, runtime)))  # the viewer's language
        if request.url.path.endswith(".json"):
            return JSONResponse({"title": text}, status_code=status, headers=headers)
        return HTMLResponse(f"<!DOCTYPE html><meta charset=utf-8><title>{status}</title><p>"
                            + text.replace("&", "&amp;").replace("<", "&lt;") + "</p>", status_code=status,
                            headers=headers)

    @require_role("viewer")
    def index(request: Request) -> Response:
        from .i18n import install_jinja, localize

        language = request_language(request, runtime)
        m = runtime.messages(language)
        items = []
        for entry in runtime.instruments.entries():
            instrument = runtime.instrument(entry.instrument.id)
            items.append({"url": f"/results/{instrument.id}?lang={language}",
                          "title": localize(instrument, m).title()})
        env = environment()
        install_jinja(env, m)
        html = env.get_template("results_index.html").render(lang=language, instruments=items)
        return HTMLResponse(html, headers=headers)

    @require_role("viewer")
    def page(request: Request) -> Response:
        instrument_id = request.path_params["instrument_id"]
        try:
            instrument, results, language = compute(request, instrument_id)
        except NotFound as exc:
            return problem(request, exc, 404)
        except RightsawareError as exc:
            return problem(request, exc, 400)
        m = runtime.messages(language)
        chosen = {d.name for d in results.dimensions if d.requested}

        def query(lang: str) -> str:
            pairs = [("lang", lang)] + [("by", name) for name in sorted(chosen)]
            return urlencode(pairs)

        from .results_labels import Labels

        labels = Labels(runtime, instrument, language).know(results)
        choices = [(name, labels.dimension(name), name in chosen) for name in available_dimensions(instrument)]
        languages = [(code, m.language_name(code)) for code in runtime.settings.languages]
        html = render_report(runtime, results, instrument, language, template="results.html", query=query,
                             choices=choices, languages=languages, results_home=f"/results?lang={language}",
                             json_url=f"/results/{instrument_id}.json?{query(language)}")
        return HTMLResponse(html, headers=headers)

    @require_role("viewer")
    def data(request: Request) -> Response:
        instrument_id = request.path_params["instrument_id"]
        try:
            instrument, results, language = compute(request, instrument_id)
        except NotFound as exc:
            return problem(request, exc, 404)
        except RightsawareError as exc:
            return problem(request, exc, 400)
        from .exports import label_block
        from .results_labels import Labels

        body = results.to_json()
        body["labels"] = label_block(results, Labels(runtime, instrument, language).know(results))
        return JSONResponse(body, headers=headers)

    return [
        Route("/results", index, methods=["GET"]),
        Route("/results/{instrument_id}.json", data, methods=["GET"]),
        Route("/results/{instrument_id}", page, methods=["GET"]),
    ]

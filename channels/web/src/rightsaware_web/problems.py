"""Pages (and JSON bodies) for what went wrong: unknown pages, old links, lost sessions, limits.

Each problem has a short title and an explanation that says what to do next, in the
respondent's language, with the HTTP status that fits it.
"""

from __future__ import annotations

from typing import Any

from rightsaware.i18n import N_
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

PROBLEMS: dict[str, tuple[int, str, str]] = {
    "not_found": (404, N_("Page not found"), N_(
        "If you typed the web address, check it is correct. If you pasted it, check you copied the whole address.")),
    "link_invalid": (404, N_("This link does not work"), N_(
        "Check that you used the whole link from your message. If it still does not work, ask whoever sent it "
        "to you for a new one.")),
    "link_expired": (410, N_("This link has expired"), N_(
        "Links to carry on with a survey only work for a limited time. You can start the survey again.")),
    "session_expired": (400, N_("Your session has ended"), N_(
        "We could not match this form to your answers. This happens after a long break or when cookies are "
        "turned off in your browser. If you saved a link to your answers, use it to carry on. Otherwise, "
        "start again.")),
    "too_many": (429, N_("Too many attempts"), N_(
        "Answers were sent from your connection very quickly. Wait a minute, then go back and try again.")),
    "too_large": (413, N_("What you sent is too long"), N_(
        "Go back, make your answer shorter and try again.")),
    "unavailable": (503, N_("This survey is not available"), N_(
        "The survey cannot be shown at the moment. Try again later.")),
    "already_sent": (200, N_("Your answers have already been sent"), N_(
        "Thank you for taking part. You do not need to do anything else.")),
}


def problem_page(site: Any, request: Request, kind: str, *, language: str | None = None,
                 link: tuple[str, str] | None = None, embed: bool = False,
                 headers: dict[str, str] | None = None) -> Response:
    """The page for ``kind`` (a key of :data:`PROBLEMS`) with an optional ``(href, text)`` link."""
    status, title, body = PROBLEMS[kind]
    available = site.available()
    language = language if language in available else site.page_language(request, available)
    messages = site.messages(language)
    response = site.render(
        request, "message.html", language, status=status, embed=embed,
        page_title=messages._(title), paragraphs=[messages._(body)],
        link=(link[0], messages._(link[1])) if link else None,
    )
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def api_problem(status: int, title: str, detail: str, *, headers: dict[str, str] | None = None,
                **extra: Any) -> JSONResponse:
    """An RFC 9457 problem document."""
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json", headers=headers)


def make_rejecter(site: Any):  # noqa: ANN201 - a guard.Rejecter
    """What the guard sends for 413 and 429: a page, or a problem document under ``/api/``."""

    async def reject(scope: dict, status: int, headers: dict[str, str]) -> Response:
        request = Request(scope)
        root = scope.get("root_path", "")
        path = scope.get("path", "")
        relative = path[len(root):] if root and path.startswith(root) else path
        if relative.startswith("/api/"):
            if status == 429:
                return api_problem(429, "Too Many Requests", "Too many requests from this address; retry later.",
                                   headers=headers)
            return api_problem(413, "Content Too Large", "The request body is larger than this server accepts.",
                               headers=headers)
        kind = "too_many" if status == 429 else "too_large"
        embed = request.query_params.get("embed") == "1"
        return await site.run(lambda: problem_page(site, request, kind, headers=headers, embed=embed))

    return reject

"""Reading a posted form: URL-encoded bodies (what every page's form sends) parsed directly.

The pages' forms are small ``application/x-www-form-urlencoded`` bodies: the standard
library's :func:`urllib.parse.parse_qsl` reads them into the same fields Starlette's form
parser gives (names and values percent-decoded as UTF-8, ``+`` as a space, blank values
kept, fields separated by ``&``) at a fraction of its cost. Any other body (multipart)
goes to Starlette. The body's size is already limited by the guard middleware; the number
of fields is limited as Starlette limits it (400 beyond it).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request

URLENCODED = "application/x-www-form-urlencoded"
MAX_FIELDS = 1000  # as Starlette's own form parser


async def read_form(request: Request) -> FormData:
    """The posted form's fields."""
    content_type = request.headers.get("content-type", "")
    if content_type.partition(";")[0].strip().lower() != URLENCODED:
        return await request.form(max_fields=MAX_FIELDS)
    body = await request.body()
    try:
        fields = parse_qsl(body.decode("latin-1"), keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise HTTPException(status_code=400, detail=f"Too many fields. Maximum number of fields is {MAX_FIELDS}.") from None
    return FormData(fields)

"""Posted forms: the direct URL-encoded reader gives exactly the fields Starlette's parser gives."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.exceptions import HTTPException
from starlette.requests import Request

from rightsaware_web.forms import MAX_FIELDS, read_form


def request(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> Request:
    sent = []

    async def receive() -> dict:
        sent.append(True)
        return {"type": "http.request", "body": body if len(sent) == 1 else b"", "more_body": False}

    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    return Request({"type": "http", "method": "POST", "path": "/", "query_string": b"", "headers": headers}, receive)


def both(body: bytes, content_type: str = "application/x-www-form-urlencoded") -> tuple[list, list]:
    async def run() -> tuple[list, list]:
        ours = await read_form(request(body, content_type))
        theirs = await request(body, content_type).form()
        return list(ours.multi_items()), list(theirs.multi_items())

    return asyncio.run(run())


@pytest.mark.parametrize("body", [
    b"csrf_token=abc&form_id=xyz&answer=time&answer=language",
    "answer=Dim+byd+%E2%80%93+diolch%2C+%C5%B5+%C5%B7&x=".encode(),
    b"a=b=c&&=empty&novalue&plus=1%2B1+2&bad=%ZZ%&utf=%C3",
    b"",
])
def test_known_bodies_read_as_starlette_reads_them(body):
    ours, theirs = both(body)
    assert ours == theirs


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.text(alphabet="ab=&+%0123456789ABCDEFŵ ;", max_size=60).map(str.encode))
def test_any_body_reads_as_starlette_reads_it(body):
    ours, theirs = both(body)
    assert ours == theirs


def test_content_type_parameters_and_case_are_accepted():
    ours, theirs = both(b"a=1&b=%C5%B5", "Application/X-WWW-Form-URLEncoded; charset=UTF-8")
    assert ours == theirs == [("a", "1"), ("b", "ŵ")]


def test_a_multipart_body_goes_to_starlette():
    body = b'--xx\r\nContent-Disposition: form-data; name="answer"\r\n\r\nyes\r\n--xx--\r\n'
    ours, theirs = both(body, "multipart/form-data; boundary=xx")
    assert ours == theirs == [("answer", "yes")]


def test_too_many_fields_is_a_400_as_with_starlette():
    body = "&".join(f"f{i}=1" for i in range(MAX_FIELDS + 1)).encode()
    with pytest.raises(HTTPException) as raised:
        asyncio.run(read_form(request(body)))
    assert raised.value.status_code == 400

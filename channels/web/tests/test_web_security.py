"""Security and links of the respondent pages: CSRF, cookies, headers, escaping, limits, embedding."""

from __future__ import annotations

import re

import pytest
from webdata import Respondent, field


def test_forms_without_the_csrf_token_are_refused(client, respondent, web_runtime):
    landing = client.get("/s/local-voice")
    page = client.post("/s/local-voice", data={"nonce": field(landing.text, "nonce"), "language": "en"})
    assert page.status_code == 400 and "Your session has ended" in page.text
    respondent.start("en")
    page = client.post("/s/local-voice/q/heard", data={"csrf_token": "forged-token-value-xyz", "answer": "yes"})
    assert page.status_code == 400
    assert not web_runtime.store.load_response(respondent.response_id).answers
    client.cookies.clear()
    page = client.post("/s/local-voice/q/heard", data={"csrf_token": respondent.csrf, "answer": "yes"})
    assert page.status_code == 400 and 'href="/s/local-voice">Start again</a>' in page.text
    assert client.post("/s/local-voice/check", data={}).status_code == 400


def test_session_cookie_is_signed_http_only_and_same_site(client, web_runtime, web_config):
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    header = client.get("/s/local-voice").headers["set-cookie"]
    assert "HttpOnly" in header and "SameSite=lax" in header and "Secure" not in header
    with TestClient(make_app(web_runtime, web_config), base_url="https://survey.example") as secure_client:
        header = secure_client.get("/s/local-voice").headers["set-cookie"]
        assert "Secure" in header and "HttpOnly" in header
        assert "max-age=31536000" in secure_client.get("/s/local-voice").headers["strict-transport-security"]
    client.cookies.set("rightsaware_web", "tampered.value.signature")
    page = client.get("/s/local-voice/q/heard")
    assert page.url.path == "/s/local-voice"  # a forged cookie is a new, empty session


def test_save_and_resume_by_link(respondent, client, web_runtime, web_config, tokens):
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    respondent.start("cy")
    respondent.answer("heard", "yes")
    page = respondent.answer("barriers", None, answer=["time"], action="save")
    assert page.url.path == "/s/local-voice/save"
    assert "Mae eich atebion wedi cael eu cadw" in page.text
    link = re.search(r'<p class="resume-link"><a href="([^"]+)"', page.text).group(1)
    assert link.startswith("http://testserver/r/") and len(link) < 100
    response_id = respondent.response_id
    assert web_runtime.store.load_response(response_id).answers["barriers"].value == ("time",)
    with TestClient(make_app(web_runtime, web_config)) as other_device:
        page = other_device.get(link.replace("http://testserver", ""))
        assert page.url.path == "/s/local-voice/q/age"  # straight back to where they were
        assert '<html lang="cy">' in page.text
        other = Respondent(other_device, tokens)
        other.page = page
        assert other.response_id == response_id
    # Saving with nothing entered goes straight to the link page.
    respondent.get("/s/local-voice/q/age")
    assert respondent.answer("age", None, action="save").url.path == "/s/local-voice/save"


def test_broken_and_expired_links(client, web_runtime, tokens):
    assert client.get("/r/not-a-token").status_code == 404
    token = tokens.resume("nonexistent-response", expires=4_000_000_000)
    assert client.get(f"/r/{token[:-2]}xx").status_code == 404  # tampered signature
    page = client.get(f"/r/{token}")
    assert page.status_code == 404 and "This link does not work" in page.text
    expired = tokens.resume("whatever", expires=1_000_000)
    page = client.get(f"/r/{expired}", headers={"accept-language": "gd"})
    assert page.status_code == 410 and "Tha an ceangal seo air falbh an ùine" in page.text


def test_personal_link_starts_and_resumes_one_response(client, web_runtime, web_config, tokens):
    from starlette.testclient import TestClient

    from rightsaware_web import make_app, make_personal_link

    store = web_runtime.store
    person = store.ensure_respondent("sms", "07700 900123", language="gd")
    link = make_personal_link(web_runtime, "local-voice", person, base_url="https://survey.example/")
    assert link.startswith("https://survey.example/r/") and len(link) < 130
    path = link.replace("https://survey.example", "")
    page = client.get(path)
    assert page.status_code == 200 and "Tòisich an-dràsta" in page.text
    assert store.count_responses("local-voice") == 0  # opening (or previewing) a link starts nothing
    page = client.post(path, data={"csrf_token": field(page.text, "csrf_token"),
                                   "nonce": field(page.text, "nonce"), "language": "gd"})
    assert page.url.path == "/s/local-voice/q/heard"
    first = Respondent(client, tokens)
    first.page = page
    first.answer("heard", "no")
    response = store.load_response(first.response_id)
    assert response.respondent_id == person and response.language == "gd"
    with TestClient(make_app(web_runtime, web_config)) as phone:
        page = phone.get(path)
        assert "Continue" in page.text or "Lean air adhart" in page.text
        page = phone.post(path, data={"csrf_token": field(page.text, "csrf_token"),
                                      "nonce": field(page.text, "nonce"), "language": "en"})
        assert page.url.path == "/s/local-voice/q/age"  # the same response, carried on
        assert store.count_responses("local-voice") == 1
        assert store.load_response(first.response_id).language == "en"
    for step in (("age", "30"), ("hours", ""), ("comment", "")):
        first.get(f"/s/local-voice/q/{step[0]}")
        first.answer(*step)
    first.get("/s/local-voice/q/contacted")
    first.answer("contacted", None, day="", month="", year="")
    client.post("/s/local-voice/check", data={"csrf_token": first.csrf})
    page = client.get(path)
    assert "Your answers have already been sent" in page.text


def test_personal_links_need_a_public_address_and_a_known_respondent(client, web_runtime):
    from rightsaware.errors import ConfigError

    from rightsaware_web import make_personal_link

    with pytest.raises(ConfigError, match="RIGHTSAWARE_PUBLIC_URL"):
        make_personal_link(web_runtime, "local-voice", "a" * 64)
    link = make_personal_link(web_runtime, "local-voice", "b" * 64, base_url="http://testserver")
    assert client.get(link.replace("http://testserver", "")).status_code == 404
    web_runtime.settings = web_runtime.settings.with_overrides(public_url="https://x.example")
    assert make_personal_link(web_runtime, "local-voice", "c" * 64, days=1).startswith("https://x.example/r/")


def test_embed_mode_allows_framing_by_configured_sites_only(web_runtime, web_config):
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    config = web_config.replace(frame_ancestors=("'self'", "https://www.council.example"))
    with TestClient(make_app(web_runtime, config), base_url="https://survey.example") as client:
        page = client.get("/s/local-voice", params={"embed": "1"})
        assert "frame-ancestors 'self' https://www.council.example" in page.headers["content-security-policy"]
        assert "x-frame-options" not in page.headers
        cookie = page.headers["set-cookie"]
        assert "SameSite=none" in cookie and "Secure" in cookie and "Partitioned" in cookie
        assert 'action="/s/local-voice?embed=1"' in page.text and 'class="embed"' in page.text
        page = client.post("/s/local-voice?embed=1", data={
            "csrf_token": field(page.text, "csrf_token"), "nonce": field(page.text, "nonce"), "language": "cy"})
        assert page.url.path == "/s/local-voice/q/heard" and page.url.params["embed"] == "1"
        assert 'action="/s/local-voice/q/heard?embed=1"' in page.text
        plain = client.get("/s/local-voice")
        assert "frame-ancestors 'none'" in plain.headers["content-security-policy"]
        assert plain.headers["x-frame-options"] == "DENY"


def test_strict_headers_on_every_page(client):
    for path in ("/s", "/s/local-voice", "/s/missing", "/r/bad", "/api/instruments"):
        headers = client.get(path).headers
        csp = headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp and "form-action 'self'" in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"
        assert headers["cache-control"] == "no-store"
    css = client.get(client.get("/s").text.split('rel="stylesheet" href="')[1].split('"')[0])
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/web-static/secret.py").status_code == 404


def test_text_is_escaped_in_every_language(web_runtime, web_config, tmp_path):
    from rightsaware.loading import load_instrument
    from starlette.testclient import TestClient
    from webdata import write_instrument

    from rightsaware_web import make_app

    text = """\
id = "escape"
version = "1"
title = "Tom & Jerry's <b>survey</b>"
languages = ["en", "cy", "gd"]

[[questions]]
name = "q1"
type = "select_one ab"
label = "Pick <script>alert(1)</script>"

[choices]
ab = [ { name = "a", label = "<img src=x onerror=alert(1)>" }, { name = "b", label = "B" } ]
"""
    translations = {
        "cy": {"escape:title": "Arolwg <i>Siân</i> & ŵ", "escape:q1:label": "Dewiswch <script>x</script> ŷ",
               "escape:q1:a:label": "\"><svg onload=alert(1)>", "escape:q1:b:label": "B"},
        "gd": {"escape:title": "Suirbhidh <u>Màiri</u>", "escape:q1:label": "Tagh <iframe> à è ì ò ù",
               "escape:q1:a:label": "A'", "escape:q1:b:label": "B"},
    }
    folder = tmp_path / "escape"
    folder.mkdir()
    path = write_instrument(folder, text, translations)
    web_runtime.instruments.add(load_instrument(path), path)
    with TestClient(make_app(web_runtime, web_config)) as client:
        landing = client.get("/s/escape").text
        assert "<b>survey</b>" not in landing and "&lt;b&gt;survey&lt;/b&gt;" in landing
        assert "Arolwg &lt;i&gt;Siân&lt;/i&gt; &amp; ŵ" in landing and "<i>Siân</i>" not in landing
        person = Respondent(client, None, "escape")
        for language, raw, escaped in (
            ("cy", "<script>x</script>", "Dewiswch &lt;script&gt;x&lt;/script&gt; ŷ"),
            ("gd", "<iframe>", "Tagh &lt;iframe&gt; à è ì ò ù"),
            ("en", "<script>alert(1)</script>", "Pick &lt;script&gt;alert(1)&lt;/script&gt;"),
        ):
            page = person.start(language)
            assert raw not in page.text and escaped in page.text
        assert "<svg" not in person.start("cy").text and "&lt;img src=x" in person.start("en").text


def test_rate_limit_and_body_size_limit(web_runtime, web_config):
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    config = web_config.replace(rate_per_minute=2, rate_burst=2, max_form_bytes=2048)
    with TestClient(make_app(web_runtime, config)) as client:
        landing = client.get("/s/local-voice", headers={"accept-language": "cy"})
        data = {"csrf_token": field(landing.text, "csrf_token"), "nonce": field(landing.text, "nonce"),
                "language": "cy"}
        assert client.post("/s/local-voice", data=data).status_code == 200
        assert client.post("/s/local-voice/q/heard", data={"answer": "x"}).status_code == 400
        page = client.post("/s/local-voice/q/heard", data={"answer": "x"}, headers={"accept-language": "cy"})
        assert page.status_code == 429 and int(page.headers["retry-after"]) >= 1
        assert "Gormod o ymdrechion" in page.text
        assert client.get("/s/local-voice").status_code == 200  # reading pages is never limited
    config = web_config.replace(max_form_bytes=2048)
    with TestClient(make_app(web_runtime, config)) as client:
        page = client.post("/s/local-voice/q/heard", content=b"answer=" + b"x" * 5000,
                           headers={"content-type": "application/x-www-form-urlencoded"})
        assert page.status_code == 413 and "What you sent is too long" in page.text

        def chunks():
            for _ in range(10):
                yield b"x" * 1000

        page = client.post("/s/local-voice/q/heard", content=chunks(),
                           headers={"content-type": "application/x-www-form-urlencoded"})
        assert page.status_code == 413

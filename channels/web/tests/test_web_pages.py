"""The respondent pages through the framework's test client: every page, every path through them."""

from __future__ import annotations

import re

import pytest
from webdata import Respondent, field, main_text


def test_start_page_offers_welsh_gaelic_and_english_welsh_first(client):
    page = client.get("/s/local-voice", headers={"accept-language": "en-GB,en;q=0.9"})
    assert page.status_code == 200
    html = page.text
    assert '<html lang="en">' in html  # the surroundings follow Accept-Language ...
    blocks = re.findall(r'<section class="language-block" lang="(\w+)"', html)
    assert blocks == ["cy", "gd", "en"]  # ... but Welsh comes first, then Gaelic, every one offered
    assert '<span lang="cy">Eich llais mewn penderfyniadau lleol</span>' in html
    assert 'name="language" value="cy"' in html and "Dechrau nawr" in html and "Tòisich an-dràsta" in html
    assert "Mae hyd at 6 chwestiwn." in html  # six questions: the Welsh "many" plural form
    assert "Tha suas ri 6 ceistean ann." in html  # Gaelic "few" form


def test_english_first_when_the_deployment_says_so(web_runtime, web_config):
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    web_runtime.settings = web_runtime.settings.with_overrides(bilingual_order="english_first")
    with TestClient(make_app(web_runtime, web_config)) as client:
        html = client.get("/s/local-voice").text
    assert re.findall(r'<section class="language-block" lang="(\w+)"', html) == ["en", "cy", "gd"]


def test_page_language_follows_accept_language_then_the_choice(client):
    assert '<html lang="cy">' in client.get("/s/local-voice", headers={"accept-language": "cy-GB,cy"}).text
    page = client.get("/s/local-voice", params={"lang": "gd"})
    assert '<html lang="gd">' in page.text
    assert page.cookies.get("lang") == "gd"
    assert '<html lang="gd">' in client.get("/s/local-voice").text  # the choice is remembered


def test_survey_list_links_every_instrument(client):
    page = client.get("/s", params={"lang": "cy"})
    assert page.status_code == 200
    assert 'href="/s/local-voice"' in page.text and 'href="/s/sample"' in page.text
    assert "Arolygon" in page.text and "Ieithoedd: Cymraeg, Gaeleg yr Alban, a Saesneg" in page.text


def test_unknown_pages_say_so_in_the_respondents_language(client, respondent):
    page = client.get("/s/no-such-survey", headers={"accept-language": "cy"})
    assert page.status_code == 404
    assert "Heb ddod o hyd i’r dudalen" in page.text
    respondent.start("gd")
    page = client.get("/s/local-voice/q/no_such_question")
    assert page.status_code == 404 and "Cha deach an duilleag a lorg" in page.text
    assert client.get("/s/local-voice/q/intro").status_code == 404  # a note is not a question page


def test_question_pages_follow_the_design_system(respondent):
    page = respondent.start("cy")
    assert page.url.path == "/s/local-voice/q/heard"
    html = page.text
    assert '<html lang="cy">' in html
    assert re.search(r'<fieldset class="fieldset">\s*<legend class="fieldset__legend">\s*<h1', html)
    assert 'type="radio" value="yes"' in html and "Ydw" in html and "Nac ydw" in html
    assert "Ychydig o gwestiynau am gael llais" in html  # the note before the first question
    assert "Cwestiwn 1 o 5" in html and "5 cwestiwn ar ôl" in html
    assert 'class="back-link">Yn ôl</a>' in html and 'href="/s/local-voice"' in html
    assert ">Parhau</button>" in html and ">Cadw a dod yn ôl nes ymlaen</button>" in html
    assert 'lang="gd" hreflang="gd">Gàidhlig</a>' in html


def test_validation_errors_come_from_the_engine_with_an_error_summary(respondent):
    respondent.start("cy")
    page = respondent.answer("heard")  # nothing chosen
    assert page.status_code == 422
    html = page.text
    assert "<title>Gwall: " in html
    assert 'class="error-summary"' in html and "Mae problem wedi codi" in html
    assert '<a href="#heard">' in html  # the summary links to the first radio
    assert 'aria-describedby="heard-error"' in html
    assert 'class="visually-hidden">Gwall:</span>' in html
    page = respondent.answer("heard", "yes")
    assert page.url.path == "/s/local-voice/q/barriers"  # skip logic: asked because of "yes"
    respondent.answer("barriers", None, answer=["time", "language"])
    page = respondent.answer("age", "12")
    assert page.status_code == 422
    assert "Rhowch oed rhwng 16 a 120." in page.text  # the author's Welsh constraint message
    assert 'value="12"' in page.text  # what was typed is shown again
    assert 'aria-describedby="age-hint age-error"' in page.text
    page = respondent.answer("age", "abc")
    assert 'href="#age"' in page.text and page.status_code == 422
    assert respondent.answer("age", "42").url.path == "/s/local-voice/q/hours"
    page = respondent.answer("hours", "lots")
    assert page.status_code == 422
    page = respondent.answer("hours", "2,5")
    page = respondent.answer("contacted", None, day="31", month="2", year="2024")
    assert page.status_code == 422 and 'href="#contacted-day"' in page.text
    assert 'value="31"' in page.text
    page = respondent.answer("contacted", None, day="1", month="2", year="2024")
    assert page.url.path == "/s/local-voice/q/comment"


def complete(respondent: Respondent, language: str = "en", heard: str = "yes"):
    respondent.start(language)
    respondent.answer("heard", heard)
    if heard == "yes":
        respondent.answer("barriers", None, answer=["transport"])
    respondent.answer("age", "67")
    respondent.answer("hours", "")
    respondent.answer("contacted", None, day="", month="", year="")
    return respondent.answer("comment", "Dim byd – diolch, Siân. ŵ ŷ")


def test_check_answers_change_and_submit(respondent, web_runtime):
    page = complete(respondent, "cy")
    assert page.url.path == "/s/local-voice/check"
    html = main_text(page.text)
    assert "Gwirio eich atebion" in html
    assert "Teithio" in html and "67" in html and "Heb ateb" in html and "Siân. ŵ ŷ" in html
    assert 'href="/s/local-voice/q/heard?change=1">Newid<span class="visually-hidden"> eich ateb i: ' in html
    # Change "heard" to no: the engine drops the answer about barriers, and we come back here.
    respondent.get("/s/local-voice/q/heard", params={"change": "1"})
    assert 'href="/s/local-voice/check" class="back-link"' in respondent.page.text
    assert 'value="yes" checked' in respondent.page.text
    page = respondent.answer("heard", "no")
    assert page.url.path == "/s/local-voice/check"
    assert "Teithio" not in page.text
    response = web_runtime.store.load_response(respondent.response_id)
    assert "barriers" not in response.answers and response.status == "active"  # completed when sent
    page = respondent.client.post("/s/local-voice/check", data={"csrf_token": respondent.csrf})
    assert page.url.path == "/s/local-voice/done"
    assert web_runtime.store.load_response(respondent.response_id).status == "completed"
    assert "Mae eich atebion wedi cael eu hanfon" in page.text
    assert respondent.response_id[:8].upper() in page.text
    assert "Mae eich atebion yn helpu grwpiau lleol" in page.text  # the closing note
    # After sending, nothing can change: pages lead to the confirmation.
    assert respondent.client.get("/s/local-voice/q/age").url.path == "/s/local-voice/done"
    assert respondent.client.get("/s/local-voice/check").url.path == "/s/local-voice/done"
    before = web_runtime.store.load_response(respondent.response_id)
    page = respondent.client.post("/s/local-voice/q/age", data={"csrf_token": respondent.csrf, "answer": "99"})
    assert page.url.path == "/s/local-voice/done"
    assert web_runtime.store.load_response(respondent.response_id).revision == before.revision
    landing = respondent.client.get("/s/local-voice", params={"lang": "en"})
    assert "You have already sent your answers. Thank you." in landing.text


@pytest.mark.parametrize(("language", "heading", "wcva"), [
    ("cy", "Sefydliadau a all eich helpu", "Cyngor Gweithredu Gwirfoddol Cymru"),
    ("gd", "Buidhnean a dh’fhaodas do chuideachadh", "Wales Council for Voluntary Action"),
])
def test_confirmation_shows_the_referrals_chosen(respondent, language, heading, wcva):
    complete(respondent, language, heard="no")  # has not heard of co-production: a referral rule
    page = respondent.client.post("/s/local-voice/check", data={"csrf_token": respondent.csrf})
    html = main_text(page.text)
    assert heading in html and wcva in html
    assert '<h3 class="heading-s" lang="en">Co-production Network for Wales</h3>' in html  # no official name
    assert 'href="https://copronet.wales"' in html
    if language == "gd":
        assert '<h3 class="heading-s" lang="en">Wales Council for Voluntary Action</h3>' in html


def test_check_and_done_wait_for_the_questions(respondent):
    respondent.start("en")
    assert respondent.client.get("/s/local-voice/check").url.path == "/s/local-voice/q/heard"
    assert respondent.client.get("/s/local-voice/done").url.path == "/s/local-voice/q/heard"
    assert respondent.client.get("/s/local-voice/q/comment").url.path == "/s/local-voice/q/heard"


def test_back_links_step_through_answers_without_losing_them(respondent, web_runtime):
    respondent.start("en")
    respondent.answer("heard", "no")
    page = respondent.answer("age", "50")
    assert 'href="/s/local-voice/q/age" class="back-link"' in page.text
    page = respondent.get("/s/local-voice/q/age")
    assert 'value="50"' in page.text and "Question 2 of 5" in page.text
    assert 'href="/s/local-voice/q/heard" class="back-link"' in page.text
    page = respondent.answer("age", "50")  # Continue without changing: the next page, nothing stored
    assert page.url.path == "/s/local-voice/q/hours"
    assert set(web_runtime.store.load_response(respondent.response_id).answers) == {"heard", "age"}


def test_switching_language_half_way_keeps_progress_and_answers(respondent, web_runtime):
    respondent.start("cy")
    respondent.answer("heard", "yes")
    page = respondent.get("/s/local-voice/q/barriers", params={"lang": "gd"})
    assert '<html lang="gd">' in page.text and "Ùine" in page.text and "Ceist 2 de 6" in page.text
    assert "5 ceistean air fhàgail" in page.text
    response = web_runtime.store.load_response(respondent.response_id)
    assert response.language == "gd" and response.answers["heard"].value == "yes"
    page = respondent.answer("barriers", None, answer=["time"])
    assert '<html lang="gd">' in page.text  # later pages stay in Gaelic
    page = respondent.answer("age", "")
    from rightsaware.flow import MSG_REQUIRED

    assert page.status_code == 422  # the engine's message, in the core's Gaelic catalog
    assert web_runtime.messages("gd")._(MSG_REQUIRED).replace("'", "&#39;") in page.text
    answers = web_runtime.store.load_response(respondent.response_id).answers
    assert answers["heard"].language == "cy" and answers["barriers"].language == "gd"


def test_double_submission_applies_once(respondent, web_runtime):
    from rightsaware.plugins import hookimpl

    recorded = []

    class Counter:
        @hookimpl
        def answer_recorded(self, response, question, answer, runtime):
            recorded.append(question.name)

    web_runtime.pm.register(Counter(), name="counter")
    respondent.start("en")
    csrf, form_id = respondent.csrf, field(respondent.page.text, "form_id")
    data = {"csrf_token": csrf, "form_id": form_id, "answer": "yes"}
    first = respondent.client.post("/s/local-voice/q/heard", data=data)
    second = respondent.client.post("/s/local-voice/q/heard", data=data)
    assert first.url.path == second.url.path == "/s/local-voice/q/barriers"
    response = web_runtime.store.load_response(respondent.response_id)
    assert recorded == ["heard"] and response.revision == 1
    # The same answer sent again from a fresh form changes nothing either.
    respondent.get("/s/local-voice/q/heard")
    respondent.answer("heard", "yes")
    assert web_runtime.store.load_response(respondent.response_id).revision == 1 and recorded == ["heard"]


def test_a_stale_page_never_corrupts_answers(respondent, web_runtime):
    respondent.start("en")
    stale = respondent.page  # the page for "heard", kept open in another tab
    respondent.answer("heard", "yes")
    barriers_page = respondent.page
    respondent.answer("barriers", None, answer=["time"])
    respondent.page = stale  # browser Back to the first page, then a different answer
    assert respondent.answer("heard", "no").url.path == "/s/local-voice/q/age"
    response = web_runtime.store.load_response(respondent.response_id)
    assert response.answers["heard"].value == "no" and "barriers" not in response.answers
    respondent.page = barriers_page  # Back again to a question skip logic no longer asks
    page = respondent.answer("barriers", None, answer=["transport"])
    assert page.url.path == "/s/local-voice/q/age"
    assert "barriers" not in web_runtime.store.load_response(respondent.response_id).answers


def test_double_click_on_start_starts_one_response(client, web_runtime):
    landing = client.get("/s/local-voice")
    data = {"csrf_token": field(landing.text, "csrf_token"), "nonce": field(landing.text, "nonce"), "language": "en"}
    first = client.post("/s/local-voice", data=data, follow_redirects=False)
    second = client.post("/s/local-voice", data=data, follow_redirects=False)
    assert first.status_code == second.status_code == 303
    assert web_runtime.store.count_responses("local-voice") == 1
    assert "You have started this survey." in client.get("/s/local-voice").text


def test_instrument_without_welsh_or_gaelic_has_a_single_start_block(web_runtime, web_config, tmp_path):
    from rightsaware.loading import load_instrument
    from starlette.testclient import TestClient
    from webdata import write_instrument

    from rightsaware_web import make_app

    text = 'id = "english-only"\nversion = "1"\ntitle = "English only"\n\n[[questions]]\nname = "q"\ntype = "text"\nlabel = "Say something"\n'
    folder = tmp_path / "english"
    folder.mkdir()
    path = write_instrument(folder, text, {})
    web_runtime.instruments.add(load_instrument(path), path)
    with TestClient(make_app(web_runtime, web_config)) as client:
        html = client.get("/s/english-only", headers={"accept-language": "cy"}).text
        assert len(re.findall('class="language-block"', html)) == 1
        assert 'class="languages"' not in html  # nothing to switch to
        person = Respondent(client, None, "english-only")
        page = person.start("cy")  # a language the survey does not offer falls back to its own
        assert '<html lang="en">' in page.text


def test_mounted_inside_another_app(web_runtime, web_config, tokens):
    from starlette.applications import Starlette
    from starlette.routing import Mount
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    outer = Starlette(routes=[Mount("/survey", app=make_app(web_runtime, web_config))])
    with TestClient(outer) as client:
        person = Respondent(client, tokens, prefix="/survey")
        page = person.start("cy")
        assert page.url.path == "/survey/s/local-voice/q/heard"
        assert 'action="/survey/s/local-voice/q/heard"' in page.text
        assert 'href="/survey/web-static/web.css' in page.text
        assert person.answer("heard", "no").url.path == "/survey/s/local-voice/q/age"
        client.cookies.clear()
        assert "Path=/survey/" in client.get("/survey/s/local-voice").headers["set-cookie"]
        assert client.get("/survey/api/openapi.json").json()["servers"] == [{"url": "/survey"}]


def test_the_core_server_serves_the_web_channel(web_runtime):
    from rightsaware.server import make_app
    from starlette.testclient import TestClient

    with TestClient(make_app(web_runtime)) as client:
        assert 'href="/s"' in client.get("/").text
        assert client.get("/s/local-voice").status_code == 200
        assert "web" in client.get("/healthz").json()["channels"]


def test_pages_show_changes_made_elsewhere(respondent, web_runtime, web_config):
    """Another server process (here: another app on the same store) changes an answer: the pages,
    which keep recent responses in memory, show the change and build on it."""
    from conftest import API_KEY
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    respondent.start("en")
    respondent.answer("heard", "yes")
    assert 'value="yes" checked' in respondent.get("/s/local-voice/q/heard").text
    with TestClient(make_app(web_runtime, web_config)) as elsewhere:
        changed = elsewhere.post(f"/api/responses/{respondent.response_id}/answers", json={"answers": {"heard": "no"}},
                                 headers={"Authorization": f"Bearer {API_KEY}"})
        assert changed.status_code == 200
    assert 'value="no" checked' in respondent.get("/s/local-voice/q/heard").text
    page = respondent.answer("age", "33")  # saved on top of the other change, not over it
    assert page.url.path == "/s/local-voice/q/hours"
    answers = web_runtime.store.load_response(respondent.response_id).answers
    assert answers["heard"].value == "no" and answers["age"].value == 33


def test_a_survey_whose_translations_are_missing_is_unavailable(web_runtime, web_config, tmp_path):
    from rightsaware.loading import load_instrument
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    path = tmp_path / "untranslated.toml"
    path.write_text('id = "untranslated"\nversion = "1"\ntitle = "No Welsh yet"\nlanguages = ["en", "cy"]\n\n'
                    '[[questions]]\nname = "q"\ntype = "text"\nlabel = "Say something"\n', encoding="utf-8")
    web_runtime.instruments.add(load_instrument(path), path)
    with TestClient(make_app(web_runtime, web_config)) as client:
        page = client.get("/s/untranslated", headers={"accept-language": "cy"})
        assert page.status_code == 503 and "Nid yw’r arolwg hwn ar gael" in page.text
        assert client.get("/api/instruments/untranslated").status_code == 503
        assert 'href="/s/untranslated"' not in client.get("/s").text  # not offered in the list


def test_a_reverse_coded_scale_stores_the_code_chosen_not_the_position(web_runtime, web_config, tmp_path):
    """The page sends choice codes: code "1" listed fifth is "1", not the first option."""
    from rightsaware.loading import load_instrument
    from starlette.testclient import TestClient
    from webdata import write_instrument

    from rightsaware_web import make_app

    scale = ", ".join(f'{{ name = "{code}", label = "Level {code}" }}' for code in ("5", "4", "3", "2", "1"))
    text = ('id = "reverse"\nversion = "1"\ntitle = "Reverse coded"\n\n[choices]\n'
            f"agree = [ {scale} ]\n\n[[questions]]\nname = \"q\"\ntype = \"select_one agree\"\nlabel = \"Agree?\"\n")
    folder = tmp_path / "reverse"
    folder.mkdir()
    path = write_instrument(folder, text, {})
    web_runtime.instruments.add(load_instrument(path), path)
    with TestClient(make_app(web_runtime, web_config)) as client:
        person = Respondent(client, None, "reverse")
        person.start("en")
        person.answer("q", "1")
        response = next(iter(web_runtime.store.iter_responses("reverse", status=None)))
        assert response.answers["q"].value == "1"

"""Web form posts with random field values: never a 500, never a traceback, the survey still answers."""

from __future__ import annotations

import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

QUESTIONS = ["heard", "barriers", "age", "hours", "contacted", "comment", "no-such-question", "..%2F..", "q%00"]
VALUES = st.one_of(
    st.text(max_size=60),
    st.text(alphabet=st.sampled_from("âêîôûŵŷàèìòùÀÈÌÒÙáéí’–🙂🏴\x00\x01\x1b\x7f\r\n\t<>&\"'=+-@"), max_size=40),
    st.text(min_size=2000, max_size=5000),
    st.sampled_from(["yes", "no", "time", "transport", "42", "-1", "1e309", "NaN", "31", "2", "2024", "99999999999",
                     "continue", "back", "skip", "change", "cy", "gd", "en", "xx", "", " "]),
)
FIELDS = st.dictionaries(st.sampled_from(["answer", "day", "month", "year", "action", "form_id", "nonce", "language",
                                          "csrf_token_extra", "other"]), VALUES, max_size=6)


def _csrf(html: str) -> str | None:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    return found.group(1) if found else None


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(question=st.sampled_from(QUESTIONS), fields=FIELDS, answers=st.lists(VALUES, max_size=3),
       language=VALUES, start_first=st.booleans())
def test_random_form_posts_never_give_a_500(client, question, fields, answers, language, start_first):
    start = client.get("/s/local-voice")
    assert start.status_code == 200
    csrf = _csrf(start.text)
    if start_first and csrf:
        nonce = re.search(r'name="nonce" value="([^"]+)"', start.text)
        begun = client.post("/s/local-voice", data={"csrf_token": csrf, "nonce": nonce.group(1) if nonce else "",
                                                    "language": language})
        assert begun.status_code < 500 and "Traceback" not in begun.text
    data: dict = {"csrf_token": csrf or "", **fields}
    if answers:
        data["answer"] = answers
    for url in (f"/s/local-voice/q/{question}", "/s/local-voice", "/s/local-voice/check"):
        page = client.post(url, data=data)
        assert page.status_code < 500, (url, data, page.status_code)
        assert "Traceback" not in page.text
    # the survey still answers
    assert client.get("/s/local-voice").status_code == 200


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=FIELDS, answers=st.lists(VALUES, max_size=3))
def test_random_answers_with_a_valid_form_reach_validation_and_never_give_a_500(client, tokens, fields, answers):
    from webdata import Respondent, field

    respondent = Respondent(client, tokens)
    respondent.start("cy")
    for _ in range(3):  # walk forward as far as the random answers allow
        path = respondent.page.url.path
        if "/q/" not in path:
            break
        question = path.rsplit("/", 1)[-1]
        data = {"csrf_token": respondent.csrf, "form_id": field(respondent.page.text, "form_id"), **fields}
        data.pop("csrf_token_extra", None)
        if answers:
            data["answer"] = answers if len(answers) > 1 else answers[0]
        page = client.post(f"/s/local-voice/q/{question}", data=data, params=dict(respondent.page.url.params))
        assert page.status_code < 500, (question, data, page.status_code)
        assert "Traceback" not in page.text
        if page.status_code != 200 or _csrf(page.text) is None:
            break
        respondent.page = page

"""Withdrawing consent through the web link on the confirmation page (issue #10)."""

from __future__ import annotations

import re
import time

from sqlalchemy import func, select
from starlette.testclient import TestClient
from webdata import Respondent, field, main_text


def finish(respondent: Respondent, language: str, heard: str = "no"):
    respondent.start(language)
    respondent.answer("heard", heard)
    if heard == "yes":
        respondent.answer("barriers", None, answer=["transport"])
    respondent.answer("age", "67")
    respondent.answer("hours", "")
    respondent.answer("contacted", None, day="", month="", year="")
    respondent.answer("comment", "")
    return respondent.client.post("/s/local-voice/check", data={"csrf_token": respondent.csrf})


def withdrawals(runtime) -> set[str]:
    from rightsaware.store import tables

    with runtime.store.engine.connect() as connection:
        return set(connection.scalars(select(tables.withdrawals.c.response_id)))


def audit_count(runtime) -> int:
    from rightsaware.store import tables

    with runtime.store.engine.connect() as connection:
        return connection.scalar(select(func.count()).select_from(tables.audit_log)
                                 .where(tables.audit_log.c.action == "respondent.withdraw"))


def test_the_confirmation_link_asks_first_then_withdraws_once(respondent, web_runtime, web_config):
    from rightsaware_web import make_app

    done = finish(respondent, "cy")
    response_id = respondent.response_id
    assert web_runtime.store.referrals_for(response_id)  # "not heard of co-production": a referral
    html = main_text(done.text)
    assert "Os byddwch chi’n newid eich meddwl" in html
    link = re.search(r'<a href="(http://testserver/r/[^"]+)">', html).group(1)
    # The link is kept and opened later, in another browser: opening it changes nothing.
    with TestClient(make_app(web_runtime, web_config), base_url="http://testserver") as other:
        page = other.get(link)
        assert page.status_code == 200 and '<html lang="cy">' in page.text
        assert "Tynnu eich atebion yn ôl" in page.text and "Ni allwch ddadwneud hyn." in page.text
        assert withdrawals(web_runtime) == set() and web_runtime.store.referrals_for(response_id)
        refused = other.post(link, data={"csrf_token": "forged-token-0123456789"})
        assert refused.status_code == 400 and withdrawals(web_runtime) == set()
        page = other.post(link, data={"csrf_token": field(page.text, "csrf_token")})
        assert page.status_code == 200 and page.url.path == link.removeprefix("http://testserver")
        assert "Mae eich atebion wedi cael eu tynnu’n ôl" in page.text
        assert withdrawals(web_runtime) == {response_id}
        assert web_runtime.store.referrals_for(response_id) == []
        again = other.post(link, data={"csrf_token": "sent-again-0123456789"})  # a second press: nothing more
        assert again.status_code == 200 and "Mae eich atebion wedi cael eu tynnu’n ôl" in again.text
    assert withdrawals(web_runtime) == {response_id} and audit_count(web_runtime) == 1


def test_an_unfinished_response_is_closed_and_the_survey_starts_afresh(respondent, web_runtime, web_config):
    from rightsaware_web.site import Site

    respondent.start("gd")
    respondent.answer("heard", "yes")
    response_id = respondent.response_id
    token, _expires = Site(web_runtime, web_config).withdrawal_token(response_id)
    page = respondent.get(f"/r/{token}")
    assert '<html lang="gd">' in page.text and "Tarraing air ais na freagairtean agad" in page.text
    page = respondent.client.post(f"/r/{token}", data={"csrf_token": respondent.csrf})
    assert "Chaidh na freagairtean agad a tharraing air ais" in page.text
    assert web_runtime.store.load_response(response_id).status == "abandoned"
    assert withdrawals(web_runtime) == {response_id}
    landing = respondent.client.get("/s/local-voice/q/barriers")  # the session no longer names it
    assert landing.url.path == "/s/local-voice"


def test_forged_and_expired_withdrawal_links(client, web_runtime, tokens, respondent):
    respondent.start("en")
    forged = tokens.withdrawal(respondent.response_id, int(time.time()) + 3600)[:-2] + "xx"
    assert client.get(f"/r/{forged}").status_code == 404
    expired = tokens.withdrawal(respondent.response_id, expires=1_000_000)
    page = client.get(f"/r/{expired}", headers={"accept-language": "cy"})
    assert page.status_code == 410
    unknown = tokens.withdrawal("no-such-response", int(time.time()) + 3600)
    assert client.get(f"/r/{unknown}").status_code == 404
    assert withdrawals(web_runtime) == set()

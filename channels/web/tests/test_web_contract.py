"""The web channel object (the channel contract), its tokens, limits, settings and catalogs."""

from __future__ import annotations

import pytest
from rightsaware.testing import ChannelContract

from rightsaware_web.channel import WebChannel


class TestWebChannelContract(ChannelContract):
    @pytest.fixture
    def channel(self):
        return WebChannel()


def test_render_gives_the_page_view(web_runtime):
    channel = web_runtime.channels.get("web")
    instrument = web_runtime.instrument("local-voice")
    rendered = channel.render(instrument.question("heard"), "cy", web_runtime)
    assert rendered.text == "Ydych chi wedi clywed am gydgynhyrchu?"
    assert [o["label"] for o in rendered.data["options"]] == ["Ydw", "Nac ydw"]
    assert rendered.data["kind"] == "select_one"


def test_deliver_makes_a_personal_link(web_runtime):
    from rightsaware.events import Invitation, Rendered

    channel = web_runtime.channels.get("web")
    rendered = Rendered(channel="web", locale="cy", text="")
    person = web_runtime.store.ensure_respondent("sms", "+447700900456")
    no_one = channel.deliver(Invitation(instrument_id="local-voice", channel="web"), rendered, web_runtime)
    assert not no_one.ok and no_one.error_code == "no_respondent" and no_one.permanent
    no_address = channel.deliver(Invitation(instrument_id="local-voice", channel="web", respondent_id=person),
                                 rendered, web_runtime)
    assert not no_address.ok and "RIGHTSAWARE_PUBLIC_URL" in no_address.error
    web_runtime.settings = web_runtime.settings.with_overrides(public_url="https://survey.example")
    receipt = channel.deliver(Invitation(instrument_id="local-voice", channel="web", respondent_id=person),
                              rendered, web_runtime)
    assert receipt.ok and receipt.provider_id.startswith("https://survey.example/r/")
    unknown = channel.deliver(Invitation(instrument_id="nope", channel="web", respondent_id=person),
                              rendered, web_runtime)
    assert not unknown.ok and unknown.error_code == "no_link"


def test_parse_inbound_decodes_a_form_post():
    channel = WebChannel()
    event = channel.parse_inbound({"response_id": "r1", "question": "barriers", "answer": ["time", "transport"],
                                   "form_id": "f-1", "language": "gd"}, None)
    assert event.answers == {"barriers": ["time", "transport"]} and event.idempotency_key == "f-1"
    assert event.language == "gd" and event.response_id == "r1"
    same = channel.parse_inbound({"response_id": "r1", "question": "age", "answer": "42"}, None)
    again = channel.parse_inbound({"response_id": "r1", "question": "age", "answer": "42"}, None)
    assert same.idempotency_key == again.idempotency_key
    for bad in ({"response_id": "r1", "question": "age"}, {"response_id": "", "question": "a", "answer": "1"},
                {"response_id": "r1", "question": "a", "answer": {"x": 1}}, ["r1", "age", "42"]):
        assert channel.parse_inbound(bad, None) is None


def test_the_web_plugin_registers_its_channel_catalogs_and_routes(web_runtime):
    assert "web" in web_runtime.channels
    assert web_runtime.translator.has_domain("rightsaware_web")
    assert web_runtime.messages("gd").domain("rightsaware_web")._("Back") == "Air ais"
    registered = []
    web_runtime.hook.register_routes(register=lambda route, title=None, domain=None: registered.append((route.path, title)),
                                     runtime=web_runtime)
    paths = {path for path, _title in registered}
    assert {"/s", "/s/{instrument_id}", "/r/{token}", "/api/openapi.json", "/api/responses"} <= paths
    assert ("/s", "Surveys on the web") in registered


# -- tokens ------------------------------------------------------------------------------------

def test_links_round_trip_and_resist_tampering():
    from rightsaware_web.tokens import KIND_INVITATION, KIND_RESUME, LinkError, Tokens

    tokens = Tokens("a-long-enough-secret-for-tests")
    person = "ab" * 32
    link = tokens.read_link(tokens.invitation("local-voice", person, expires=4_000_000_000))
    assert (link.kind, link.instrument_id, link.respondent_id) == (KIND_INVITATION, "local-voice", person)
    odd = tokens.read_link(tokens.invitation("sample", "not-hex-Siân", expires=4_000_000_000))
    assert odd.respondent_id == "not-hex-Siân"
    resume = tokens.resume("resp_123", expires=4_000_000_000)
    assert tokens.read_link(resume).kind == KIND_RESUME and tokens.read_link(resume).response_id == "resp_123"
    with pytest.raises(LinkError) as expired:
        tokens.read_link(tokens.resume("resp_123", expires=100))
    assert expired.value.expired
    for forged in (resume[:-1] + ("A" if resume[-1] != "A" else "B"), "x" + resume, "", "....", resume.split(".")[0]):
        with pytest.raises(LinkError) as error:
            tokens.read_link(forged)
        assert not error.value.expired
    with pytest.raises(LinkError):
        Tokens("another-secret-for-other-deployment").read_link(resume)
    session = tokens.dump_session({"r": {}, "c": "x" * 20})
    with pytest.raises(LinkError):
        tokens.read_link(session)  # a session cookie is not a link
    assert tokens.load_session(resume, max_age=60) is None  # nor a link a session
    assert tokens.load_session(session, max_age=60) == {"r": {}, "c": "x" * 20}


# -- rate limit --------------------------------------------------------------------------------

def test_rate_limiter_allows_a_burst_then_the_steady_rate():
    from rightsaware_web.guard import RateLimiter

    now = [1000.0]
    limiter = RateLimiter(per_minute=60, burst=3, clock=lambda: now[0])
    assert [limiter.take("1.2.3.4") for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("1.2.3.4") == pytest.approx(1.0)
    assert limiter.take("5.6.7.8") == 0.0  # addresses are limited separately
    now[0] += 1.0
    assert limiter.take("1.2.3.4") == 0.0
    assert limiter.take("1.2.3.4") > 0


# -- settings ----------------------------------------------------------------------------------

def test_web_settings_from_the_environment():
    from rightsaware_web.config import WebConfig

    config = WebConfig.from_environ({
        "RIGHTSAWARE_API_KEYS": " key-one-0123456789abc , key-two-0123456789abc ,",
        "RIGHTSAWARE_WEB_FRAME_ANCESTORS": "'self' https://www.council.example",
        "RIGHTSAWARE_WEB_SECURE_COOKIES": "true", "RIGHTSAWARE_WEB_RATE_PER_MINUTE": "30",
    })
    assert config.frame_ancestors == ("'self'", "https://www.council.example")
    assert config.secure_cookies is True and config.rate_per_minute == 30
    assert config.accepts_api_key("key-two-0123456789abc") and not config.accepts_api_key("key-three")
    assert not config.accepts_api_key(None) and "key-one" not in repr(config)
    assert all(len(d) == 64 for d in config.api_key_digests)  # kept only as SHA-256 digests
    assert WebConfig.from_environ({}).api_key_digests == ()


@pytest.mark.parametrize(("environ", "message"), [
    ({"RIGHTSAWARE_API_KEYS": "short"}, "shorter than 16 characters"),
    ({"RIGHTSAWARE_WEB_FRAME_ANCESTORS": "*"}, "not an origin"),
    ({"RIGHTSAWARE_WEB_FRAME_ANCESTORS": "https://a.example;script-src"}, "not an origin"),
    ({"RIGHTSAWARE_WEB_SECURE_COOKIES": "maybe"}, "true, false or auto"),
    ({"RIGHTSAWARE_WEB_RATE_BURST": "-3"}, "whole number above 0"),
    ({"RIGHTSAWARE_WEB_RESUME_DAYS": "lots"}, "RIGHTSAWARE_WEB_RESUME_DAYS"),
])
def test_bad_web_settings_are_explained(environ, message):
    from rightsaware.errors import ConfigError

    from rightsaware_web.config import WebConfig

    with pytest.raises(ConfigError, match=message):
        WebConfig.from_environ(environ)


# -- catalogs ----------------------------------------------------------------------------------

def test_catalogs_are_complete_current_and_valid():
    """Every string of the pages in en, cy and gd: CLDR plurals, placeholders, no fuzzy, POT current."""
    from rightsaware.i18n_check import channel_domain, check_domain

    from rightsaware_web.i18n import DOMAIN, LOCALES_DIR

    domain = channel_domain(DOMAIN, LOCALES_DIR)
    problems = check_domain(domain)
    assert not problems, "\n".join(str(p) for p in problems)


def test_plural_forms_of_progress_in_welsh_and_gaelic(web_runtime):
    welsh = web_runtime.messages("cy").domain("rightsaware_web")
    gaelic = web_runtime.messages("gd").domain("rightsaware_web")
    forms = [welsh.ngettext("{n} question left", "{n} questions left", n) for n in (1, 2, 3, 4, 6, 11)]
    assert forms == ["1 cwestiwn ar ôl", "2 gwestiwn ar ôl", "3 chwestiwn ar ôl", "4 cwestiwn ar ôl",
                     "6 chwestiwn ar ôl", "11 cwestiwn ar ôl"]
    forms = [gaelic.ngettext("{n} question left", "{n} questions left", n) for n in (1, 2, 3, 11, 12, 13, 20)]
    assert forms == ["1 cheist air fhàgail", "2 cheist air fhàgail", "3 ceistean air fhàgail",
                     "11 cheist air fhàgail", "12 cheist air fhàgail", "13 ceistean air fhàgail",
                     "20 ceist air fhàgail"]

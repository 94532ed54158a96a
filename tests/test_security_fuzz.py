"""Property-based tests: random outside input never crashes a core parser (only clear errors).

Covered elsewhere: expressions (tests/test_expressions.py), instrument files
(tests/test_loading.py), the engine's parsing of replies (tests/test_flow.py), text keys
(tests/test_text.py), withdrawal words (tests/test_privacy_withdraw.py). Here: SMS-style
replies through the stored interview path, settings files, XLSForm uploads, phone numbers
given to the privacy commands, user names, audit details and the sign-in form.
"""

from __future__ import annotations

import re

import argon2
from markupsafe import escape
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.testclient import TestClient

from rightsaware import audit
from rightsaware.auth import AuthError, Users, normalise_username
from rightsaware.errors import RightsawareError
from rightsaware.interview import Interviewer, Turn
from rightsaware.plugins import make_plugin_manager
from rightsaware.privacy import MSG_NOT_A_PHONE, find_respondents
from rightsaware.runtime import Runtime
from rightsaware.server import make_app
from rightsaware.settings import Settings, load_settings

NOT_A_PHONE = MSG_NOT_A_PHONE
FIXTURES = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
replies = st.one_of(
    st.text(max_size=400),
    st.sampled_from(["STOP", "CYMRAEG", "gàidhlig", "BACK", "HELP", "SKIP", "1", "0", "99", "-1", "1 2 2", "", " ",
                     "\x00", "yes\r\nno", "٣", "½", "1e309", "NaN", "Ydw", "Chuala", "🙂", "=cmd|' /C calc'!A0"]),
)


@FIXTURES
@given(texts=st.lists(replies, min_size=1, max_size=8))
def test_random_replies_through_the_stored_interview(rightsaware_runtime, texts) -> None:
    interviewer = Interviewer(rightsaware_runtime)
    turn = interviewer.start("sample", channel="fake")
    for text in texts:
        try:
            turn = interviewer.reply(turn.response.id, text, channel="fake")
        except RightsawareError:
            continue
        assert isinstance(turn, Turn)
        assert turn.error is None or turn.error.message


toml_like = st.one_of(
    st.text(max_size=300),
    st.builds(lambda key, value: f"{key} = {value}\n", st.sampled_from(
        ["port", "languages", "retention_scans_days", "previous_secret_keys", "session_idle_minutes", "nope"]),
        st.sampled_from(["1", "-5", "0", '"x"', "[1, 2]", '["a", "b"]', "true", "{}", "1.5", "'''"])),
)


@settings(max_examples=100, deadline=None)
@given(text=toml_like)
def test_random_settings_files_give_settings_or_a_clear_error(tmp_path_factory, text) -> None:
    path = tmp_path_factory.mktemp("conf") / "rightsaware.toml"
    path.write_text(text, encoding="utf-8")
    try:
        result = load_settings(path, environ={})
    except RightsawareError as exc:
        assert str(exc)
        return
    assert isinstance(result, Settings)


@settings(max_examples=60, deadline=None)
@given(data=st.one_of(st.binary(max_size=2000), st.binary(max_size=200).map(lambda b: b"PK\x03\x04" + b)))
def test_random_bytes_as_an_xlsform_upload(data) -> None:
    from rightsaware.xlsform import import_xlsform

    with pytest.raises(RightsawareError) as caught:
        import_xlsform(data, instrument_id="upload")
    assert str(caught.value)


@FIXTURES
@given(phone=st.text(max_size=60))
def test_random_phone_numbers_for_the_privacy_commands(rightsaware_runtime, phone) -> None:
    try:
        found = find_respondents(rightsaware_runtime, phone=phone)
    except RightsawareError as exc:
        assert str(exc) == NOT_A_PHONE  # a fixed message: it never repeats what was typed
        return
    assert found == []


@settings(max_examples=200, deadline=None)
@given(name=st.text(max_size=80))
def test_random_user_names(name) -> None:
    try:
        normalised = normalise_username(name)
    except AuthError:
        return
    assert re.fullmatch(r"[\w.@\-]{1,64}", normalised) and normalised == normalise_username(normalised)


@FIXTURES
@given(detail=st.dictionaries(st.text(max_size=20), st.one_of(st.text(max_size=40), st.integers(), st.none()),
                              max_size=4))
def test_random_audit_details_never_store_digits_runs(rightsaware_runtime, detail) -> None:
    store = rightsaware_runtime.store
    try:
        audit.record(store, "cli:fuzz", "fuzz.test", detail=detail)
    except ValueError:
        return
    stored = audit.entries(store, action="fuzz.test", limit=1)[0].detail
    assert not re.search(r"\d{7,}", "".join(str(v) for v in stored.values() if isinstance(v, str)))


@pytest.fixture
def sign_in_client(rightsaware_settings):
    pm = make_plugin_manager(entrypoints=False)
    runtime = Runtime(rightsaware_settings, plugin_manager=pm)
    runtime._auth_users = Users(runtime.store, hasher=argon2.PasswordHasher(time_cost=1, memory_cost=1024,
                                                                            parallelism=1))
    runtime._auth_users.add("siân", "llwybr tarw glas 42", "admin")
    yield TestClient(make_app(runtime), follow_redirects=False)
    runtime.close()


field = st.one_of(st.text(max_size=300), st.just(""), st.text(alphabet="<>\"'&%\x00", max_size=20))


@FIXTURES
@given(fields=st.dictionaries(st.sampled_from(["csrf_token", "username", "password", "next", "other"]), field),
       cookie=st.text(alphabet=st.characters(min_codepoint=33, max_codepoint=126, exclude_characters=';,"\\'),
                      max_size=80))
def test_random_sign_in_posts_are_refused_cleanly(sign_in_client, fields, cookie) -> None:
    sign_in_client.cookies.set("rightsaware_login", cookie)
    sign_in_client.cookies.set("rightsaware_session", cookie)
    response = sign_in_client.post("/login", data=fields)
    assert response.status_code in (400, 403)
    assert str(escape(fields.get("username", "")[:64])) in response.text  # shown again, escaped
    sign_in_client.cookies.clear()

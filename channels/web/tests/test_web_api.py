"""The JSON API: instruments, responses and answers through the engine; schemathesis on its OpenAPI."""

from __future__ import annotations

import pytest
import schemathesis
from conftest import API_KEY
from hypothesis import HealthCheck, settings

AUTH = {"Authorization": f"Bearer {API_KEY}"}
ANSWERS = "POST /api/responses/{response_id}/answers"


def excluded_checks(label: str) -> list:
    """Answers valid by the schema may still be refused by the instrument's own rules (a
    documented 422 with the engine's messages), which no JSON schema can express."""
    from schemathesis.specs.openapi.checks import positive_data_acceptance

    return [positive_data_acceptance] if label == ANSWERS else []


def test_instruments_are_listed_and_localised(client):
    listed = client.get("/api/instruments").json()["instruments"]
    assert {"id": "local-voice", "version": "1", "title": "Your voice in local decisions",
            "languages": ["cy", "gd", "en"]} in listed
    welsh = client.get("/api/instruments/local-voice", params={"lang": "cy"}).json()
    assert welsh["language"] == "cy" and welsh["title"] == "Eich llais mewn penderfyniadau lleol"
    heard = next(q for q in welsh["questions"] if q["name"] == "heard")
    assert heard["choices"] == [{"code": "yes", "label": "Ydw"}, {"code": "no", "label": "Nac ydw"}]
    barriers = next(q for q in welsh["questions"] if q["name"] == "barriers")
    assert barriers["relevant"] == "${heard} = 'yes'" and barriers["required"] is False
    gaelic = client.get("/api/instruments/local-voice", params={"lang": "gd"}).json()
    assert gaelic["language"] == "gd" and gaelic["questions"][0]["kind"] == "note"
    assert client.get("/api/instruments/local-voice").json()["language"] == "en"


def test_instrument_errors(client):
    missing = client.get("/api/instruments/nope")
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    assert "nope" in missing.json()["detail"]
    for language in ("fr", "Cymraeg", "CY"):  # the API takes exactly the codes its document lists
        bad = client.get("/api/instruments/local-voice", params={"lang": language})
        assert bad.status_code == 400 and "cy" in bad.json()["detail"]


def test_writing_needs_an_api_key(client, web_runtime):
    body = {"instrument_id": "local-voice"}
    assert client.post("/api/responses", json=body).status_code == 401
    wrong = client.post("/api/responses", json=body, headers={"Authorization": "Bearer wrong-key-0123456789"})
    assert wrong.status_code == 401 and "Bearer" in wrong.json()["detail"]
    assert client.post("/api/responses", json=body, headers={"X-API-Key": API_KEY}).status_code == 201
    assert client.get("/api/responses/anything").status_code == 401
    assert web_runtime.store.count_responses("local-voice") == 1


def test_no_keys_configured_means_no_writing(web_runtime):
    from starlette.testclient import TestClient

    from rightsaware_web import WebConfig, make_app

    with TestClient(make_app(web_runtime, WebConfig())) as client:
        refused = client.post("/api/responses", json={"instrument_id": "local-voice"}, headers=AUTH)
        assert refused.status_code == 401 and "RIGHTSAWARE_API_KEYS" in refused.json()["detail"]


def test_a_response_through_the_api(client, web_runtime):
    created = client.post("/api/responses", json={"instrument_id": "local-voice", "language": "cy"}, headers=AUTH)
    assert created.status_code == 201
    state = created.json()
    assert created.headers["location"] == f"/api/responses/{state['id']}"
    assert state["next_question"]["name"] == "heard" and state["next_question"]["label"].startswith("Ydych chi")
    assert [note["name"] for note in state["notes"]] == ["intro"]
    assert state["progress"] == {"answered": 0, "remaining": 5}
    url = f"/api/responses/{state['id']}/answers"
    ok = client.post(url, json={"answers": {"heard": "yes", "barriers": ["time", "transport"]}}, headers=AUTH)
    assert ok.status_code == 200
    assert ok.json()["answers"] == {"heard": "yes", "barriers": ["time", "transport"]}
    assert ok.json()["next_question"]["name"] == "age"
    refused = client.post(url, json={"answers": {"age": 12, "hours": 2.5, "contacted": "31/2/2024"}}, headers=AUTH)
    assert refused.status_code == 422
    problem = refused.json()
    errors = {e["question"]: e for e in problem["errors"]}
    assert errors["age"]["message"] == "Rhowch oed rhwng 16 a 120." and errors["age"]["code"] == "not_allowed"
    assert errors["contacted"]["code"] == "not_a_date"
    assert problem["response"]["answers"]["hours"] == "2.5"  # valid answers were kept
    in_english = client.post(url, params={"lang": "en"}, json={"answers": {"age": "old"}}, headers=AUTH)
    assert in_english.json()["errors"][0]["message"] == "Please enter a whole number, for example 42."
    # Change "heard": skip logic (the engine's) drops the barriers; a not-asked answer is reported.
    changed = client.post(url, json={"answers": {"heard": "no", "barriers": ["time"]}}, headers=AUTH).json()
    assert "barriers" not in changed["answers"] and changed["ignored"] == ["barriers"]
    done = client.post(url, json={"answers": {"age": 70, "contacted": None, "comment": "Diolch ŵ"}}, headers=AUTH)
    assert done.status_code == 200 and done.json()["completed"] is True and done.json()["next_question"] is None
    fetched = client.get(f"/api/responses/{state['id']}", headers=AUTH).json()
    assert fetched["answers"]["comment"] == "Diolch ŵ" and fetched["answers"]["age"] == 70
    stored = web_runtime.store.load_response(state["id"])
    assert stored.channel == "web" and stored.answers["age"].value == 70


def test_idempotency_key_starts_one_response(client, web_runtime):
    headers = {**AUTH, "Idempotency-Key": "invite-42"}
    first = client.post("/api/responses", json={"instrument_id": "local-voice"}, headers=headers)
    second = client.post("/api/responses", json={"instrument_id": "local-voice"}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert web_runtime.store.count_responses("local-voice") == 1


@pytest.mark.parametrize(("body", "headers", "status", "detail"), [
    (b"{}", {"content-type": "text/plain"}, 415, "application/json"),
    (b"{not json", {}, 400, "not valid JSON"),
    (b"[1, 2]", {}, 400, "JSON object"),
    (b'{"instrument_id": "local-voice", "colour": "red"}', {}, 400, "colour"),
    (b'{"instrument_id": 42}', {}, 400, "instrument_id"),
    (b'{"instrument_id": "local-voice", "language": "fr"}', {}, 400, "language"),
    (b'{"instrument_id": "nope"}', {}, 404, "nope"),
])
def test_create_errors(client, body, headers, status, detail):
    reply = client.post("/api/responses", content=body, headers={"content-type": "application/json", **AUTH, **headers})
    assert reply.status_code == status and detail in reply.json()["detail"]


@pytest.mark.parametrize(("body", "status"), [
    (b'{"answers": {"heard": true}}', 400),
    (b'{"answers": {"heard": {"a": 1}}}', 400),
    (b'{"answers": {"hours": NaN}}', 400),
    (b'{"answers": {}}', 400),
    (b'{"answer": {"heard": "yes"}}', 400),
    (b'{"answers": {"no_such_question": "yes"}}', 422),
])
def test_answer_errors(client, body, status):
    created = client.post("/api/responses", json={"instrument_id": "local-voice"}, headers=AUTH).json()
    reply = client.post(f"/api/responses/{created['id']}/answers", content=body,
                        headers={"content-type": "application/json", **AUTH})
    assert reply.status_code == status, reply.text
    assert client.post("/api/responses/unknown/answers", json={"answers": {"heard": "yes"}},
                       headers=AUTH).status_code == 404


def test_answers_are_closed_once_sent_on_the_web(client, respondent):
    from webdata import field

    respondent.start("en")
    respondent.answer("heard", "no")
    respondent.answer("age", "40")
    for name in ("hours", "comment"):
        respondent.get(f"/s/local-voice/q/{name}")
        respondent.answer(name, "")
    respondent.get("/s/local-voice/q/contacted")
    respondent.answer("contacted", None, day="", month="", year="")
    client.post("/s/local-voice/check", data={"csrf_token": field(respondent.page.text, "csrf_token")})
    reply = client.post(f"/api/responses/{respondent.response_id}/answers", json={"answers": {"age": "41"}},
                        headers=AUTH)
    assert reply.status_code == 409


def test_api_rate_limit_and_size_limit(web_runtime, web_config):
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    config = web_config.replace(rate_per_minute=1, rate_burst=1, max_api_bytes=1000)
    with TestClient(make_app(web_runtime, config)) as client:
        big = client.post("/api/responses", content=b'{"instrument_id": "' + b"x" * 2000 + b'"}',
                          headers={"content-type": "application/json", **AUTH})
        assert big.status_code == 413 and big.headers["content-type"] == "application/problem+json"
        assert client.post("/api/responses", json={"instrument_id": "local-voice"}, headers=AUTH).status_code == 201
        limited = client.post("/api/responses", json={"instrument_id": "local-voice"}, headers=AUTH)
        assert limited.status_code == 429 and limited.json()["status"] == 429 and "retry-after" in limited.headers


def test_openapi_document_describes_every_route(client):
    document = client.get("/api/openapi.json").json()
    assert document["openapi"] == "3.1.0"
    assert set(document["paths"]) == {"/api/instruments", "/api/instruments/{instrument_id}", "/api/responses",
                                      "/api/responses/{response_id}", "/api/responses/{response_id}/answers"}
    assert document["paths"]["/api/responses"]["post"]["security"] == [{"apiKey": []}]


# -- schemathesis: generated requests against the OpenAPI document ----------------------------

def fresh_api_app(folder):
    """The API over a new, empty store (the instrument files are shared); key and generous limits."""
    import uuid

    from rightsaware.loading import load_instrument
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime
    from rightsaware.settings import Settings
    from rightsaware.testing import write_sample_instrument
    from webdata import write_instrument

    import rightsaware_web.plugin as web_plugin
    from rightsaware_web import WebConfig, make_app

    settings = Settings(data_dir=str(folder / uuid.uuid4().hex), secret_key="test-secret-key-not-for-production")
    pm = make_plugin_manager(entrypoints=False)
    pm.register(web_plugin, name="web")
    runtime = Runtime(settings, plugin_manager=pm)
    instruments = folder / "instruments"
    if not instruments.exists():
        instruments.mkdir()
        write_instrument(instruments)
        write_sample_instrument(instruments)
    for path in (instruments / "local-voice.toml", instruments / "sample.toml"):
        runtime.instruments.add(load_instrument(path), path)
    config = WebConfig.with_api_keys([API_KEY], rate_per_minute=100_000, rate_burst=100_000)
    return runtime, make_app(runtime, config)


class SwitchableApp:
    """An ASGI app whose store can be replaced by an empty one between stateful scenarios."""

    def __init__(self, folder) -> None:
        self.folder = folder
        self.runtimes = []
        self.reset()

    def reset(self) -> None:
        runtime, self.app = fresh_api_app(self.folder)
        self.runtimes.append(runtime)

    async def __call__(self, scope, receive, send) -> None:
        await self.app(scope, receive, send)


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    app = SwitchableApp(tmp_path_factory.mktemp("api"))
    yield app
    for runtime in app.runtimes:
        runtime.close()


@pytest.mark.parametrize("mode", ["positive", "negative"])
def test_api_conforms_to_its_openapi_document(api_app, mode):
    """Every operation, with requests generated from the document: valid ones and invalid ones."""
    from hypothesis import given
    from schemathesis import GenerationMode

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api_app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 5
    tested = []
    for operation in operations:
        if mode == "negative" and operation.label == "GET /api/instruments":
            continue  # nothing in it can be made invalid
        strategy = operation.as_strategy(generation_mode=GenerationMode(mode))

        @given(case=strategy)
        @settings(max_examples=30, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            case.call_and_validate(headers=AUTH, excluded_checks=excluded_checks(case.operation.label))

        check()
        tested.append(operation.label)
    assert len(tested) >= 4


def test_api_scenarios_follow_the_documents_links(api_app):
    """Stateful: start responses, then read and answer them through the links of the document."""
    from hypothesis.stateful import run_state_machine_as_test

    schema = schemathesis.openapi.from_asgi("/api/openapi.json", api_app)
    machine = schema.as_state_machine()
    seen = []

    class Scenarios(machine):
        def setup(self):
            api_app.reset()  # each scenario starts from an empty store, so replays behave the same

        def get_call_kwargs(self, case):
            return {"headers": AUTH}

        def after_call(self, response, case):
            super().after_call(response, case)
            seen.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            case.validate_response(response, excluded_checks=excluded_checks(case.operation.label),
                                   transport_kwargs=kwargs or None, recorder=self.recorder)

    run_state_machine_as_test(Scenarios, settings=settings(max_examples=15, stateful_step_count=6, deadline=None,
                                                           database=None, suppress_health_check=list(HealthCheck)))
    assert ("POST /api/responses", 201) in seen
    assert ("GET /api/responses/{response_id}", 200) in seen
    assert any(label == ANSWERS and status in (200, 422) for label, status in seen)

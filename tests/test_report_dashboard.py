"""``/results``: the live dashboard behind a sign-in, in the viewer's language, protected figures."""

from __future__ import annotations

import re

import argon2
import pytest
from starlette.testclient import TestClient

from rightsaware.auth import Users
from rightsaware.plugins import hookimpl, make_plugin_manager
from rightsaware.results_routes import results_routes
from rightsaware.runtime import Runtime
from rightsaware.server import make_app
from rightsaware.simulate import simulate

PASSWORD = "cyfrinair hir iawn 73"
CHEAP = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


class Results:
    @hookimpl
    def register_routes(self, register, runtime):
        for route in results_routes(runtime):
            register(route)


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from rightsaware.settings import Settings

    folder = tmp_path_factory.mktemp("dashboard")
    pm = make_plugin_manager(entrypoints=False)
    pm.register(Results(), name="results")
    runtime = Runtime(Settings(data_dir=str(folder / "data"), secret_key="dashboard tests, not for production"),
                      plugin_manager=pm)
    runtime._auth_users = Users(runtime.store, hasher=CHEAP)
    runtime._auth_users.add("iolo", PASSWORD, "viewer")
    simulate(runtime.store, runtime.instrument("rights-wales"), 120, seed=5)
    yield TestClient(make_app(runtime), follow_redirects=False)
    runtime.close()


def sign_in(client: TestClient) -> None:
    page = client.get("/login", params={"next": "/results"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post("/login", data={"csrf_token": token, "username": "iolo", "password": PASSWORD,
                                        "next": "/results"})
    assert done.status_code == 303


def test_results_need_a_signed_in_user(client) -> None:
    client.cookies.clear()
    page = client.get("/results/rights-wales")
    assert page.status_code == 303 and page.headers["location"].startswith("/login?next=")
    api = client.get("/results/rights-wales.json", headers={"accept": "application/json"})
    assert api.status_code == 401 and "count" not in api.text


def test_dashboard_in_the_viewers_language_with_breakdowns(client) -> None:
    sign_in(client)
    index = client.get("/results", params={"lang": "cy"})
    assert index.status_code == 200 and 'href="/results/rights-wales?lang=cy"' in index.text
    page = client.get("/results/rights-wales", params={"lang": "cy", "by": "channel", "synthetic": "1"})
    assert page.status_code == 200 and '<html lang="cy">' in page.text
    assert "Ynghylch y ffigurau hyn" in page.text and "cudd" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert re.search(r'name="by" value="channel" checked', page.text)
    welsh = client.get("/results/rights-wales", headers={"accept-language": "gd"}, params={"synthetic": "1"})
    assert '<html lang="gd">' in welsh.text


def test_json_api_marks_suppressed_cells_without_counts(client) -> None:
    sign_in(client)
    data = client.get("/results/rights-wales.json", params={"by": "channel", "synthetic": "1"}).json()
    assert data["include_synthetic"] is True and data["disclosure_control"]["threshold"] == 10
    cells = [cell for q in data["questions"] for table in [q["overall"], *q["by"].values()]
             for row in table["rows"] for cell in row["cells"].values()]
    hidden = [c for c in cells if c.get("suppressed")]
    assert hidden and all(c == {"suppressed": True} for c in hidden)
    assert data["labels"]["language"] == "en"
    real = client.get("/results/rights-wales.json").json()
    assert real["responses"] == {"suppressed": True} and real["synthetic_left_out"] == 120


def test_bad_requests_get_clear_answers(client) -> None:
    sign_in(client)
    missing = client.get("/results/no-such-survey")
    assert missing.status_code == 404 and "no-such-survey" in missing.text
    bad = client.get("/results/rights-wales.json", params={"by": "postcode"})
    assert bad.status_code == 400 and "cannot be broken down by" in bad.json()["title"]

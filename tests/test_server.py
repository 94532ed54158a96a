"""The core's server: home page in three languages, health check, plugin routes."""

from __future__ import annotations

from starlette.testclient import TestClient

from rightsaware.server import make_app


def test_home_lists_instruments_in_the_readers_language(rightsaware_runtime) -> None:
    client = TestClient(make_app(rightsaware_runtime))
    english = client.get("/")
    assert english.status_code == 200
    assert '<html lang="en">' in english.text
    assert "Taking part where you live" in english.text
    welsh = client.get("/", headers={"accept-language": "cy-GB,cy;q=0.9,en;q=0.5"})
    assert '<html lang="cy">' in welsh.text
    assert "Cymryd rhan lle rydych chi&#39;n byw" in welsh.text
    gaelic = client.get("/?lang=gd")
    assert '<html lang="gd">' in gaelic.text
    assert "A&#39; gabhail pàirt" in gaelic.text
    assert gaelic.cookies.get("lang") == "gd"
    assert "content-security-policy" in english.headers


def test_language_links_are_marked_with_their_language(rightsaware_runtime) -> None:
    text = TestClient(make_app(rightsaware_runtime)).get("/").text
    assert 'lang="cy"' in text and "Cymraeg" in text
    assert 'lang="gd"' in text and "Gàidhlig" in text


def test_healthz(rightsaware_runtime) -> None:
    response = TestClient(make_app(rightsaware_runtime)).get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert "sample" in response.json()["instruments"]
    assert response.json()["channels"] == ["fake"]


def test_installed_channels_and_their_pages_are_named_in_the_readers_language(rightsaware_settings) -> None:
    from rightsaware.runtime import Runtime

    runtime = Runtime(rightsaware_settings)  # with the installed channel plugins
    try:
        welsh = TestClient(make_app(runtime)).get("/?lang=cy").text
        assert "Negeseuon testun (SMS)" in welsh and "Ffurflenni papur" in welsh and "Arolygon ar y we" in welsh
        assert "Efelychydd SMS" in welsh  # the simulator's link, from the SMS channel's own catalog
    finally:
        runtime.close()

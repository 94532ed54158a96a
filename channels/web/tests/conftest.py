"""Fixtures of the web channel's tests: a runtime with the web plugin and a test client."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # Starlette would like httpx2 for its test client; httpx works the same here
    warnings.simplefilter("ignore")
    import starlette.testclient  # noqa: F401 - imported once here, so that no test warns

sys.path.insert(0, str(Path(__file__).parent))

from webdata import write_instrument  # noqa: E402

API_KEY = "test-api-key-0123456789abcdef"


@pytest.fixture
def web_runtime(rightsaware_settings, tmp_path, sample_instrument, sample_instrument_path):
    """A runtime with the web plugin only, the sample instrument and "local-voice"."""
    from rightsaware.loading import load_instrument
    from rightsaware.plugins import make_plugin_manager
    from rightsaware.runtime import Runtime

    import rightsaware_web.plugin as web_plugin

    pm = make_plugin_manager(entrypoints=False)
    pm.register(web_plugin, name="web")
    runtime = Runtime(rightsaware_settings, plugin_manager=pm)
    runtime.instruments.add(sample_instrument, sample_instrument_path)
    folder = tmp_path / "instruments"
    folder.mkdir()
    path = write_instrument(folder)
    runtime.instruments.add(load_instrument(path), path)
    yield runtime
    runtime.close()


@pytest.fixture
def web_config():
    from rightsaware_web.config import WebConfig

    return WebConfig.with_api_keys([API_KEY], rate_per_minute=6000, rate_burst=1000)


@pytest.fixture
def client(web_runtime, web_config):
    from starlette.testclient import TestClient

    from rightsaware_web import make_app

    with TestClient(make_app(web_runtime, web_config), base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def tokens(rightsaware_settings):
    from rightsaware.settings import ensure_secret_key

    from rightsaware_web.tokens import Tokens

    return Tokens(ensure_secret_key(rightsaware_settings))


@pytest.fixture
def respondent(client, tokens):
    from webdata import Respondent

    return Respondent(client, tokens)

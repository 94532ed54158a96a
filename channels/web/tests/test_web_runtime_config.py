"""How the pages run their work (in the event loop or in threads) and what they keep after first use."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(("value", "workers"), [("", None), ("auto", None), ("AUTO", None), ("0", 0), ("3", 3)])
def test_workers_from_the_environment(value, workers):
    from rightsaware_web.config import WebConfig

    assert WebConfig.from_environ({"RIGHTSAWARE_WEB_WORKERS": value}).workers == workers


@pytest.mark.parametrize("value", ["-1", "many", "1.5"])
def test_bad_workers_are_explained(value):
    from rightsaware.errors import ConfigError

    from rightsaware_web.config import WebConfig

    with pytest.raises(ConfigError, match="RIGHTSAWARE_WEB_WORKERS"):
        WebConfig.from_environ({"RIGHTSAWARE_WEB_WORKERS": value})


@pytest.mark.parametrize(("workers", "inline"), [(None, True), (0, True), (2, False)])
def test_work_runs_in_the_event_loop_with_sqlite_unless_threads_are_asked_for(web_runtime, workers, inline):
    import anyio

    from rightsaware_web.config import WebConfig
    from rightsaware_web.site import Site

    site = Site(web_runtime, WebConfig(workers=workers))
    assert site.inline is inline
    threads = []

    async def main() -> None:
        import threading

        threads.append(threading.get_ident())
        threads.append(await site.run(threading.get_ident))

    anyio.run(main)
    assert (threads[0] == threads[1]) is inline


def test_a_verified_session_cookie_still_expires(tokens, monkeypatch):
    import time as real_time

    from rightsaware_web import tokens as tokens_module

    cookie = tokens.dump_session({"r": {"sample": "abc"}, "c": "x" * 24})
    assert tokens.load_session(cookie, max_age=60) == {"r": {"sample": "abc"}, "c": "x" * 24}
    loaded = tokens.load_session(cookie, max_age=60)
    loaded["r"]["sample"] = "changed"  # the caller's copy: what is kept stays as signed
    assert tokens.load_session(cookie, max_age=60)["r"] == {"sample": "abc"}
    later = real_time.time() + 120
    monkeypatch.setattr(tokens_module.time, "time", lambda: later)
    assert tokens.load_session(cookie, max_age=60) is None  # remembered as verified, but too old now
    assert tokens.load_session(cookie[:-3] + "abc", max_age=6000) is None  # a changed cookie is checked afresh

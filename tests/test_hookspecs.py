"""The hook contract: every hook documented and tested; each hook behaves as specified."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pluggy
import pytest

from rightsaware import hookspecs
from rightsaware.delivery import deliver, receive
from rightsaware.events import Invitation, Rendered
from rightsaware.plugins import hookimpl, make_plugin_manager
from rightsaware.runtime import Runtime

TESTS = Path(__file__).parent
HOOKS = sorted(name for name, value in vars(hookspecs).items() if callable(value) and hasattr(value, "rightsaware_spec"))


def test_every_hook_is_in_the_spec_module() -> None:
    expected = {"register_channels", "register_routes", "register_commands", "register_message_catalogs",
                "check_delivery", "render_question", "inbound_received", "answer_recorded",
                "response_completed", "response_abandoned", "respondent_erased"}
    assert set(HOOKS) == expected


@pytest.mark.parametrize("name", HOOKS)
def test_hooks_are_documented(name: str) -> None:
    function = getattr(hookspecs, name)
    doc = inspect.getdoc(function) or ""
    assert len(doc.splitlines()) >= 3, f"{name} needs a full docstring"
    for parameter in inspect.signature(function).parameters:
        assert f":param {parameter}:" in doc, f"{name}'s docstring does not describe {parameter}"
    docs = (TESTS.parent / "docs" / "hooks.md").read_text(encoding="utf-8")
    assert "rightsaware.hookspecs" in docs  # the hooks page is generated from these docstrings


@pytest.mark.parametrize("name", HOOKS)
def test_hooks_have_tests(name: str) -> None:
    pattern = re.compile(rf"def test_hook_(\w*_)?{name}\w*\(")
    sources = [p.read_text(encoding="utf-8") for p in TESTS.rglob("test_*.py")]
    assert any(pattern.search(source) for source in sources), f"no test named test_hook_{name}*"


def make(rightsaware_settings, *plugins) -> Runtime:
    pm = make_plugin_manager(entrypoints=False)
    for index, plugin in enumerate(plugins):
        pm.register(plugin, name=f"p{index}")
    return Runtime(rightsaware_settings, plugin_manager=pm)


class Channel:
    def __init__(self, name: str = "c") -> None:
        from rightsaware.channel import ChannelInfo

        self.info = ChannelInfo(name=name)
        self.sent: list = []

    def render(self, question, locale, runtime):
        return Rendered(channel=self.info.name, locale=locale, text=f"[{locale}] {question}")

    def deliver(self, invitation, rendered, runtime):
        from rightsaware.events import Receipt

        self.sent.append(rendered.text)
        return Receipt(ok=True, provider_id="x")

    def parse_inbound(self, payload, runtime):
        from rightsaware.events import InboundEvent

        return InboundEvent(channel=self.info.name, idempotency_key=payload["id"], text=payload["text"]) if payload else None


class Registers:
    def __init__(self, channel) -> None:
        self.channel = channel

    @hookimpl
    def register_channels(self, register):
        register(self.channel)


def test_hook_register_channels(rightsaware_settings) -> None:
    channel = Channel("c")
    runtime = make(rightsaware_settings, Registers(channel))
    assert runtime.channels.get("c") is channel
    with pytest.raises(Exception, match="two plugins"):
        make(rightsaware_settings, Registers(Channel("c")), Registers(Channel("c")))


def test_hook_check_delivery_and_render_question(rightsaware_settings) -> None:
    channel = Channel()

    class Veto:
        @hookimpl
        def check_delivery(self, invitation):
            return "quiet hours" if invitation.kind == "reminder" else None

    class Override:
        @hookimpl
        def render_question(self, question, locale, channel):
            return Rendered(channel=channel.info.name, locale=locale, text="overridden") if question == "special" else None

    runtime = make(rightsaware_settings, Registers(channel), Veto(), Override())
    ok = deliver(runtime, Invitation(instrument_id="i", channel="c", language="cy"), "q1")
    assert ok.ok and channel.sent == ["[cy] q1"]  # the core's trylast default asked the channel
    deliver(runtime, Invitation(instrument_id="i", channel="c"), "special")
    assert channel.sent[-1] == "overridden"
    vetoed = deliver(runtime, Invitation(instrument_id="i", channel="c", kind="reminder"), "q1")
    assert not vetoed.ok and vetoed.error == "quiet hours"
    assert len(channel.sent) == 2


def test_hook_render_question_default_is_trylast(rightsaware_settings) -> None:
    runtime = make(rightsaware_settings, Registers(Channel()))
    impls = runtime.pm.hook.render_question.get_hookimpls()
    assert impls[0].plugin_name == "rightsaware.default_hooks" and impls[0].trylast


def test_hook_inbound_received(rightsaware_settings) -> None:
    seen = []

    class Listener:
        @hookimpl
        def inbound_received(self, event, channel):
            seen.append((event.idempotency_key, channel.info.name))

    runtime = make(rightsaware_settings, Registers(Channel()), Listener())
    assert receive(runtime, "c", {"id": "m1", "text": "1"}).text == "1"
    assert receive(runtime, "c", {"id": "m1", "text": "1"}) is None  # duplicate
    assert receive(runtime, "c", None) is None
    assert seen == [("m1", "c")]
    runtime.close()


def test_hook_register_routes(rightsaware_settings) -> None:
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route
    from starlette.testclient import TestClient

    from rightsaware.server import make_app

    class Routes:
        @hookimpl
        def register_routes(self, register):
            register(Route("/hello", lambda request: PlainTextResponse("helô")), title="Hello")

    runtime = make(rightsaware_settings, Routes())
    client = TestClient(make_app(runtime))
    assert client.get("/hello").text == "helô"
    assert 'href="/hello"' in client.get("/").text
    runtime.close()


def test_hook_register_commands(rightsaware_settings) -> None:
    import click
    from click.testing import CliRunner

    from rightsaware.cli import build_cli

    @click.command("hello")
    def hello():
        click.echo("shwmae")

    class Commands:
        @hookimpl
        def register_commands(self, cli):
            cli.add_command(hello)

    runtime = make(rightsaware_settings, Commands())
    group = build_cli(runtime)
    assert CliRunner().invoke(group, ["hello"]).output == "shwmae\n"
    group.commands.pop("hello")


def test_hook_register_message_catalogs(rightsaware_settings, tmp_path) -> None:
    from rightsaware.errors import CatalogError

    folder = tmp_path / "locales"
    for language, text in (("en", ""), ("cy", "Bore da"), ("gd", "Madainn mhath")):
        po = folder / language / "LC_MESSAGES" / "extra.po"
        po.parent.mkdir(parents=True)
        po.write_text(f'msgid ""\nmsgstr "Content-Type: text/plain; charset=utf-8\\n"\n\nmsgid "Good morning"\nmsgstr "{text}"\n',
                      encoding="utf-8")

    class Catalogs:
        def __init__(self, folder):
            self.folder = folder

        @hookimpl
        def register_message_catalogs(self, register):
            register("extra", self.folder)

    runtime = make(rightsaware_settings, Catalogs(folder))
    assert runtime.messages("cy").domain("extra")._("Good morning") == "Bore da"
    assert runtime.messages("gd").domain("extra")._("Good morning") == "Madainn mhath"
    (folder / "gd" / "LC_MESSAGES" / "extra.po").unlink()
    with pytest.raises(CatalogError):
        make(rightsaware_settings, Catalogs(folder)).translator  # noqa: B018 - strict loading


def test_no_global_plugin_manager() -> None:
    assert make_plugin_manager(entrypoints=False) is not make_plugin_manager(entrypoints=False)
    assert isinstance(make_plugin_manager(entrypoints=False), pluggy.PluginManager)


def test_blocked_plugins(monkeypatch) -> None:
    monkeypatch.setenv("RIGHTSAWARE_DISABLE_PLUGINS", "rightsaware.default_hooks")
    pm = make_plugin_manager(entrypoints=False)
    assert pm.get_plugin("rightsaware.default_hooks") is None

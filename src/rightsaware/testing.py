"""Test helpers for rightsaware and its channels, loaded as a pytest plugin (``pytest11``).

Fixtures: ``rightsaware_settings``, ``rightsaware_runtime`` (a runtime with a fresh SQLite
store, no installed plugins and a :class:`FakeChannel`), ``sample_instrument``.
:class:`ChannelContract` is the base class every channel's contract tests subclass.
:func:`require_or_skip` skips a test whose component is missing, except under
``RIGHTSAWARE_REQUIRE_ALL=1`` (CI), where it fails instead.

No autouse fixtures and no heavy imports at module level: this module is imported by
every pytest run in an environment where rightsaware is installed.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path
from typing import Any

import pytest

SAMPLE_INSTRUMENT = """\
id = "sample"
version = "1"
title = "Taking part where you live"
languages = ["en", "cy", "gd"]

[[questions]]
name = "intro"
type = "note"
label = "A few questions about taking part."

[[questions]]
name = "heard"
type = "select_one yes_no"
label = "Have you heard of co-production?"

[[questions]]
name = "age"
type = "integer"
label = "How old are you?"
constraint = ". >= 16 and . <= 120"
constraint_message = "Please give an age between 16 and 120."

[[questions]]
name = "barriers"
type = "select_multiple barriers"
label = "What stops you taking part?"
relevant = "${heard} = 'yes'"
required = false

[[questions]]
name = "comment"
type = "text"
label = "Anything else?"
required = false

[choices]
yes_no = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" } ]
barriers = [ { name = "time", label = "Time" }, { name = "transport", label = "Transport" }, { name = "language", label = "Language" } ]
"""


#: Welsh and Gaelic translations of the sample instrument, by msgctxt (written for tests;
#: the Welsh uses cydgynhyrchu and answer pairs that echo the verb, as the brief advises).
SAMPLE_TRANSLATIONS = {
    "cy": {
        "sample:title": "Cymryd rhan lle rydych chi'n byw",
        "sample:intro:label": "Ychydig o gwestiynau am gymryd rhan.",
        "sample:heard:label": "Ydych chi wedi clywed am gydgynhyrchu?",
        "sample:heard:yes:label": "Ydw",
        "sample:heard:no:label": "Nac ydw",
        "sample:age:label": "Faint yw eich oed chi?",
        "sample:age:constraint_message": "Rhowch oed rhwng 16 a 120.",
        "sample:barriers:label": "Beth sy'n eich rhwystro rhag cymryd rhan?",
        "sample:barriers:time:label": "Amser",
        "sample:barriers:transport:label": "Teithio a phellter",
        "sample:barriers:language:label": "Iaith",
        "sample:comment:label": "Unrhyw beth arall? (Gallwch ysgrifennu ŵ, ŷ ac â.)",
    },
    "gd": {
        "sample:title": "A' gabhail pàirt far a bheil thu a' fuireach",
        "sample:intro:label": "Beagan cheistean mu bhith a' gabhail pàirt.",
        "sample:heard:label": "An cuala tu mu co-production (obair còmhla air seirbheisean)?",
        "sample:heard:yes:label": "Chuala",
        "sample:heard:no:label": "Cha chuala",
        "sample:age:label": "Dè an aois a tha thu?",
        "sample:age:constraint_message": "Thoir seachad aois eadar 16 agus 120.",
        "sample:barriers:label": "Dè a tha gad chumail bho bhith a' gabhail pàirt?",
        "sample:barriers:time:label": "Ùine",
        "sample:barriers:transport:label": "Siubhal is astar",
        "sample:barriers:language:label": "Cànan",
        "sample:comment:label": "A bheil dad eile ann? (Faodaidh tu à, è, ì, ò agus ù a sgrìobhadh.)",
    },
}
_PLURAL_FORMS = {
    "cy": "nplurals=6; plural=(n == 0 ? 0 : n == 1 ? 1 : n == 2 ? 2 : n == 3 ? 3 : n == 6 ? 4 : 5);",
    "gd": "nplurals=4; plural=(n == 1 || n == 11 ? 0 : n == 2 || n == 12 ? 1 : "
          "(n >= 3 && n <= 10) || (n >= 13 && n <= 19) ? 2 : 3);",
    "en": "nplurals=2; plural=(n != 1);",
}


def write_sample_instrument(folder: Path) -> Path:
    """Write the sample instrument and its en/cy/gd catalogs into ``folder``; return the TOML path."""
    from .loading import loads_instrument

    path = Path(folder) / "sample.toml"
    path.write_text(SAMPLE_INSTRUMENT, encoding="utf-8")
    instrument = loads_instrument(SAMPLE_INSTRUMENT)
    english = {}
    for question in instrument.questions:
        for field_name in ("label", "hint", "constraint_message"):
            if getattr(question, field_name):
                english[f"sample:{question.name}:{field_name}"] = getattr(question, field_name)
        for choice in instrument.choices_for(question):
            english[f"sample:{question.name}:{choice.name}:label"] = choice.label
    english["sample:title"] = instrument.title

    def quote(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'

    for language in ("en", "cy", "gd"):
        translations = SAMPLE_TRANSLATIONS.get(language, {})
        lines = ['msgid ""', 'msgstr ""', quote(f"Language: {language}\n"),
                 quote("Content-Type: text/plain; charset=utf-8\n"), quote(f"Plural-Forms: {_PLURAL_FORMS[language]}\n"), ""]
        for context, msgid in english.items():
            lines += [f"msgctxt {quote(context)}", f"msgid {quote(msgid)}", f"msgstr {quote(translations.get(context, ''))}", ""]
        target = Path(folder) / "sample" / "locales" / language / "LC_MESSAGES" / "sample.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text("\n".join(lines), encoding="utf-8")
    return path


def made_response(instrument: Any, values: dict[str, Any], *, channel: str = "web", language: str = "en",
                  status: str = "completed", synthetic: bool = False, version: str | None = None,
                  respondent_id: str | None = None, at: Any = None) -> Any:
    """A response to ``instrument`` with ``values`` as its answers (``None``: skipped), ready to store."""
    import datetime as dt
    import uuid

    from .response import Answer, Response

    at = at or dt.datetime(2026, 3, 1, tzinfo=dt.timezone.utc)
    answers = {name: Answer(question=name, value=value, language=language, channel=channel, answered_at=at,
                            skipped=value is None) for name, value in values.items()}
    return Response(id=uuid.uuid4().hex, instrument_id=instrument.id, instrument_version=version or instrument.version,
                    instrument_hash=instrument.content_hash, channel=channel, language=language, status=status,
                    answers=answers, history=tuple(answers), started_at=at, updated_at=at,
                    completed_at=at if status == "completed" else None, synthetic=synthetic,
                    respondent_id=respondent_id)


def write_workbook(path: Path, sheets: dict[str, list[list]]) -> Path:
    """An .xlsx file at ``path`` with one sheet per entry of ``sheets`` (rows of cell values)."""
    import openpyxl

    book = openpyxl.Workbook()
    book.remove(book.active)
    for name, rows in sheets.items():
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
    book.save(path)
    return path


def require_all() -> bool:
    """True when missing components must fail tests instead of skipping them (CI)."""
    return os.environ.get("RIGHTSAWARE_REQUIRE_ALL", "") not in ("", "0", "false")


def require_or_skip(available: bool, what: str) -> None:
    """Skip when ``what`` is unavailable; under RIGHTSAWARE_REQUIRE_ALL=1, fail instead."""
    if available:
        return
    if require_all():
        pytest.fail(f"{what} is required (RIGHTSAWARE_REQUIRE_ALL=1) but is not available")
    pytest.skip(f"{what} is not available")


@pytest.fixture(scope="session")
def postgresql_server():
    """One throwaway PostgreSQL server for the test session (:mod:`rightsaware.pgserver`).

    Skipped when PostgreSQL is not installed, except under ``RIGHTSAWARE_REQUIRE_ALL=1``.
    """
    from .pgserver import PostgresUnavailable, running_postgres

    try:
        context = running_postgres()
        server = context.__enter__()
    except PostgresUnavailable as exc:
        require_or_skip(False, str(exc))
    except RuntimeError as exc:
        pytest.fail(str(exc), pytrace=False)
    try:
        yield server
    finally:
        context.__exit__(None, None, None)


class FakeChannel:
    """A channel that keeps what it delivers in memory; for core tests and examples."""

    def __init__(self, name: str = "fake") -> None:
        from .channel import ChannelInfo

        self.info = ChannelInfo(name=name, title="Fake channel")
        self.delivered: list[tuple[Any, Any]] = []

    def render(self, question: Any, locale: str, runtime: Any) -> Any:
        from .events import Rendered
        from .i18n import localize

        instrument = getattr(runtime, "current_instrument", None)
        label = question.label
        if instrument is not None:
            label = localize(instrument, runtime.messages(locale)).label(question)
        return Rendered(channel=self.info.name, locale=locale, text=label)

    def deliver(self, invitation: Any, rendered: Any, runtime: Any) -> Any:
        from .events import Receipt

        self.delivered.append((invitation, rendered))
        return Receipt(ok=True, provider_id=f"fake-{len(self.delivered)}")

    def parse_inbound(self, payload: Any, runtime: Any) -> Any:
        from .events import InboundEvent

        if not isinstance(payload, dict) or "key" not in payload or "text" not in payload:
            return None
        return InboundEvent(channel=self.info.name, idempotency_key=str(payload["key"]), text=str(payload["text"]))


@pytest.fixture
def rightsaware_settings(tmp_path: Path):
    """Settings pointing at a temporary data folder with a fixed secret key."""
    from .settings import Settings

    return Settings(data_dir=str(tmp_path / "data"), secret_key="test-secret-key-not-for-production")


@pytest.fixture
def sample_instrument_path(tmp_path: Path) -> Path:
    """The sample instrument (en, cy, gd) with its catalogs, in a temporary folder."""
    return write_sample_instrument(tmp_path)


@pytest.fixture
def sample_instrument(sample_instrument_path: Path):
    from .loading import load_instrument

    return load_instrument(sample_instrument_path)


@pytest.fixture
def fake_channel() -> FakeChannel:
    return FakeChannel()


@pytest.fixture
def rightsaware_runtime(rightsaware_settings, fake_channel, sample_instrument, sample_instrument_path):
    """A runtime with no installed plugins, a FakeChannel, a SQLite store and the sample instrument."""
    from .plugins import hookimpl, make_plugin_manager
    from .runtime import Runtime

    class Plugin:
        @hookimpl
        def register_channels(self, register: Any) -> None:
            register(fake_channel)

    pm = make_plugin_manager(entrypoints=False)
    pm.register(Plugin(), name="fake-channel")
    runtime = Runtime(rightsaware_settings, plugin_manager=pm)
    runtime.instruments.add(sample_instrument, sample_instrument_path)
    yield runtime
    runtime.close()


class ChannelContract:
    """Conformance tests every channel passes; subclass and override the ``channel`` fixture.

    ``contract_runtime`` gives a runtime with the sample instrument and the channel
    registered, so rendering can use the translator.
    """

    @pytest.fixture
    def channel(self) -> Any:  # pragma: no cover - subclasses override
        raise NotImplementedError("override the `channel` fixture in your subclass")

    @pytest.fixture
    def contract_runtime(self, channel, rightsaware_settings, sample_instrument, sample_instrument_path):
        from .plugins import hookimpl, make_plugin_manager
        from .runtime import Runtime

        class Plugin:
            @hookimpl
            def register_channels(self, register: Any) -> None:
                register(channel)

        pm = make_plugin_manager(entrypoints=False)
        pm.register(Plugin(), name=f"contract-{channel.info.name}")
        runtime = Runtime(rightsaware_settings, plugin_manager=pm)
        runtime.instruments.add(sample_instrument, sample_instrument_path)
        runtime.current_instrument = sample_instrument
        yield runtime
        runtime.close()

    def test_info(self, channel) -> None:
        from .channel import ChannelInfo

        assert isinstance(channel.info, ChannelInfo)
        assert channel.info.name and channel.info.name.isidentifier()
        assert set(channel.info.locales) >= {"en", "cy", "gd"}

    def test_renders_every_question_in_every_language(self, channel, contract_runtime, sample_instrument) -> None:
        from .events import Rendered

        for locale in ("en", "cy", "gd"):
            for question in sample_instrument.questions:
                rendered = channel.render(question, locale, contract_runtime)
                assert isinstance(rendered, Rendered)
                assert rendered.locale == locale
                assert rendered.text.strip()
                assert unicodedata.is_normalized("NFC", rendered.text)

    def test_garbage_inbound_is_refused_cleanly(self, channel, contract_runtime) -> None:
        from .errors import RightsawareError

        for payload in (None, b"\x00\xff", {}, {"unexpected": "x"}, "not a payload"):
            try:
                result = channel.parse_inbound(payload, contract_runtime)
            except RightsawareError:
                continue
            assert result is None

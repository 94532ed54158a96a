"""``rightsaware i18n extract/update`` create the catalogs of a channel domain that has none yet.

A new channel registers its domain through ``register_message_catalogs`` before any ``.po``
exists. The runtime's translator refuses to load such a domain (strict loading), which must
not stop the very commands that create its catalogs.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from click.testing import CliRunner

from rightsaware.cli import Context
from rightsaware.errors import CatalogError
from rightsaware.i18n_cli import i18n
from rightsaware.plugins import hookimpl, make_plugin_manager
from rightsaware.runtime import Runtime

DOMAIN = "rightsaware_tmpchan"


class TemporaryChannel:
    """A plugin that registers a brand-new domain whose catalogs do not exist yet."""

    def __init__(self, locales: Path, source: Path) -> None:
        self.locales = locales
        self.source = source

    @hookimpl
    def register_message_catalogs(self, register, runtime) -> None:  # noqa: ANN001
        register(DOMAIN, self.locales, self.source)


@pytest.fixture
def new_channel(tmp_path: Path, rightsaware_settings):  # noqa: ANN001, ANN201
    package = tmp_path / "tmpchan" / "src" / "rightsaware_tmpchan"
    package.mkdir(parents=True)
    (package / "messages.py").write_text(
        "from rightsaware.i18n import _, ngettext\n\n"
        "def hello(name):\n"
        "    return _('Hello {name}, this is the new channel.', name=name)\n\n"
        "def left(n):\n"
        "    return ngettext('{n} message left', '{n} messages left', n)\n",
        encoding="utf-8",
    )
    locales = tmp_path / "tmpchan" / "locales"
    pm = make_plugin_manager(entrypoints=False)
    pm.register(TemporaryChannel(locales, package.parent), name="tmpchan")
    runtime = Runtime(rightsaware_settings, plugin_manager=pm)
    yield runtime, locales
    runtime.close()


def invoke(runtime, language: str, *args: str):  # noqa: ANN001, ANN201
    return CliRunner().invoke(i18n, list(args), obj=Context(runtime, language), catch_exceptions=False)


def test_the_runtime_refuses_the_domain_until_it_has_catalogs(new_channel) -> None:
    runtime, _locales = new_channel
    with pytest.raises(CatalogError):
        runtime.messages("cy")


@pytest.mark.parametrize("language", ["en", "cy"])
def test_update_creates_every_catalog_with_cldr_headers(new_channel, language) -> None:
    runtime, locales = new_channel
    result = invoke(runtime, language, "update", "--domain", DOMAIN)
    assert result.exit_code == 0, result.output
    assert (locales / f"{DOMAIN}.pot").is_file()
    for code in ("en", "cy", "gd"):
        path = locales / code / "LC_MESSAGES" / f"{DOMAIN}.po"
        assert path.is_file(), path
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=code)
        expected = get_plural(code)
        assert catalog.plural_forms == str(expected)
        assert catalog.num_plurals == expected.num_plurals
        ids = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog if m.id}
        assert ids == {"Hello {name}, this is the new channel.", "{n} message left"}
    text = (locales / "cy" / "LC_MESSAGES" / f"{DOMAIN}.po").read_text(encoding="utf-8")
    assert "#, fuzzy" not in text.split("msgid", 2)[1]  # the header is not fuzzy
    if language == "cy":  # the command spoke Welsh although the new domain could not load
        assert "wedi" in result.output.lower() or "diweddar" in result.output.lower(), result.output


def test_extract_alone_writes_the_template(new_channel) -> None:
    runtime, locales = new_channel
    result = invoke(runtime, "gd", "extract", "--domain", DOMAIN)
    assert result.exit_code == 0, result.output
    assert "Hello {name}, this is the new channel." in (locales / f"{DOMAIN}.pot").read_text(encoding="utf-8")
    assert not (locales / "cy").exists()


def test_after_update_check_lists_the_work_and_translations_then_load(new_channel) -> None:
    runtime, locales = new_channel
    assert invoke(runtime, "en", "update", "--domain", DOMAIN).exit_code == 0
    result = CliRunner().invoke(i18n, ["check", "--domain", DOMAIN], obj=Context(runtime, "en"))
    assert result.exit_code == 1  # untranslated entries in Welsh and Gaelic
    assert "rightsaware_tmpchan.po" in result.output
    # the catalogs now exist: a fresh runtime loads the domain strictly
    fresh = Runtime(runtime.settings, plugin_manager=runtime.pm)
    try:
        messages = fresh.messages("cy").domain(DOMAIN)
        assert messages._("Hello {name}, this is the new channel.", name="Ffion") == \
            "Hello Ffion, this is the new channel."  # untranslated falls back to English
    finally:
        fresh.close()

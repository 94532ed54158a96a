"""Language names, Accept-Language negotiation and bilingual order (briefs/i18n.md §3.1–3.3)."""

from __future__ import annotations

import pytest

from rightsaware.errors import ConfigError
from rightsaware.i18n import (UnknownLanguage, bilingual_order, language_name, negotiate,
                              normalize_language)


@pytest.mark.parametrize(
    ("value", "code"),
    [("cy", "cy"), ("cy-GB", "cy"), ("cy_GB", "cy"), ("CY", "cy"), ("cym", "cy"), ("wel", "cy"),
     ("Cymraeg", "cy"), ("Welsh", "cy"), ("cy_GB.UTF-8", "cy"), ("Cuimris", "cy"),
     ("gd", "gd"), ("gd-GB", "gd"), ("gla", "gd"), ("Gàidhlig", "gd"), ("Gaidhlig", "gd"),
     ("GÀIDHLIG", "gd"), ("Gaelic", "gd"), ("Scottish Gaelic", "gd"), ("Gaeleg yr Alban", "gd"),
     ("en", "en"), ("en-GB", "en"), ("en_US", "en"), ("eng", "en"), ("English", "en"),
     ("Saesneg", "en"), ("Beurla", "en"), ("  cy ", "cy")],
)
def test_normalize_language(value: str, code: str) -> None:
    assert normalize_language(value) == code


@pytest.mark.parametrize("value", ["fr", "ga", "ga-IE", "Irish", "sco", "xx", "", "  ", None, 3, "C"])
def test_unknown_languages_get_a_clear_error(value: object) -> None:
    with pytest.raises(UnknownLanguage) as caught:
        normalize_language(value)
    assert "en (English), cy (Cymraeg) or gd (Gàidhlig)" in str(caught.value)
    assert isinstance(caught.value, ConfigError) and isinstance(caught.value, ValueError)


# The brief's table (§3.1), with the two pitfalls fixed: "CY" comes back as "cy", and the
# ISO 639-2/3 codes gla/cym are understood.
@pytest.mark.parametrize(
    ("header", "expected"),
    [("cy-GB,cy;q=0.9,en-GB;q=0.8,en;q=0.7", "cy"), ("cy-GB", "cy"), ("CY", "cy"),
     ("gd-GB,en;q=0.5", "gd"), ("en-GB,en;q=0.9", "en"), ("ga-IE,en;q=0.8", "en"),
     ("gla", "gd"), ("cym", "cy"), ("sco,en;q=0.5", "en"), ("en;q=0.5,cy;q=0.9", "cy"),
     ("cy;q=0,en", "en"), ("cy;q=abc,gd", "gd")],
)
def test_negotiate(header: str, expected: str) -> None:
    assert negotiate(header, ["cy", "gd", "en"]) == expected


@pytest.mark.parametrize("header", ["*", "", None, "fr-FR,de;q=0.5", ";;;,,,"])
def test_negotiate_falls_back_to_the_default(header: str | None) -> None:
    assert negotiate(header, ["cy", "gd", "en"]) is None
    assert negotiate(header, ["cy", "gd", "en"], default="en") == "en"


def test_negotiate_only_offers_available_languages() -> None:
    assert negotiate("gd,cy;q=0.8", ["en", "cy"]) == "cy"
    assert negotiate("gd", ["en", "cy"], default="en") == "en"
    assert negotiate("cy-GB", ["cy_GB", "en"]) == "cy"  # Babel alone returns None here


def test_bilingual_order_defaults_put_welsh_or_gaelic_first() -> None:
    assert bilingual_order(["en", "cy"]) == ("cy", "en")
    assert bilingual_order(["en", "gd"]) == ("gd", "en")
    assert bilingual_order(["en", "cy", "gd"]) == ("cy", "gd", "en")
    assert bilingual_order(["English", "cy-GB", "cy"]) == ("cy", "en")


def test_bilingual_order_settings() -> None:
    assert bilingual_order(["cy", "en"], "english_first") == ("en", "cy")
    assert bilingual_order(["gd", "en"], "english_first") == ("en", "gd")
    assert bilingual_order(["en", "gd"], "welsh_first") == ("gd", "en")
    assert bilingual_order(["en", "cy", "gd"], "gaelic_first") == ("gd", "cy", "en")
    with pytest.raises(ConfigError, match="welsh_first, gaelic_first, english_first"):
        bilingual_order(["cy", "en"], "alphabetical")


def test_language_names_come_from_cldr() -> None:
    assert [language_name(x) for x in ("en", "cy", "gd")] == ["English", "Cymraeg", "Gàidhlig"]
    assert language_name("gd", "cy") == "Gaeleg yr Alban"
    assert language_name("cy", "gd") == "Cuimris"
    assert language_name("en", "gd") == "Beurla"

"""Number, date and list formatting with CLDR's traps fixed (briefs/i18n.md §1.5)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.lists import format_list as babel_format_list

from rightsaware.i18n import Messages
from rightsaware.i18n_format import aspirate_mutation, soft_mutation, welsh_conjunction_a

DAY = dt.date(2026, 2, 14)
EN, CY, GD = (Messages(None, x) for x in ("en", "cy", "gd"))


def test_english_is_british() -> None:
    assert EN.babel_locale == Locale("en", "GB")
    assert EN.format_date(DAY) == "14 February 2026"
    assert EN.format_date(DAY, "short") == "14/02/2026"


def test_welsh_short_dates_have_four_digit_years() -> None:
    assert babel_format_date(DAY, "short", locale="cy") == "14/02/26"  # the trap
    assert CY.format_date(DAY, "short") == "14/02/2026"
    assert CY.format_date(dt.date(1926, 2, 14), "short") == "14/02/1926"
    assert CY.format_date(DAY, "long") == "14 Chwefror 2026"
    assert CY.format_date(DAY, "full") == "Dydd Sadwrn, 14 Chwefror 2026"


def test_gaelic_month_without_a_day_uses_the_stand_alone_name() -> None:
    assert babel_format_date(DAY, "MMMM y", locale="gd") == "dhen Ghearran 2026"  # the trap
    assert GD.format_date(DAY, "MMMM y") == "An Gearran 2026"
    assert GD.format_month_year(DAY) == "An Gearran 2026"
    assert GD.format_month_year(dt.date(2026, 6, 1)) == "An t-Ògmhios 2026"
    assert CY.format_month_year(DAY) == "Chwefror 2026"
    assert EN.format_month_year(DAY) == "February 2026"
    # With a day number the genitive phrase is right and stays.
    assert GD.format_date(DAY, "long") == "14mh dhen Ghearran 2026"
    assert GD.format_date(DAY, "d MMMM y") == "14 dhen Ghearran 2026"
    assert GD.format_date(DAY, "d 'mh' MMMM") == "14 mh dhen Ghearran"  # quoted text is kept


def test_times_are_24_hour() -> None:
    evening = dt.time(21, 30)
    assert [m.format_time(evening) for m in (EN, CY, GD)] == ["21:30", "21:30", "21:30"]


def test_welsh_lists_choose_a_or_ac() -> None:
    places = ["Caerdydd", "Abertawe", "Bangor"]
    assert babel_format_list(places, locale="cy") == "Caerdydd, Abertawe, a(c) Bangor"  # the trap
    assert CY.format_list(places) == "Caerdydd, Abertawe, a Bangor"
    assert CY.format_list(["Bangor", "Abertawe"]) == "Bangor ac Abertawe"
    assert CY.format_list(["tai", "ysgolion"]) == "tai ac ysgolion"
    assert CY.format_list(["un", "wyth"]) == "un ac wyth"
    assert CY.format_list(["Caerdydd"]) == "Caerdydd"
    assert CY.format_list(["A", "B"], style="or") == "A neu B"
    assert GD.format_list(places) == "Caerdydd, Abertawe agus Bangor"
    assert EN.format_list(places) == "Caerdydd, Abertawe and Bangor"


def test_welsh_lists_can_mutate_welsh_words() -> None:
    assert CY.format_list(["bara", "caws"], mutate=True) == "bara a chaws"
    assert CY.format_list(["bara", "caws"]) == "bara a caws"
    assert CY.format_list(["Abertawe", "Caerdydd"], mutate=True) == "Abertawe a Chaerdydd"
    assert CY.format_list(["bara", "caws"], style="or", mutate=True) == "bara neu gaws"


@pytest.mark.parametrize(("word", "expected"), [("caws", "chaws"), ("pen", "phen"), ("tad", "thad"),
                                                ("Caerdydd", "Chaerdydd"), ("chwarae", "chwarae"),
                                                ("bara", "bara"), ("theatr", "theatr")])
def test_aspirate_mutation(word: str, expected: str) -> None:
    assert aspirate_mutation(word) == expected


@pytest.mark.parametrize(("word", "expected"), [("caws", "gaws"), ("llaeth", "laeth"), ("gardd", "ardd"),
                                                ("Gardd", "Ardd"), ("mam", "fam"), ("rhaglen", "raglen"),
                                                ("dydd", "ddydd"), ("afal", "afal")])
def test_soft_mutation(word: str, expected: str) -> None:
    assert soft_mutation(word) == expected


def test_conjunction_before_vowels_including_w_and_y() -> None:
    assert [welsh_conjunction_a(x) for x in ("afal", "Ŵyl", "ysgol", "bara", "8 oed", "3 oed")] == [
        "ac", "ac", "ac", "a", "ac", "a"]


def test_numbers_percentages_and_units() -> None:
    assert CY.format_number(1234567.891) == "1,234,567.891"
    assert GD.format_decimal(Decimal("0.5")) == "0.5"
    assert CY.format_percent(0.25) == "25%"
    # Non-whole quantities never go through ngettext; CLDR's unit patterns handle them.
    assert GD.format_unit(Decimal("1.5"), "duration-year") == "1.5 bliadhna"
    assert CY.format_unit(3, "duration-year") == "3 blynedd"


def test_language_names_in_the_locale() -> None:
    assert CY.language_name("en") == "Saesneg"
    assert GD.language_name("cy") == "Cuimris"

"""Contact CSV validation: UK numbers to E.164, line numbers, duplicates, languages."""

from __future__ import annotations

import pytest

from rightsaware_sms.contacts import ContactsError, normalise_phone, parse_contacts, read_contacts

LANGS = ("en", "cy", "gd")


@pytest.mark.parametrize("raw", ["07700 900123", "07700900123", "+44 7700 900123", "+44 (0)7700 900123",
                                 "0044 7700 900123", "447700900123", "7700900123", "077-0090-0123", " (07700) 900 123 "])
def test_uk_mobile_numbers_become_e164(raw):
    assert normalise_phone(raw) == ("+447700900123", None)


def test_isle_of_man_mobile_and_international_numbers():
    assert normalise_phone("07624 123456")[0] == "+447624123456"
    assert normalise_phone("+353 87 123 4567")[0] == "+353871234567"


@pytest.mark.parametrize(("raw", "words"), [
    ("", "empty"),
    ("01234 567890", "landline"),
    ("020 7946 0000", "landline"),
    ("07000 123456", "not a UK mobile"),
    ("0770090012", "not a complete UK number"),
    ("7.7009E+09", "spreadsheet"),
    ("call me", "letters"),
    ("+1 23", "too few"),
])
def test_bad_numbers_have_a_reason(raw, words):
    number, reason = normalise_phone(raw)
    assert number is None
    assert words in reason


def test_csv_reports_errors_with_line_numbers_and_duplicates():
    text = ("name,phone,language\n"
            "Ann,07700 900001,cy\n"
            "Bob,01234 567890,en\n"
            "\n"
            "Cat,+447700900001,gd\n"
            "Dai,07700 900002,Cymraeg\n"
            "Eve,07700 900003,fr\n"
            "Fin,07700 900004,\n")
    contacts = parse_contacts(text, languages=LANGS, default_language="en")
    assert [(c.line, c.address, c.language) for c in contacts.contacts] == [
        (2, "+447700900001", "cy"), (6, "+447700900002", "cy"), (8, "+447700900004", "en")]
    assert [p.line for p in contacts.errors] == [3, 7]
    assert "landline" in str(contacts.errors[0]) and str(contacts.errors[0]).startswith("line 3:")
    assert [p.line for p in contacts.duplicates] == [5]
    assert "line 2" in str(contacts.duplicates[0])
    assert not contacts.ok
    assert contacts.languages() == {"cy": 2, "en": 1}


def test_language_not_offered_by_the_instrument():
    contacts = parse_contacts("phone,language\n07700900001,gd\n", languages=("en", "cy"), default_language="en")
    assert contacts.errors and "gd" in str(contacts.errors[0])


def test_semicolon_csv_with_bom_and_mobile_header(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("\ufeffMobile;Iaith\n07700 900123;cy\n".encode())
    contacts = read_contacts(path, languages=LANGS, default_language="en", language_column="iaith")
    assert [(c.address, c.language) for c in contacts.contacts] == [("+447700900123", "cy")]


def test_unusable_files_are_clear_errors(tmp_path):
    with pytest.raises(ContactsError, match="does not exist"):
        read_contacts(tmp_path / "missing.csv", languages=LANGS, default_language="en")
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes("phone,name\n07700900123,Siân\n".encode("latin-1"))
    with pytest.raises(ContactsError, match="UTF-8"):
        read_contacts(latin1, languages=LANGS, default_language="en")
    with pytest.raises(ContactsError, match="no phone number column"):
        parse_contacts("name,email\nAnn,a@example.org\n", languages=LANGS, default_language="en")
    with pytest.raises(ContactsError, match="no column called 'lang'"):
        parse_contacts("phone\n07700900123\n", languages=LANGS, default_language="en", language_column="lang",
                       language_column_required=True)

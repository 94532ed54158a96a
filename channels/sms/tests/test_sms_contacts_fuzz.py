"""Contact lists: random CSV text only ever gives a contact list or a clear ContactsError; bad files queue nothing."""

from __future__ import annotations

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from rightsaware.cli import Context, build_cli
from rightsaware.errors import RightsawareError
from rightsaware_sms.channel import QUEUE_CAMPAIGN
from rightsaware_sms.contacts import ContactList, ContactsError, parse_contacts, read_contacts

LANGS = ("en", "cy", "gd")
CELLS = st.one_of(st.text(max_size=30), st.sampled_from(["07700 900123", "+447700900124", "cy", "gd", "Siân",
                                                        "=cmd|' /C calc'!A0", "\x00", "\"", ";", "\r\n", ""]))
HEADERS = st.lists(st.one_of(st.sampled_from(["phone", "mobile", "number", "language", "name", "Phone "]),
                             st.text(max_size=12)), min_size=1, max_size=5)


@settings(max_examples=100, deadline=None)
@given(header=HEADERS, rows=st.lists(st.lists(CELLS, max_size=6), max_size=8), delimiter=st.sampled_from(",;\t"))
def test_random_csv_gives_contacts_or_a_clear_error(header, rows, delimiter):
    text = "\n".join(delimiter.join(line) for line in [header, *rows])
    try:
        contacts = parse_contacts(text, languages=LANGS, default_language="en")
    except ContactsError as error:
        assert str(error).strip()
        return
    assert isinstance(contacts, ContactList)
    for contact in contacts.contacts:
        assert contact.address.startswith("+") and contact.language in LANGS
    for problem in contacts.errors:
        assert str(problem).startswith(f"line {problem.line}:")


@settings(max_examples=60, deadline=None)
@given(raw=st.binary(max_size=400))
def test_random_bytes_as_a_contacts_file(tmp_path_factory, raw):
    path = tmp_path_factory.mktemp("contacts") / "people.csv"
    path.write_bytes(raw)
    try:
        read_contacts(path, languages=LANGS, default_language="en")
    except ContactsError as error:
        assert str(error).strip()


def _bad_files(folder):
    files = {
        "wrong_columns.csv": ("name,email\nAnn,ann@example.org\n".encode(), "no phone number column"),
        "binary.csv": (bytes(range(256)) * 8, "not UTF-8"),
        "png.csv": (b"\x89PNG\r\n\x1a\n" + b"\x00\xff" * 500, "not UTF-8"),
        "empty.csv": (b"", "empty"),
        "huge_field.csv": (b"phone,name\n07700900123," + b"x" * 300_000 + b"\n", "cannot be read as CSV"),
        "bad_rows.csv": ("phone\n07700900123\n01234 567890\n".encode(), "Nothing was queued"),
    }
    for name, (content, _words) in files.items():
        (folder / name).write_bytes(content)
    return {name: words for name, (_content, words) in files.items()}


def test_bad_contact_files_give_a_clear_error_and_store_nothing(sms_runtime, tmp_path, fake_twilio):
    cli = build_cli(sms_runtime)
    for name, words in _bad_files(tmp_path).items():
        result = CliRunner().invoke(cli, ["sms", "send", "--instrument", "sample", "--contacts", str(tmp_path / name),
                                          "--yes"], obj=Context(sms_runtime, "en"))
        assert result.exit_code != 0, (name, result.output)
        # a RightsawareError is what `rightsaware` prints as a plain message (never a traceback)
        assert isinstance(result.exception, RightsawareError), (name, repr(result.exception))
        assert "Traceback" not in result.output
        assert words in result.output + str(result.exception), (name, result.output, str(result.exception))
    assert sms_runtime.store.outbox_items(QUEUE_CAMPAIGN) == []
    assert fake_twilio.sent() == []


def test_a_huge_field_is_a_clear_error(tmp_path):
    path = tmp_path / "huge.csv"
    path.write_bytes(b"phone,name\n07700900123," + b"x" * 300_000 + b"\n")
    with pytest.raises(ContactsError):
        read_contacts(path, languages=LANGS, default_language="en")

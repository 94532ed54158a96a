"""Key rotation: every encrypted value and respondent id moves to the new secret, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import stat

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from rightsaware import audit
from rightsaware.cli import Context, build_cli
from rightsaware.crypto import Keyring
from rightsaware.errors import ConfigError
from rightsaware.interview import Interviewer
from rightsaware.key_rotation import rotate
from rightsaware.plugins import make_plugin_manager
from rightsaware.privacy import find_respondents, record_export
from rightsaware.runtime import Runtime
from rightsaware.settings import load_settings, secret_keys
from rightsaware.store import Store, tables
from rightsaware.testing import FakeChannel

OLD = "the old secret of this deployment 2025"
NEW = "the new secret of this deployment 2026"
PHONE, OTHER = "+447700900123", "+447700900456"


class RekeyingChannel(FakeChannel):
    """A channel with its own table keyed by respondent id and its own encrypted values."""

    def __init__(self) -> None:
        super().__init__("fake")
        self.renamed: dict[str, str] = {}
        self.in_transaction: list[bool] = []

    def rekey_respondents(self, connection, renamed, runtime):
        self.in_transaction.append(connection.in_transaction())
        self.renamed.update(renamed)

    def reencrypt_personal_data(self, keyring, runtime):
        return 4


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'rotation.db'}"
        return
    server = request.getfixturevalue("postgresql_server")
    name = server.create_database()
    try:
        yield server.url(name)
    finally:
        server.drop_database(name)


def make_runtime(tmp_path, url: str, secret: str, channel=None) -> Runtime:
    from rightsaware.plugins import hookimpl
    from rightsaware.settings import Settings

    class Plugin:
        @hookimpl
        def register_channels(self, register):
            register(channel or FakeChannel())

    pm = make_plugin_manager(entrypoints=False)
    pm.register(Plugin(), name="fake-channel")
    runtime = Runtime(Settings(data_dir=str(tmp_path / "data"), database_url=url, secret_key=secret), plugin_manager=pm)
    return runtime


def populate(runtime, sample_instrument, sample_instrument_path) -> dict:
    runtime.instruments.add(sample_instrument, sample_instrument_path)
    store = runtime.store
    rid = store.ensure_respondent("sms", PHONE, language="gd")
    erased = store.ensure_respondent("sms", OTHER)
    store.set_opted_out(erased, "sms", True)
    store.erase_respondent(erased)  # only the opt-out is left: no address to re-key from
    interviewer = Interviewer(runtime)
    turn = interviewer.start("sample", channel="fake", respondent_id=rid)
    store.enqueue("sms", "m-1", {"to": PHONE, "body": "Ceist 1"}, respondent_id=rid)
    [item] = store.claim_outbox("sms", limit=1)
    store.mark_failed(item.id, "30003", f"Unreachable handset {PHONE}", permanent=True)
    audit.record(store, "cli:test", audit.RESPONDENT_EXPORT, subject_kind="respondent", subject_id=rid)
    record_export(runtime, runtime.settings.data_dir + "/x.csv", "referrals", [rid], actor="cli:test",
                  action=audit.REFERRALS_EXPORT)
    return {"rid": rid, "erased": erased, "response": turn.response.id, "item": item.id}


def test_rotation_moves_everything_to_the_new_secret(tmp_path, database_url, sample_instrument,
                                                      sample_instrument_path) -> None:
    before = make_runtime(tmp_path, database_url, OLD)
    data = populate(before, sample_instrument, sample_instrument_path)
    before.close()

    channel = RekeyingChannel()
    runtime = make_runtime(tmp_path, database_url, NEW, channel)
    keyring = Keyring.from_secrets([NEW, OLD])
    report = rotate(runtime, keyring, actor="cli:test")
    new_id = Keyring.from_secret(NEW).respondent_id("sms", PHONE)
    assert report.respondents_rekeyed == 1 and report.contacts_reencrypted == 1
    assert report.messages_reencrypted == 1 and report.channel_items_reencrypted == 4
    assert report.kept_without_address == 1
    assert channel.renamed == {data["rid"]: new_id} and channel.in_transaction == [True]

    # with the new secret alone, everything is found and decrypted
    store = Store.open(database_url, Keyring.from_secret(NEW))
    try:
        assert store.find_respondent("sms", PHONE) == new_id and store.respondent(data["rid"]) is None
        assert store.contact_address(new_id, "sms") == PHONE and store.respondent(new_id).language == "gd"
        assert store.load_response(data["response"]).respondent_id == new_id
        item = store.outbox_item(data["item"])
        assert item.respondent_id == new_id and item.payload["to"] == PHONE and PHONE in item.error
        with store.engine.connect() as connection:
            subjects = set(connection.scalars(select(tables.audit_log.c.subject_id)))
            exported = set(connection.scalars(select(tables.exported_respondents.c.respondent_id)))
        assert data["rid"] not in subjects and new_id in subjects and exported == {new_id}
    finally:
        store.close()
    # the opted-out person without an address stays under the old id, found while the old secret is listed
    assert runtime.store.respondent(data["erased"]).opted_out_channels == {"sms"}
    assert Store.open(database_url, keyring).find_respondent("sms", OTHER) == data["erased"]

    again = rotate(runtime, keyring, actor="cli:test")
    assert (again.respondents_rekeyed, again.contacts_reencrypted, again.messages_reencrypted) == (0, 0, 0)
    assert [e.detail["respondents_rekeyed"] for e in audit.entries(runtime.store, action=audit.KEYS_ROTATE)] == [0, 1]
    runtime.close()


def test_secret_keys_order_and_environment(tmp_path) -> None:
    settings = load_settings(environ={"RIGHTSAWARE_SECRET_KEY": NEW,
                                      "RIGHTSAWARE_PREVIOUS_SECRET_KEYS": f"{OLD}, another old secret 2024"},
                             data_dir=str(tmp_path))
    assert secret_keys(settings) == [NEW, OLD, "another old secret 2024"]
    assert OLD not in repr(settings) and NEW not in repr(settings)
    with pytest.raises(ConfigError, match="at least 1"):
        load_settings(environ={"RIGHTSAWARE_RETENTION_SCANS_DAYS": "0"})


def test_cli_rotate_a_generated_key_file(tmp_path, rightsaware_settings, sample_instrument,
                                         sample_instrument_path) -> None:
    settings = rightsaware_settings.with_overrides(secret_key="")  # the key lives in <data_dir>/secret.key
    pm = make_plugin_manager(entrypoints=False)
    runtime = Runtime(settings, plugin_manager=pm)
    data = populate(runtime, sample_instrument, sample_instrument_path)
    key_file = tmp_path / "data" / "secret.key"
    old_key = key_file.read_text(encoding="utf-8").strip()
    runtime.close()

    runtime = Runtime(settings, plugin_manager=make_plugin_manager(entrypoints=False))
    group, obj = build_cli(runtime), Context(runtime, "en")
    single = CliRunner().invoke(group, ["keys", "rotate"], obj=obj)
    assert single.exit_code == 0 and "nothing to rotate" in single.output
    result = CliRunner().invoke(group, ["keys", "rotate", "--generate"], obj=obj)
    assert result.exit_code == 0, result.output
    assert "1 respondent id re-keyed." in result.output and "All data now uses the new secret." in result.output
    new_key = key_file.read_text(encoding="utf-8").strip()
    assert new_key != old_key and stat.S_IMODE(os.stat(key_file).st_mode) == 0o600
    assert not (tmp_path / "data" / "secret.key.previous").exists()
    assert old_key not in result.output and new_key not in result.output
    runtime.close()

    fresh = Runtime(settings, plugin_manager=make_plugin_manager(entrypoints=False))
    [found] = find_respondents(fresh, phone=PHONE)
    assert fresh.store.contact_address(found, "sms") == PHONE and found != data["rid"]
    fresh.close()


def test_cli_finishes_an_interrupted_rotation(tmp_path, rightsaware_settings, sample_instrument,
                                              sample_instrument_path) -> None:
    settings = type(rightsaware_settings)(data_dir=str(tmp_path / "data"))
    runtime = Runtime(settings, plugin_manager=make_plugin_manager(entrypoints=False))
    populate(runtime, sample_instrument, sample_instrument_path)
    runtime.close()
    key_file = tmp_path / "data" / "secret.key"
    previous = tmp_path / "data" / "secret.key.previous"
    previous.write_text(key_file.read_text(encoding="utf-8"), encoding="utf-8")  # as --generate leaves it
    key_file.write_text(Keyring.generate_secret() + "\n", encoding="utf-8")      # before a crash

    runtime = Runtime(settings, plugin_manager=make_plugin_manager(entrypoints=False))
    group, obj = build_cli(runtime), Context(runtime, "en")
    refused = CliRunner().invoke(group, ["keys", "rotate", "--generate"], obj=obj)
    assert refused.exit_code == 1 and "unfinished" in str(refused.exception)
    finished = CliRunner().invoke(group, ["keys", "rotate"], obj=obj)
    assert finished.exit_code == 0 and "1 respondent id re-keyed." in finished.output
    assert not previous.exists()
    runtime.close()


def test_cli_refuses_to_generate_over_a_configured_secret(rightsaware_runtime) -> None:
    result = CliRunner().invoke(build_cli(rightsaware_runtime), ["keys", "rotate", "--generate"],
                                obj=Context(rightsaware_runtime, "en"))
    assert result.exit_code == 1 and "RIGHTSAWARE_PREVIOUS_SECRET_KEYS" in str(result.exception)

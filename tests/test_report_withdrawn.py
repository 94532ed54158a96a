"""Withdrawn responses are left out of the report, the exports and ``/results`` alike."""

from __future__ import annotations

import csv
import io
import json
import re

import argon2
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from starlette.testclient import TestClient

from rightsaware.auth import Users
from rightsaware.cli import Context, build_cli
from rightsaware.plugins import hookimpl, make_plugin_manager
from rightsaware.privacy import withdraw
from rightsaware.report_cli import export, report
from rightsaware.results_routes import results_routes
from rightsaware.runtime import Runtime
from rightsaware.server import make_app
from rightsaware.simulate import simulate
from rightsaware.store import tables

PASSWORD = "tynnu'n ôl 2026 hir"
CHEAP = argon2.PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
SURVEY = "rights-wales"


class Results:
    @hookimpl
    def register_routes(self, register, runtime):
        for route in results_routes(runtime):
            register(route)


@pytest.fixture(scope="module")
def withdrawn(tmp_path_factory):
    """240 synthetic responses; every paper response is then withdrawn through rightsaware.privacy."""
    from rightsaware.settings import Settings

    folder = tmp_path_factory.mktemp("withdrawn")
    pm = make_plugin_manager(entrypoints=False)
    pm.register(Results(), name="results")
    runtime = Runtime(Settings(data_dir=str(folder / "data"), secret_key="withdrawal tests, not for production"),
                      plugin_manager=pm)
    runtime._auth_users = Users(runtime.store, hasher=CHEAP)
    runtime._auth_users.add("non", PASSWORD, "viewer")
    simulate(runtime.store, runtime.instrument(SURVEY), 240, seed=8)
    r = tables.responses
    with runtime.store.engine.connect() as connection:
        rows = connection.execute(select(r.c.id, r.c.channel).where(r.c.instrument_id == SURVEY)).all()
    paper = sorted(rid for rid, channel in rows if channel == "paper")
    assert len(paper) >= 10 and len(rows) - len(paper) >= 100
    for rid in paper:
        withdraw(runtime, response_id=rid, channel="cli", actor="test")
    yield runtime, set(paper), len(rows) - len(paper)
    runtime.close()


def cli(runtime):
    group = build_cli(runtime)
    for command in (report, export):
        if command.name not in group.commands:
            group.add_command(command)
    return group


def run(runtime, *args: str):
    result = CliRunner().invoke(cli(runtime), list(args), obj=Context(runtime, "en"))
    assert result.exit_code == 0, result.output
    return result


def channel_groups(data: dict) -> set[str]:
    """Every group named in the channel breakdowns of a published JSON run."""
    return {row["group"] for q in data["questions"] for name, table in q["by"].items() if name == "channel"
            for row in table["rows"]}


def test_report_counts_only_responses_that_were_not_withdrawn(withdrawn, tmp_path) -> None:
    runtime, _paper, kept = withdrawn
    out = tmp_path / "report.html"
    run(runtime, "report", "--instrument", SURVEY, "--include-synthetic", "--by", "channel", "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert f"This report counts {kept} completed responses." in html
    assert not re.search(r">\s*Paper\s*<", html)  # no column or row for the withdrawn channel


def test_table_and_respondent_exports_leave_withdrawn_responses_out(withdrawn, tmp_path) -> None:
    runtime, paper, kept = withdrawn
    out = tmp_path / "tables.json"
    run(runtime, "export", "--instrument", SURVEY, "--format", "json", "--by", "channel", "--include-synthetic",
        "--out", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["responses"] == {"count": kept}
    assert channel_groups(data) and "paper" not in channel_groups(data)
    out = tmp_path / "respondents.csv"
    run(runtime, "export", "--instrument", SURVEY, "--respondents", "--include-synthetic", "--out", str(out))
    rows = list(csv.DictReader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert len(rows) == kept and not paper & {row["response"] for row in rows}


def test_results_dashboard_leaves_withdrawn_responses_out(withdrawn) -> None:
    runtime, _paper, kept = withdrawn
    client = TestClient(make_app(runtime), follow_redirects=False)
    page = client.get("/login", params={"next": "/results"})
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    assert client.post("/login", data={"csrf_token": token, "username": "non", "password": PASSWORD,
                                       "next": "/results"}).status_code == 303
    data = client.get(f"/results/{SURVEY}.json", params={"by": "channel", "synthetic": "1"}).json()
    assert data["responses"] == {"count": kept}
    assert channel_groups(data) and "paper" not in channel_groups(data)
    page = client.get(f"/results/{SURVEY}", params={"by": "channel", "synthetic": "1"})
    assert page.status_code == 200 and f"This report counts {kept} completed responses." in page.text

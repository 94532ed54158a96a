"""People's rights on paper: erasure deletes scans and paper rows, retention deletes old scans,
a withdrawal noted on a sheet withdraws its answers (review page and CLI)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from click.testing import CliRunner
from rightsaware.errors import RightsawareError
from sqlalchemy import func, or_, select

PHONE = "+447700900123"


@pytest.fixture
def run(paper_runtime):
    from rightsaware.cli import Context, build_cli

    group = build_cli(paper_runtime)

    def invoke(*args: str, language: str = "en", input: str | None = None):  # noqa: A002, ANN202
        result = CliRunner().invoke(group, list(args), obj=Context(paper_runtime, language), input=input)
        if result.exception is not None and not isinstance(result.exception, (SystemExit, RightsawareError)):
            raise result.exception
        return result

    return invoke


def person_on_paper(runtime, forms):  # noqa: ANN001, ANN201
    """A respondent invited on paper: a form printed for their response, filled in and scanned twice."""
    from rightsaware.interview import Interviewer

    rid = runtime.store.ensure_respondent("sms", PHONE, language="cy")
    turn = Interviewer(runtime).start("sample", channel="paper", language="cy", respondent_id=rid)
    printed = forms.service.print_forms("sample", "cy+en", response_id=turn.response.id)
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"heard": ("yes", "no")}, texts={"age": "44"})
    forms.scan(forms.save(image), forms.save(image, ".jpg", 95))
    return rid, turn.response.id, printed.serials[0]


def paper_files(service, serial: str) -> list:  # noqa: ANN001
    """The image and crop files of every page of a sheet."""
    from rightsaware_paper import storage as db

    with service.engine.connect() as connection:
        rows = connection.execute(select(db.pages.c.hash, db.pages.c.image_path).where(
            db.pages.c.serial == serial)).all()
    found = []
    for row in rows:
        if row.image_path:
            found.append(service.files.path(row.image_path))
        crops = service.files.root / "crops" / row.hash[:2] / row.hash
        found += sorted(crops.glob("*.png"))
    return found


def paper_rows(service, serial: str, response_id: str) -> int:  # noqa: ANN001
    """Rows of any paper table that point to this sheet or response."""
    from rightsaware_paper import storage as db

    with service.engine.connect() as connection:
        hashes = [h for h, in connection.execute(select(db.pages.c.hash).where(db.pages.c.serial == serial))]
        items = [i for i, in connection.execute(select(db.items.c.id).where(or_(
            db.items.c.sheet_key == serial, db.items.c.page_hash.in_(hashes))))]
        counts = [
            connection.scalar(select(func.count()).select_from(db.sheets).where(or_(
                db.sheets.c.serial == serial, db.sheets.c.response_id == response_id))),
            len(hashes), len(items),
            connection.scalar(select(func.count()).select_from(db.answers).where(db.answers.c.sheet_key == serial)),
            connection.scalar(select(func.count()).select_from(db.decisions).where(db.decisions.c.item_id.in_(items))),
            connection.scalar(select(func.count()).select_from(db.batch_pages).where(
                db.batch_pages.c.page_hash.in_(hashes))),
        ]
    return sum(counts)


def test_erasure_deletes_the_persons_scans_crops_and_paper_rows(paper_runtime, forms, run):
    from rightsaware_paper.review import ReviewQueue

    service = forms.service
    rid, response_id, serial = person_on_paper(paper_runtime, forms)
    someone_else = forms.print("sample", "cy+en")
    other_image = forms.mark(forms.pages(someone_else)[0], someone_else, 1, {"heard": ("yes", "no")})
    forms.scan(forms.save(other_image))
    queue = ReviewQueue(service)
    mine = [i for i in queue.items() if i.sheet_key == serial]
    queue.decide(mine[0].id, "choose", "yes", who="morag")
    files = paper_files(service, serial)
    assert len(files) >= 4 and all(f.exists() for f in files)  # two page images and at least two crops
    assert paper_rows(service, serial, response_id) >= 8
    others = paper_files(service, someone_else.serials[0])
    printed_pdf = service.files.root / "printed"
    result = run("respondents", "erase", "--respondent", rid, "--yes")
    assert result.exit_code == 0, result.output
    assert not any(f.exists() for f in files)
    assert paper_rows(service, serial, response_id) == 0
    assert others and all(f.exists() for f in others)  # another person's sheet is untouched
    assert [i.sheet_key for i in queue.items()] == [someone_else.serials[0]]
    assert not list(printed_pdf.glob(f"*{serial}*"))
    again = run("respondents", "erase", "--respondent", rid, "--yes")
    assert again.exit_code == 0 and "Nothing is held about this person." in again.output
    assert all(f.exists() for f in others)


def test_retention_deletes_old_scans_then_sheets_whose_answers_went(paper_runtime, forms):
    from rightsaware.response import utcnow
    from rightsaware.retention import purge

    printed = forms.print("omr-test", "en")
    forms.scan(forms.save(forms.mark(forms.pages(printed)[0], printed, 1, {"q1": ("a", "d"), "q2": "n"})))
    serial = printed.serials[0]
    files = paper_files(forms.service, serial)
    assert len(files) == 2 and all(f.exists() for f in files)
    soon = purge(paper_runtime, now=utcnow() + dt.timedelta(days=80))
    assert all(f.exists() for f in files) and "scans" not in {i.kind for i in soon.items if i.source == "paper"}
    later = utcnow() + dt.timedelta(days=91)
    dry = purge(paper_runtime, now=later, dry_run=True)
    assert {(i.kind, i.count) for i in dry.items if i.source == "paper"} == {("scans", 1)}
    assert all(f.exists() for f in files)
    done = purge(paper_runtime, now=later)
    assert {(i.kind, i.count) for i in done.items if i.source == "paper"} == {("scans", 1)}
    assert not any(f.exists() for f in files)
    assert forms.values(serial) == {"q2": "n"}  # the answers stay until their own period ends
    assert purge(paper_runtime, now=later).total == 0  # nothing left to do
    response_id = forms.service.sheet(serial)["response_id"]
    final = purge(paper_runtime, now=utcnow() + dt.timedelta(days=800))
    assert ("answers", "paper", 1) in {(i.kind, i.source, i.count) for i in final.items}
    assert paper_rows(forms.service, serial, response_id) == 0


@pytest.fixture
def reviewer(paper_runtime, sign_in_as):
    from rightsaware.server import make_app
    from starlette.testclient import TestClient

    client = TestClient(make_app(paper_runtime))
    sign_in_as(client, "morag")
    return client


def test_a_reviewer_withdraws_a_sheet_from_the_review_page(paper_runtime, forms, reviewer):
    from rightsaware.privacy import withdrawn_responses
    from rightsaware.store import tables

    from rightsaware_paper.review import ReviewQueue

    printed = forms.print("sample", "cy+en")
    image = forms.mark(forms.pages(printed)[0], printed, 1, {"heard": ("yes", "no")}, texts={"age": "44"})
    forms.scan(forms.save(image))
    serial = printed.serials[0]
    response_id = forms.service.sheet(serial)["response_id"]
    item_id = re.search(r'href="/paper/review/(\d+)"', reviewer.get("/paper/review").text).group(1)
    welsh = reviewer.get(f"/paper/review/{item_id}?lang=cy").text
    assert "Tynnu caniatâd yn ôl" in welsh and f'action="/paper/review/{item_id}/withdraw"' in welsh
    token = re.search(r'name="csrf_token" value="([^"]+)"', welsh).group(1)
    unconfirmed = reviewer.post(f"/paper/review/{item_id}/withdraw", data={"csrf_token": token})
    assert unconfirmed.status_code == 400 and "Ticiwch y blwch" in unconfirmed.text
    assert not withdrawn_responses(paper_runtime.store, [response_id])
    forged = reviewer.post(f"/paper/review/{item_id}/withdraw", data={"csrf_token": "x", "confirm": "1"})
    assert forged.status_code == 403 and not withdrawn_responses(paper_runtime.store, [response_id])
    done = reviewer.post(f"/paper/review/{item_id}/withdraw", data={"csrf_token": token, "confirm": "1"},
                         follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/paper/review?done=1"
    assert withdrawn_responses(paper_runtime.store, [response_id]) == {response_id}
    with paper_runtime.store.engine.connect() as connection:  # what every report and export selects
        counted = connection.scalar(select(func.count()).select_from(tables.responses).where(
            tables.responses.c.id == response_id, tables.not_withdrawn()))
    assert counted == 0
    queue = ReviewQueue(forms.service)
    assert queue.count("open") == 0
    history = queue.decisions(int(item_id))
    assert [(d["action"], d["who"]) for d in history] == [("withdrawn", "morag")]
    page = reviewer.get(f"/paper/review/{item_id}?lang=gd").text
    assert "Chaidh an lethbhreac seo a tharraing air ais" in page and "cead air a tharraing air ais" in page
    assert paper_runtime.store.load_response(response_id).status == "abandoned"


def test_withdrawal_from_the_command_line(paper_runtime, forms, run):
    from rightsaware import audit
    from rightsaware.privacy import withdrawn_responses

    from rightsaware_paper.review import ReviewQueue

    printed = forms.print("omr-test", "en", copies=2)
    first, second = printed.serials
    pages = forms.pages(printed)
    forms.scan(forms.save(forms.mark(pages[0], printed, 1, {"q1": "a", "q2": "d", "q3": "n"})))
    both = forms.print("omr-test", "en")
    forms.scan(forms.save(forms.mark(forms.pages(both)[0], both, 1, {"q1": ("a", "d")})))
    read_cleanly = forms.service.sheet(first)["response_id"]
    result = run("paper", "review", "withdraw", "--sheet", first, "--who", "Siân")
    assert result.exit_code == 0, result.output
    assert f"Sheet {first} is withdrawn" in result.output
    assert withdrawn_responses(paper_runtime.store, [read_cleanly]) == {read_cleanly}
    entry = audit.entries(paper_runtime.store, action=audit.RESPONDENT_WITHDRAW)[0]
    assert entry.actor.startswith("cli:") and entry.detail["channel"] == "paper"
    unscanned = run("paper", "review", "withdraw", "--sheet", second, "--who", "Siân", language="gd")
    assert isinstance(unscanned.exception, RightsawareError) and second in str(unscanned.exception)
    item = ReviewQueue(forms.service).items()[0]
    by_item = run("paper", "review", "withdraw", str(item.id), "--who", "Siân")
    assert by_item.exit_code == 0 and ReviewQueue(forms.service).count("open") == 0
    assert run("paper", "review", "withdraw", "--who", "Siân").exit_code == 2
    again = run("paper", "review", "withdraw", "--sheet", first, "--who", "Siân")
    assert again.exit_code == 0  # safe to repeat

"""Test data for the web channel: the "local-voice" instrument with Welsh and Gaelic catalogs.

It has every question kind the pages render (note, select one, select multiple with skip
logic, whole number with a constraint, decimal, date, text) and a closing note.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import write_po
from rightsaware.extract import instrument_messages, read_instrument_data

LOCAL_VOICE = """\
id = "local-voice"
version = "1"
title = "Your voice in local decisions"
description = "Tell us whether you know your rights to take part in decisions."
languages = ["en", "cy", "gd"]
jurisdiction = "wales"

[[questions]]
name = "intro"
type = "note"
label = "A few questions about having a say where you live."

[[questions]]
name = "heard"
type = "select_one yes_no"
label = "Have you heard of co-production?"

[[questions]]
name = "barriers"
type = "select_multiple barriers"
label = "What stops you taking part?"
relevant = "${heard} = 'yes'"
required = false

[[questions]]
name = "age"
type = "integer"
label = "How old are you?"
hint = "In years, for example 42."
constraint = ". >= 16 and . <= 120"
constraint_message = "Give an age between 16 and 120."

[[questions]]
name = "hours"
type = "decimal"
label = "How many hours a week do you give to community groups?"
required = false

[[questions]]
name = "contacted"
type = "date"
label = "When did you last contact your council?"
required = false

[[questions]]
name = "comment"
type = "text"
label = "Anything else you want to tell us?"
required = false

[[questions]]
name = "thanks"
type = "note"
label = "Your answers help local groups speak up for people like you."

[[referrals]]
when = "${heard} = 'no'"
topics = ["co-production"]

[choices]
yes_no = [ { name = "yes", label = "Yes" }, { name = "no", label = "No" } ]
barriers = [ { name = "time", label = "Time" }, { name = "transport", label = "Transport" }, { name = "language", label = "Not in my language" } ]
"""

TRANSLATIONS = {
    "cy": {
        "local-voice:title": "Eich llais mewn penderfyniadau lleol",
        "local-voice:description": "Dywedwch wrthym a ydych chi'n gwybod am eich hawliau i gymryd rhan mewn penderfyniadau.",
        "local-voice:intro:label": "Ychydig o gwestiynau am gael llais lle rydych chi'n byw.",
        "local-voice:heard:label": "Ydych chi wedi clywed am gydgynhyrchu?",
        "local-voice:heard:yes:label": "Ydw",
        "local-voice:heard:no:label": "Nac ydw",
        "local-voice:barriers:label": "Beth sy'n eich rhwystro rhag cymryd rhan?",
        "local-voice:barriers:time:label": "Amser",
        "local-voice:barriers:transport:label": "Teithio",
        "local-voice:barriers:language:label": "Dim yn fy iaith i",
        "local-voice:age:label": "Faint yw eich oed chi?",
        "local-voice:age:hint": "Mewn blynyddoedd, er enghraifft 42.",
        "local-voice:age:constraint_message": "Rhowch oed rhwng 16 a 120.",
        "local-voice:hours:label": "Sawl awr yr wythnos ydych chi'n ei rhoi i grwpiau cymunedol?",
        "local-voice:contacted:label": "Pryd wnaethoch chi gysylltu â'ch cyngor ddiwethaf?",
        "local-voice:comment:label": "Oes unrhyw beth arall rydych chi eisiau ei ddweud wrthym?",
        "local-voice:thanks:label": "Mae eich atebion yn helpu grwpiau lleol i siarad dros bobl fel chi.",
    },
    "gd": {
        "local-voice:title": "Do ghuth ann an co-dhùnaidhean ionadail",
        "local-voice:description": "Innis dhuinn a bheil fios agad air na còraichean agad pàirt a ghabhail ann an co-dhùnaidhean.",
        "local-voice:intro:label": "Beagan cheistean mu bhith a' faighinn guth far a bheil thu a' fuireach.",
        "local-voice:heard:label": "An cuala tu mu co-production (obair còmhla air seirbheisean)?",
        "local-voice:heard:yes:label": "Chuala",
        "local-voice:heard:no:label": "Cha chuala",
        "local-voice:barriers:label": "Dè a tha gad chumail bho bhith a' gabhail pàirt?",
        "local-voice:barriers:time:label": "Ùine",
        "local-voice:barriers:transport:label": "Siubhal",
        "local-voice:barriers:language:label": "Chan ann nam chànan",
        "local-voice:age:label": "Dè an aois a tha thu?",
        "local-voice:age:hint": "Ann am bliadhnaichean, mar eisimpleir 42.",
        "local-voice:age:constraint_message": "Thoir seachad aois eadar 16 agus 120.",
        "local-voice:hours:label": "Cò mheud uair a thìde san t-seachdain a bheir thu do bhuidhnean coimhearsnachd?",
        "local-voice:contacted:label": "Cuin a chuir thu fios chun na comhairle agad mu dheireadh?",
        "local-voice:comment:label": "A bheil dad sam bith eile a bu toil leat innse dhuinn?",
        "local-voice:thanks:label": "Bidh na freagairtean agad a' cuideachadh bhuidhnean ionadail bruidhinn às leth dhaoine mar thusa.",
    },
}


def write_instrument(folder: Path, text: str = LOCAL_VOICE, translations: dict | None = None) -> Path:
    """Write an instrument file and its en/cy/gd catalogs (Babel's CLDR plural headers)."""
    translations = TRANSLATIONS if translations is None else translations
    data = read_instrument_data(text)
    path = Path(folder) / f"{data['id']}.toml"
    path.write_text(text, encoding="utf-8")
    messages = list(instrument_messages(data))
    for language in data.get("languages", ["en"]):
        catalog = Catalog(locale=language, domain=data["id"], project=data["id"], fuzzy=False)
        for message in messages:
            catalog.add(message.msgid, translations.get(language, {}).get(message.context, ""),
                        context=message.context)
        target = Path(folder) / data["id"] / "locales" / language / "LC_MESSAGES" / f"{data['id']}.po"
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("wb") as handle:
            write_po(handle, catalog)
    return path


# -- driving the pages with a test client -------------------------------------------------

def field(html: str, name: str) -> str:
    """The value of a hidden form field in a page."""
    import re

    match = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert match, f"no field {name!r} in the page"
    return match.group(1)


def main_text(html: str) -> str:
    """The page's <main> element, for readable assertions."""
    return html[html.find("<main"):html.find("</main>")]


class Respondent:
    """One browser (a test client with its cookies) answering one instrument page by page."""

    def __init__(self, client, tokens, instrument_id: str = "local-voice", prefix: str = "") -> None:
        self.client = client
        self.tokens = tokens
        self.instrument_id = instrument_id
        self.prefix = prefix
        self.page = None

    @property
    def csrf(self) -> str:
        return field(self.page.text, "csrf_token")

    def url(self, page: str = "") -> str:
        return f"{self.prefix}/s/{self.instrument_id}" + (f"/{page}" if page else "")

    def start(self, language: str = "en", **query):
        self.page = self.client.get(self.url(), params=query)
        assert self.page.status_code == 200, self.page.text
        self.page = self.client.post(self.page.url, data={
            "csrf_token": self.csrf, "nonce": field(self.page.text, "nonce"), "language": language})
        return self.page

    def answer(self, question: str, value=None, *, action: str = "continue", **fields):
        data = {"csrf_token": self.csrf, "form_id": field(self.page.text, "form_id"), "action": action, **fields}
        if value is not None:
            data["answer"] = value
        self.page = self.client.post(f"{self.prefix}/s/{self.instrument_id}/q/{question}", data=data,
                                     params=dict(self.page.url.params))
        return self.page

    def get(self, url: str, **kwargs):
        self.page = self.client.get(url, **kwargs)
        return self.page

    @property
    def response_id(self) -> str:
        from rightsaware_web.session import COOKIE

        raw = self.client.cookies.get(COOKIE)
        assert raw, "no session cookie"
        return self.tokens.load_session(raw, max_age=3600)["r"][self.instrument_id]

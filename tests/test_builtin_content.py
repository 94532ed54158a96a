"""Tests of the built-in content itself: instruments, catalogs, topics and the referral directory.

These read the data files directly (tomllib and Babel's PO reader), so they check the content
whatever the loader and engine do: names and references, consent gating, the legal metadata
of every rights item, the benchmark wording, complete council-area lists, complete and
correctly headed Welsh and Gaelic catalogs, answers that echo the verb of each question, SMS
lengths, and a directory of real organisations with https websites and known topics.
"""

from __future__ import annotations

import math
import re
import tomllib
import unicodedata
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po

DATA = Path(__file__).resolve().parents[1] / "src" / "rightsaware" / "data"
INSTRUMENT_FILES = sorted((DATA / "instruments").glob("*.toml"))
BUILTIN_IDS = {"rights-wales", "rights-scotland"}
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
CONSENT_GATE = "${consent} = 'yes'"
INFO_GATE = "${info_consent} = 'yes'"
SHARED_NAMES = {"consent", "nation", "local_authority", "age_band", "rural_urban", "influence_decisions",
                "info_consent", "contact_consent"}
MODULES = {"consent", "where_who", "benchmark", "rights_awareness", "taking_part", "blockages", "impact",
           "equality", "referral_consent"}
JURISDICTIONS = {"wales", "scotland", "uk"}
TOPIC_IDS = {"co-production", "participation", "participation-request", "community-development",
             "care-and-support", "complaints", "advocacy", "advice", "language-rights", "equality",
             "human-rights", "children", "older-people", "disability"}
BENCHMARK_STATEMENT = '"I can influence decisions affecting my local area."'

WALES_AREAS = {
    "Blaenau Gwent", "Bridgend", "Caerphilly", "Cardiff", "Carmarthenshire", "Ceredigion", "Conwy",
    "Denbighshire", "Flintshire", "Gwynedd", "Isle of Anglesey", "Merthyr Tydfil", "Monmouthshire",
    "Neath Port Talbot", "Newport", "Pembrokeshire", "Powys", "Rhondda Cynon Taf", "Swansea", "Torfaen",
    "Vale of Glamorgan", "Wrexham",
}
WELSH_AREA_NAMES = {  # statutory Welsh forms that differ from the English
    "Bridgend": "Pen-y-bont ar Ogwr", "Caerphilly": "Caerffili", "Cardiff": "Caerdydd",
    "Carmarthenshire": "Sir Gaerfyrddin", "Denbighshire": "Sir Ddinbych", "Flintshire": "Sir y Fflint",
    "Isle of Anglesey": "Ynys Môn", "Merthyr Tydfil": "Merthyr Tudful", "Monmouthshire": "Sir Fynwy",
    "Neath Port Talbot": "Castell-nedd Port Talbot", "Newport": "Casnewydd", "Pembrokeshire": "Sir Benfro",
    "Swansea": "Abertawe", "Torfaen": "Tor-faen", "Vale of Glamorgan": "Bro Morgannwg", "Wrexham": "Wrecsam",
}
SCOTLAND_AREAS = {
    "Aberdeen City", "Aberdeenshire", "Angus", "Argyll and Bute", "City of Edinburgh", "Clackmannanshire",
    "Dumfries and Galloway", "Dundee City", "East Ayrshire", "East Dunbartonshire", "East Lothian",
    "East Renfrewshire", "Falkirk", "Fife", "Glasgow City", "Highland", "Inverclyde", "Midlothian", "Moray",
    "Na h-Eileanan Siar", "North Ayrshire", "North Lanarkshire", "Orkney Islands", "Perth and Kinross",
    "Renfrewshire", "Scottish Borders", "Shetland Islands", "South Ayrshire", "South Lanarkshire", "Stirling",
    "West Dunbartonshire", "West Lothian",
}
REQUIRED_RIGHTS = {
    "rights-wales": {"voice-and-control", "co-production", "advocacy", "public-participation-strategy",
                     "involvement", "welsh-language-services", "welsh-language-complaint", "uncrc",
                     "ombudsman-complaint"},
    "rights-scotland": {"participation-request", "asset-transfer", "local-place-plan", "self-directed-support",
                        "independent-advocacy", "uncrc", "gaelic-language-plan", "ombudsman-complaint"},
}
NPLURALS = {"en": 2, "cy": 6, "gd": 4}
# Unaccented spellings that betray stripped accents (briefs/i18n.md §4.4).
STRIPPED = {"cy": re.compile(r"\b(siwr|grwp|hyn oed|Mon|ffon|Gaidhlig)\b"),
            "gd": re.compile(r"\b(Gaidhlig|coraichean|aite|Alba na|Cuimrigh na|pairt)\b")}
# The verb a yes/no question starts with decides its answer words (briefs/domain.md §4.3).
ECHO = {
    "cy": {"Oeddech chi'n gwybod": ("Oeddwn", "Nac oeddwn"), "Ydych chi wedi clywed": ("Ydw", "Nac ydw"),
           "Fyddech chi'n gwybod": ("Byddwn", "Na fyddwn"), "Ydych chi'n": ("Ydw", "Nac ydw"),
           "Oes gennych chi": ("Oes", "Nac oes"), "Hoffech chi": ("Hoffwn", "Na hoffwn")},
    "gd": {"An robh fios agaibh": ("Bha", "Cha robh"), "An cuala sibh": ("Chuala", "Cha chuala"),
           "Am biodh fios agaibh": ("Bhiodh", "Cha bhiodh"), "A bheil": ("Tha", "Chan eil"),
           "Am bu toil leibh": ("Bu toil", "Cha bu toil")},
}
GSM7 = set("@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZ"
           "ÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà")
GSM7_EXTENDED = set("^{}\\[~]|€\f")
# Lists longer than an SMS can carry: the SMS channel must page them or take the name as text.
SMS_LONG_LISTS = {"local_authority"}


def load(path: Path) -> dict:
    return tomllib.loads(path.read_text(encoding="utf-8"))


INSTRUMENTS = {path.stem: load(path) for path in INSTRUMENT_FILES}
TOPICS = load(DATA / "topics.toml")["topics"]
ORGANISATIONS = load(DATA / "referrals.toml")["organisations"]


def list_name(question: dict) -> str | None:
    kind, _, rest = question["type"].partition(" ")
    return rest if kind in ("select_one", "select_multiple") else None


def questions_by_name(data: dict) -> dict[str, dict]:
    return {q["name"]: q for q in data["questions"]}


def top_level_or(expression: str) -> bool:
    """True if ``expression`` has an ``or`` outside parentheses and quotes."""
    depth, quote, i = 0, None, 0
    while i < len(expression):
        char = expression[i]
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
        elif depth == 0 and re.match(r"\bor\b", expression[i:]) and (i == 0 or not expression[i - 1].isalnum()):
            return True
        i += 1
    return False


def gated(expression: str | None, gate: str) -> bool:
    """``expression`` is ``gate`` or ``gate and …`` with no top-level ``or`` escaping the gate."""
    if expression is None:
        return False
    expression = expression.strip()
    if expression == gate:
        return True
    return expression.startswith(gate + " and ") and not top_level_or(expression[len(gate) + 5:])


def expected_messages(data: dict) -> set[tuple[str, str]]:
    """(msgctxt, msgid) of every translatable string, by the fixed msgctxt conventions."""
    iid = data["id"]
    found = {(f"{iid}:title", data["title"]), (f"{iid}:description", data["description"])}
    for q in data["questions"]:
        for field in ("label", "hint", "sms_label", "constraint_message"):
            if field in q:
                found.add((f"{iid}:{q['name']}:{field}", q[field]))
        if list_name(q):
            for choice in data["choices"][list_name(q)]:
                for field in ("label", "sms_label"):
                    if field in choice:
                        found.add((f"{iid}:{q['name']}:{choice['name']}:{field}", choice[field]))
    return found


def catalog(iid: str, language: str | None):
    folder = DATA / "instruments" / iid / "locales"
    path = folder / f"{iid}.pot" if language is None else folder / language / "LC_MESSAGES" / f"{iid}.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language, domain=iid), path.read_text(encoding="utf-8")


def translations(iid: str, language: str) -> dict[tuple[str, str], str]:
    cat, _text = catalog(iid, language)
    return {(m.context, m.id): m.string for m in cat if m.id}


def sms_text(data: dict, tr: dict[tuple[str, str], str], question: dict) -> tuple[str, str]:
    """(question part, whole message) as SMS sends it: wording, then "1 … 2 …" answers."""
    iid, name = data["id"], question["name"]

    def text(context: str, english: str) -> str:
        return tr.get((context, english)) or english

    field = "sms_label" if "sms_label" in question else "label"
    head = text(f"{iid}:{name}:{field}", question[field])
    parts = [head]
    if list_name(question):
        for number, choice in enumerate(data["choices"][list_name(question)], start=1):
            field = "sms_label" if "sms_label" in choice else "label"
            code = choice["name"]
            parts.append(f"{number} " + text(f"{iid}:{name}:{code}:{field}", choice[field]))
    return head, " ".join(parts)


def ucs2_segments(text: str) -> int:
    units = len(text.encode("utf-16-le")) // 2
    return 1 if units <= 70 else math.ceil(units / 67)


def sms_segments(text: str) -> int:
    """Segments with the encoding a phone would use: GSM-7 when every character allows it."""
    if all(char in GSM7 or char in GSM7_EXTENDED for char in text):
        septets = sum(2 if char in GSM7_EXTENDED else 1 for char in text)
        return 1 if septets <= 160 else math.ceil(septets / 153)
    return ucs2_segments(text)


def instrument_params():
    return pytest.mark.parametrize("iid", sorted(INSTRUMENTS))


# --- the small counting function is itself right ---------------------------------------------------

def test_segment_counting():
    assert ucs2_segments("ŵ" * 70) == 1
    assert ucs2_segments("ŵ" * 71) == 2
    assert ucs2_segments("ŵ" * 201) == 3
    assert ucs2_segments("ŵ" * 202) == 4
    assert sms_segments("a" * 160) == 1
    assert sms_segments("a" * 161) == 2
    assert sms_segments("à" * 153 * 3) == 3  # lowercase grave vowels are GSM-7
    assert sms_segments("Èirinn") == 1 and sms_segments("È" * 71) == 2  # capitals are not
    assert sms_segments("[" * 80) == 1 and sms_segments("[" * 81) == 2


def test_gate_detection():
    assert gated("${consent} = 'yes'", CONSENT_GATE)
    assert gated("${consent} = 'yes' and (${a} = 'x' or ${b} = 'y')", CONSENT_GATE)
    assert not gated("${consent} = 'yes' and ${a} = 'x' or ${b} = 'y'", CONSENT_GATE)
    assert not gated("${a} = 'x' and ${consent} = 'yes'", CONSENT_GATE)
    assert not gated(None, CONSENT_GATE)
    assert gated("${consent} = 'yes' and ${a} = 'for or'", CONSENT_GATE)


# --- instruments ------------------------------------------------------------------------------------

def test_the_builtin_instruments_exist():
    assert BUILTIN_IDS <= set(INSTRUMENTS)


@instrument_params()
def test_header(iid):
    data = INSTRUMENTS[iid]
    assert data["id"] == iid
    assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", iid)
    assert data["languages"] == ["en", "cy", "gd"]
    assert data["jurisdiction"] in JURISDICTIONS
    assert data["title"].strip() and data["description"].strip() and data["version"].strip()
    assert data["meta"]["source"].strip()


@instrument_params()
def test_question_names_are_unique_and_valid(iid):
    names = [q["name"] for q in INSTRUMENTS[iid]["questions"]]
    assert len(names) == len(set(names)), sorted(n for n in names if names.count(n) > 1)
    for name in names:
        assert re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name), name


@instrument_params()
def test_choice_lists_exist_are_used_and_not_empty(iid):
    data = INSTRUMENTS[iid]
    used = {list_name(q) for q in data["questions"]} - {None}
    assert used <= set(data["choices"]), used - set(data["choices"])
    assert set(data["choices"]) <= used, f"unused lists: {set(data['choices']) - used}"
    for name, choices in data["choices"].items():
        assert choices, name
        codes = [c["name"] for c in choices]
        assert len(codes) == len(set(codes)), name
        for choice in choices:
            assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9_.\-]*", choice["name"]), choice
            assert choice["label"].strip(), choice


@instrument_params()
def test_every_reference_names_a_question(iid):
    data = INSTRUMENTS[iid]
    names = [q["name"] for q in data["questions"]]
    for position, q in enumerate(data["questions"]):
        for field in ("relevant", "constraint"):
            for ref in REFERENCE.findall(q.get(field, "")):
                assert ref in names, f"{q['name']}.{field} refers to unknown ${{{ref}}}"
                if field == "relevant":  # skip logic looks back, never forward
                    assert names.index(ref) < position, f"{q['name']} depends on later question {ref}"
    for rule in data["referrals"]:
        for ref in REFERENCE.findall(rule["when"]):
            assert ref in names, f"referral rule refers to unknown ${{{ref}}}: {rule['when']}"


@instrument_params()
def test_nothing_is_asked_without_consent(iid):
    questions = INSTRUMENTS[iid]["questions"]
    names = [q["name"] for q in questions]
    consent = names.index("consent")
    assert all(q["type"] == "note" for q in questions[:consent]), "only the privacy notice comes before consent"
    assert questions[0]["name"] == "privacy"
    assert questions[consent]["type"] == "select_one consent_options"
    assert "relevant" not in questions[consent]
    for q in questions[consent + 1:]:
        assert gated(q.get("relevant"), CONSENT_GATE), f"{q['name']} is not gated on consent: {q.get('relevant')}"


@instrument_params()
def test_privacy_notice_says_what_why_how_long_and_how_to_withdraw(iid):
    notice = questions_by_name(INSTRUMENTS[iid])["privacy"]
    text = notice["label"].lower()
    for needle in ("we ask about", "we use your answers", "totals", "keep your answers", "delete", "stop"):
        assert needle in text, needle
    assert "stop" in notice["sms_label"].lower() and "deleted" in notice["sms_label"].lower()


@instrument_params()
def test_shared_question_names_exist(iid):
    assert SHARED_NAMES <= set(questions_by_name(INSTRUMENTS[iid]))


@instrument_params()
def test_every_module_is_present(iid):
    modules = {q.get("meta", {}).get("module") for q in INSTRUMENTS[iid]["questions"]}
    assert modules == MODULES


@instrument_params()
def test_special_answer_codes(iid):
    for list_id, choices in INSTRUMENTS[iid]["choices"].items():
        for choice in choices:
            for label, code in (("Don't know", "dont_know"), ("Prefer not to say", "prefer_not_to_say"),
                                ("Not sure", "not_sure")):
                assert (choice["label"] == label) == (choice["name"] == code), (list_id, choice)


@instrument_params()
def test_local_authority_lists_are_complete(iid):
    data = INSTRUMENTS[iid]
    question = questions_by_name(data)["local_authority"]
    labels = [c["label"] for c in data["choices"][list_name(question)]]
    expected = {"rights-wales": WALES_AREAS, "rights-scotland": SCOTLAND_AREAS}[iid]
    assert len(labels) == len(expected) == {"rights-wales": 22, "rights-scotland": 32}[iid]
    assert set(labels) == expected
    nation = {"rights-wales": "wales", "rights-scotland": "scotland"}[iid]
    assert question["relevant"] == f"{CONSENT_GATE} and ${{nation}} = '{nation}'"


@instrument_params()
def test_rights_items_cite_the_law(iid):
    data = INSTRUMENTS[iid]
    items = [q for q in data["questions"] if "right" in q.get("meta", {})]
    assert len(items) >= 8
    rights = [q["meta"]["right"] for q in items]
    assert len(rights) == len(set(rights))
    assert REQUIRED_RIGHTS[iid] <= set(rights), REQUIRED_RIGHTS[iid] - set(rights)
    for q in items:
        meta = q["meta"]
        assert meta["module"] == "rights_awareness"
        assert meta["law"].strip() and meta["section"].strip(), q["name"]
        assert meta["jurisdiction"] in JURISDICTIONS, q["name"]
        assert meta["jurisdiction"] in (data["jurisdiction"], "uk"), q["name"]
        assert q["type"] == "select_one aware", q["name"]
        assert q.get("required", True)
    assert [c["name"] for c in data["choices"]["aware"]] == ["yes", "no", "not_sure"]
    for q in data["questions"]:
        assert all(isinstance(v, str) for v in q.get("meta", {}).values()), q["name"]


@instrument_params()
def test_benchmark_item_uses_the_national_wording(iid):
    data = INSTRUMENTS[iid]
    question = questions_by_name(data)["influence_decisions"]
    assert BENCHMARK_STATEMENT in question["label"]
    assert BENCHMARK_STATEMENT in question["sms_label"]
    meta = question["meta"]
    for key in ("benchmark_source", "benchmark_year", "benchmark_figure", "benchmark_measure"):
        assert meta[key].strip(), key
    scale = data["choices"]["agree_scale"]
    assert [c["name"] for c in scale][:5] == ["strongly_agree", "agree", "neither", "disagree", "strongly_disagree"]
    if iid == "rights-scotland":
        assert "Scottish Household Survey" in meta["benchmark_source"]
        assert (meta["benchmark_year"], meta["benchmark_figure"]) == ("2019", "17.8%")
        assert [c["label"] for c in scale] == ["Strongly agree", "Tend to agree", "Neither agree nor disagree",
                                               "Tend to disagree", "Strongly disagree", "No opinion"]
    if iid == "rights-wales":
        assert "National Survey for Wales" in meta["benchmark_source"]
        assert (meta["benchmark_year"], meta["benchmark_figure"]) == ("2018-19", "19%")


@instrument_params()
def test_taking_part_and_blockage_options(iid):
    data = INSTRUMENTS[iid]
    by_name = questions_by_name(data)
    assert {"online", "in_person", "phone", "paper"} <= {c["name"] for c in data["choices"]["mode"]}
    assert {"online_gains", "online_losses", "listened_to", "told_outcome", "anything_changed"} <= set(by_name)
    barriers = {c["name"] for c in data["choices"]["barriers"]}
    assert {"time", "travel", "digital", "confidence", "not_asked", "language", "caring", "cost", "access"} <= barriers
    for name in ("barriers", "online_gains", "online_losses"):
        assert by_name[name]["type"].startswith("select_multiple")
        assert "nothing" in by_name[name]["constraint"] and by_name[name]["constraint_message"].strip()


@instrument_params()
def test_equality_questions_are_optional_with_prefer_not_to_say(iid):
    data = INSTRUMENTS[iid]
    for q in data["questions"]:
        if q.get("meta", {}).get("module") != "equality" or q["type"] == "note":
            continue
        assert q.get("required") is False, q["name"]
        if q["name"] not in ("speaks_welsh", "speaks_gaelic"):
            assert "prefer_not_to_say" in {c["name"] for c in data["choices"][list_name(q)]}, q["name"]


@instrument_params()
def test_referral_consent_is_two_separate_questions(iid):
    by_name = questions_by_name(INSTRUMENTS[iid])
    assert by_name["info_consent"]["type"] == "select_one yes_no"
    assert by_name["contact_consent"]["type"] == "select_one yes_no"
    assert "${info_consent} = 'yes'" in by_name["contact_consent"]["relevant"]


@instrument_params()
def test_referral_rules(iid):
    data = INSTRUMENTS[iid]
    rules = data["referrals"]
    assert len(rules) >= 8
    lists = {q["name"]: data["choices"].get(list_name(q), []) for q in data["questions"]}
    for rule in rules:
        assert gated(rule["when"], INFO_GATE), f"rule not gated on info_consent: {rule['when']}"
        assert rule["topics"] and set(rule["topics"]) <= TOPIC_IDS, rule["topics"]
        assert rule["note"].strip()
        # every literal compared with an answer is one of that question's codes
        for ref, code in re.findall(r"\$\{(\w+)\}\s*!?=\s*'([^']*)'", rule["when"]):
            assert code in {c["name"] for c in lists[ref]}, (ref, code)
        for ref, code in re.findall(r"selected\(\$\{(\w+)\},\s*'([^']*)'\)", rule["when"]):
            assert code in {c["name"] for c in lists[ref]}, (ref, code)
    for topic in {t for rule in rules for t in rule["topics"]}:
        assert any(topic in org["topics"] and org["jurisdiction"] in (data["jurisdiction"], "uk")
                   for org in ORGANISATIONS), f"no organisation for topic {topic} in {data['jurisdiction']}"


# --- catalogs -----------------------------------------------------------------------------------------

@instrument_params()
def test_template_matches_the_instrument(iid):
    pot, _text = catalog(iid, None)
    assert {(m.context, m.id) for m in pot if m.id} == expected_messages(INSTRUMENTS[iid])


@instrument_params()
@pytest.mark.parametrize("language", ["en", "cy", "gd"])
def test_catalog_complete_and_well_formed(iid, language):
    pot, _ = catalog(iid, None)
    po, text = catalog(iid, language)
    messages = [m for m in po if m.id]
    assert {(m.context, m.id) for m in messages} == {(m.context, m.id) for m in pot if m.id}
    header = re.search(r"Plural-Forms: (.*?)\\n", text.replace('"\n"', ""))
    assert header and header.group(1) == str(get_plural(language))
    assert f"nplurals={NPLURALS[language]};" in header.group(1)
    assert not po.fuzzy and "#, fuzzy" not in text
    for m in messages:
        assert not m.fuzzy, m.context
        assert unicodedata.is_normalized("NFC", m.id)
        if language == "en":
            assert m.string == "", m.context
        else:
            assert m.string and m.string.strip(), f"{language} {m.context} not translated"
            assert unicodedata.is_normalized("NFC", m.string), m.context
            assert not STRIPPED[language].search(m.string), (m.context, m.string)


@instrument_params()
@pytest.mark.parametrize("language", ["cy", "gd"])
def test_yes_and_no_echo_the_verb_of_the_question(iid, language):
    data = INSTRUMENTS[iid]
    tr = translations(iid, language)
    generic = {"Yes", "No", "Ie", "Na", "Aidh", "Seadh"}
    checked = 0
    for q in data["questions"]:
        codes = {c["name"]: c["label"] for c in data["choices"].get(list_name(q) or "", [])}
        if "yes" not in codes or "no" not in codes:
            continue
        yes = tr[(f"{iid}:{q['name']}:yes:label", codes["yes"])]
        no = tr[(f"{iid}:{q['name']}:no:label", codes["no"])]
        assert yes not in generic and no not in generic and yes != no, q["name"]
        label = tr[(f"{iid}:{q['name']}:label", q["label"])]
        sms = tr.get((f"{iid}:{q['name']}:sms_label", q.get("sms_label")), label)
        for start, pair in sorted(ECHO[language].items(), key=lambda item: -len(item[0])):
            if label.startswith(start):
                assert (yes, no) == pair, (q["name"], yes, no)
                assert sms.startswith(start), f"{q['name']}: the SMS wording changes the verb"
                checked += 1
                break
    assert checked >= 8


@instrument_params()
def test_place_names_in_welsh_and_gaelic(iid):
    data = INSTRUMENTS[iid]
    cy, gd = translations(iid, "cy"), translations(iid, "gd")
    question = questions_by_name(data)["local_authority"]
    for choice in data["choices"][list_name(question)]:
        key = (f"{iid}:local_authority:{choice['name']}:label", choice["label"])
        if iid == "rights-wales":
            assert cy[key] == WELSH_AREA_NAMES.get(choice["label"], choice["label"])
            assert gd[key] == choice["label"]  # no Gaelic forms of Welsh areas
        else:
            assert cy[key] == choice["label"]  # no Welsh forms of Scottish areas
            official = {"Highland": "A' Ghàidhealtachd"}
            assert gd[key] == official.get(choice["label"], choice["label"])


@instrument_params()
def test_sms_lengths(iid):
    """Welsh: at most 3 UCS-2 segments (201 characters); English and Gaelic: at most 3 segments."""
    data = INSTRUMENTS[iid]
    tr = {language: translations(iid, language) for language in ("en", "cy", "gd")}
    too_long = []
    for q in data["questions"]:
        for language in ("en", "cy", "gd"):
            head, whole = sms_text(data, tr[language], q)
            segments = ucs2_segments(whole) if language == "cy" else sms_segments(whole)
            if q["name"] in SMS_LONG_LISTS:
                segments = ucs2_segments(head) if language == "cy" else sms_segments(head)
                assert segments == 1, (q["name"], language, head)
            elif segments > 3:
                too_long.append((q["name"], language, len(whole), whole))
    assert not too_long, too_long


# --- topics -------------------------------------------------------------------------------------------

def test_topic_vocabulary():
    ids = [t["id"] for t in TOPICS]
    assert len(ids) == len(set(ids))
    assert set(ids) == TOPIC_IDS
    for topic in TOPICS:
        assert set(topic) == {"id", "label_en", "label_cy", "label_gd",
                              "description_en", "description_cy", "description_gd"}, topic["id"]
        for key, value in topic.items():
            assert value.strip() and unicodedata.is_normalized("NFC", value), (topic["id"], key)
    labels = {t["id"]: t for t in TOPICS}
    assert labels["co-production"]["label_cy"] == "Cydgynhyrchu"
    assert labels["participation"]["label_gd"] == "Com-pàirteachadh"
    assert labels["human-rights"]["label_gd"] == "Còraichean daonna"


# --- referral directory ---------------------------------------------------------------------------------

ORG_REQUIRED = {"id", "name_en", "name_cy", "name_gd", "website", "jurisdiction", "topics",
                "helps_with_en", "helps_with_cy", "helps_with_gd", "confidence"}
ORG_OPTIONAL = {"website_cy", "local_authorities", "notes"}


def test_directory_size_and_ids():
    ids = [org["id"] for org in ORGANISATIONS]
    assert len(ids) >= 35
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    for org_id in ids:
        assert re.fullmatch(r"[a-z0-9][a-z0-9-]*", org_id), org_id
    assert {org["jurisdiction"] for org in ORGANISATIONS} == JURISDICTIONS


@pytest.mark.parametrize("org", ORGANISATIONS, ids=lambda org: org["id"])
def test_organisation(org):
    assert ORG_REQUIRED <= set(org) <= ORG_REQUIRED | ORG_OPTIONAL, set(org) ^ ORG_REQUIRED
    assert org["name_en"].strip()
    assert org["jurisdiction"] in JURISDICTIONS
    assert org["topics"] and set(org["topics"]) <= TOPIC_IDS, org["topics"]
    assert len(org["topics"]) == len(set(org["topics"]))
    assert org["confidence"] in {"A", "B"}
    if org["confidence"] == "B":
        assert org.get("notes", "").strip(), "say what is unconfirmed"
    for key in ("website", "website_cy"):
        url = org.get(key, "")
        if url:
            parts = urlsplit(url)
            assert parts.scheme == "https" and "." in parts.netloc and " " not in url, url
    for key in ("helps_with_en", "helps_with_cy", "helps_with_gd"):
        assert org[key].strip() and "\n" not in org[key], key
    for key, value in org.items():
        if isinstance(value, str):
            assert unicodedata.is_normalized("NFC", value), key
            assert not re.search(r"\b0\d{3,4}[ -]?\d{3}[ -]?\d{3,4}\b", value), "no phone numbers"
    codes = {c["name"] for data in INSTRUMENTS.values() for q in data["questions"]
             if q["name"] == "local_authority" for c in data["choices"][list_name(q)]}
    assert set(org.get("local_authorities", [])) <= codes


def test_official_names_keep_their_accents():
    by_id = {org["id"]: org for org in ORGANISATIONS}
    assert by_id["opcw"]["name_cy"] == "Comisiynydd Pobl Hŷn Cymru"
    assert by_id["wlc"]["name_cy"] == "Comisiynydd y Gymraeg"
    assert by_id["shrc"]["name_gd"] == "Coimisean Còraichean Daonna na h-Alba"
    assert by_id["bng"]["name_gd"] == by_id["bng"]["name_en"] == "Bòrd na Gàidhlig"
    assert by_id["ehrc"]["name_cy"] == "Comisiwn Cydraddoldeb a Hawliau Dynol"


def test_every_topic_has_an_organisation_in_each_nation():
    for nation in ("wales", "scotland"):
        for topic in TOPIC_IDS - ({"participation-request"} if nation == "wales" else set()):
            assert any(topic in org["topics"] and org["jurisdiction"] in (nation, "uk") for org in ORGANISATIONS), \
                (nation, topic)

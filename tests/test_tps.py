"""Polling stations: row-by-row CSV validation, ``suara tps import``, typo-tolerant and
nearest look-up."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

import nlu

from bot.storage.models import PollingStationRow
from bot.settings import Settings
from dbread import rows
from knowledge import TpsFileError, TpsIndex, haversine_km, parse_csv

DEMO = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "tps_demo.csv"
HEADER = ["province_code", "province", "regency_code", "regency", "district_code", "district", "village_code",
          "village", "tps", "address", "latitude", "longitude", "notes"]
SUARA = [sys.executable, "-m", "bot.cli"]

# (column, bad value, the reason the voter-facing report must give)
BAD = [
    ("latitude", "abc", "latitude 'abc' is not a number"),
    ("latitude", "48.85", "latitude 48.85 is outside Indonesia (-11.5 to 6.5)"),
    ("longitude", "", "longitude is empty"),
    ("tps", "0", "tps '0' is not a number from 1 to 999"),
    ("tps", "x1", "tps 'x1' is not a number from 1 to 999"),
    ("village_code", "32.73.07", "village_code '32.73.07' is not a Kemendagri code with 4 part(s)"),
    ("district_code", "33.01.02", "code '33.01.02' does not lie inside '32.73'"),
    ("village", "", "village is empty"),
    ("address", "J" * 201, "address is longer than 200 characters"),
    ("province_code", "3", "province_code '3' is not a Kemendagri code with 1 part(s)"),
]


def _row(n: int) -> dict[str, str]:
    district = n // 100 + 1
    village = n // 10 % 10 + 1
    return {
        "province_code": "32", "province": "Jawa Barat", "regency_code": "32.73", "regency": "Kota Bandung",
        "district_code": f"32.73.{district:02d}", "district": f"Kecamatan {district}",
        "village_code": f"32.73.{district:02d}.{1000 + village}", "village": f"Desa {district}-{village}",
        "tps": str(n % 10 + 1), "address": f"Jl. Contoh No. {n}", "latitude": f"{-6.9 + n / 10000:.5f}",
        "longitude": f"{107.6 + n / 10000:.5f}", "notes": "synthetic test data",
    }


def _csv(rows_: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, HEADER, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows_)
    return out.getvalue()


def _thousand_with_ten_bad() -> tuple[str, dict[int, str]]:
    data = [_row(n) for n in range(1000)]
    expected: dict[int, str] = {}
    for i, (column, value, reason) in enumerate(BAD):
        index = 37 + i * 97
        data[index][column] = value
        expected[index + 2] = reason  # +1 for the header, +1 for counting from 1
    return _csv(data), expected


def _import(file: Path, settings: Settings) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SUARA, "tps", "import", str(file)], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "SUARA_DATABASE_URL": settings.database_url})


async def test_import_of_1000_rows_with_10_bad_imports_990_and_reports_each_bad_row(
    settings: Settings, tmp_path: Path
) -> None:
    text, expected = _thousand_with_ten_bad()
    file = tmp_path / "tps.csv"
    file.write_text(text, encoding="utf-8")
    result = _import(file, settings)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    reported = [line for line in result.stdout.splitlines() if line.startswith(str(file))]
    assert reported == [f"{file}:{row}: {reason}" for row, reason in expected.items()]
    assert "imported 990 polling stations, rejected 10 rows" in result.stdout
    assert len(await rows(settings, PollingStationRow)) == 990

    # Importing again updates the same stations instead of adding copies.
    assert _import(file, settings).returncode == 1
    assert len(await rows(settings, PollingStationRow)) == 990


async def test_a_file_without_the_columns_is_refused_whole_and_changes_nothing(
    settings: Settings, tmp_path: Path
) -> None:
    file = tmp_path / "wrong.csv"
    file.write_text("name,lat,lon\nTPS 1,-6.9,107.6\n", encoding="utf-8")
    result = _import(file, settings)
    assert result.returncode == 2
    assert result.stderr.startswith(f"suara: {file}: missing column(s): province_code")
    assert "nothing was imported" in result.stderr and "Traceback" not in result.stderr
    assert await rows(settings, PollingStationRow) == []
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\xff\xfe\x00\x01garbage")
    result = _import(binary, settings)
    assert result.returncode == 2 and "not UTF-8 text" in result.stderr and "Traceback" not in result.stderr


def test_duplicates_within_a_file_are_rejected_with_the_first_row() -> None:
    parsed = parse_csv(_csv([_row(1), _row(2), _row(1)]))
    assert len(parsed.stations) == 2
    assert [(r.row, r.reason) for r in parsed.rejected] == [(4, "TPS 2 of 32.73.01.1001 is already on row 2")]


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(TpsFileError, match="empty"):
        parse_csv("# only a comment\n")


def test_the_demo_file_is_marked_synthetic_and_valid() -> None:
    text = DEMO.read_text(encoding="utf-8")
    assert "SYNTHETIC DEMO DATA" in text.splitlines()[0]
    parsed = parse_csv(text)
    assert parsed.rejected == () and len(parsed.stations) == 60
    assert all(s.notes == "synthetic demo data" for s in parsed.stations)


@pytest.fixture(scope="module")
def index() -> TpsIndex:
    return TpsIndex(parse_csv(DEMO.read_text(encoding="utf-8")).stations)


@pytest.mark.parametrize(
    ("said", "place"),
    [("Sukagalih", "Sukagalih"), ("sukagalh", "Sukagalih"), ("kelurahan Lebak Siliwangi", "Lebak Siliwangi"),
     ("lebak siliwagi", "Lebak Siliwangi"), ("saya tinggal di ciumbuleit", "Ciumbuleuit"), ("kec. coblong", "Coblong"),
     ("GEGERKALONG", "Gegerkalong")],
)
def test_villages_and_districts_are_found_despite_typos(index: TpsIndex, said: str, place: str) -> None:
    assert index.place_name(said) == place


@pytest.mark.parametrize("said", ["jam berapa tps buka", "Surabaya", "xyz", ""])
def test_unknown_places_are_not_guessed(index: TpsIndex, said: str) -> None:
    assert index.place_name(said) is None


def test_a_region_nlu_recognised_wins_over_fuzzy_words(index: TpsIndex) -> None:
    # "kec sukajadi di bandung": the words alone could match several places; nlu's code is exact.
    codes = [e.value for e in nlu.parse("tps di kec sukajadi kota bdg").entities if e.entity == "region"]
    assert "32.73.07" in codes
    assert index.place_name("tps di kec sukajadi kota bdg", sorted(codes, key=len, reverse=True)) == "Sukajadi"
    assert index.place_name("sukagalh", ["35.78"]) == "Sukagalih"  # a code outside the table: fuzzy decides


def test_a_village_lists_its_stations_and_a_district_all_of_its_villages(index: TpsIndex) -> None:
    assert [s.number for s in index.by_place("sukagalh")] == [1, 2, 3]
    assert {s.village for s in index.by_place("Sukajadi")} == {"Sukabungah", "Sukagalih", "Sukawarna", "Cipedes",
                                                               "Pasteur"}


def test_nearest_three_with_distances_and_map_links(index: TpsIndex) -> None:
    here = (-6.8855, 107.6125)
    nearest = index.nearest(*here)
    assert len(nearest) == 3
    assert [n.km for n in nearest] == sorted(n.km for n in nearest)
    everything = sorted(haversine_km(here, (s.latitude, s.longitude)) for s in index.stations)
    assert [round(n.km, 6) for n in nearest] == [round(d, 6) for d in everything[:3]]
    first = nearest[0].station
    assert first.map_link == f"https://www.openstreetmap.org/?mlat={first.latitude:.5f}&mlon={first.longitude:.5f}"


def test_haversine_matches_a_known_distance() -> None:
    # Jakarta (Monas) to Bandung (Gedung Sate): about 118 km in a straight line.
    assert 115 < haversine_km((-6.1754, 106.8272), (-6.9025, 107.6188)) < 121

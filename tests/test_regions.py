"""Region matching as voters write places: abbreviations, misspellings, ambiguity, time zones."""

from __future__ import annotations

import pytest

from nlu.regions import find_regions, province_timezone, region_by_code, resolve, timezone_of


def _names(text: str) -> list[list[str]]:
    return [[c.name for c in m.candidates] for m in find_regions(text)]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("ktp sy kukar", "Kabupaten Kutai Kartanegara"),
        ("tps sy di smd", "Kota Samarinda"),
        ("kerja di bpn", "Kota Balikpapan"),
        ("aku di jaksel", "Kota Administrasi Jakarta Selatan"),
        ("domisili tangsel", "Kota Tangerang Selatan"),
        ("kuliah di jogja", "Daerah Istimewa Yogyakarta"),
        ("pemilih pemula di Smrinda", "Kota Samarinda"),
        ("ktp balikpapn", "Kota Balikpapan"),
        # misspellings that are in no alias table: typo tolerance proper
        ("asal dari samarindaa", "Kota Samarinda"),
        ("orang kutai kartanegra", "Kabupaten Kutai Kartanegara"),
        ("tinggal di palangkaraya", "Kota Palangkaraya"),
        ("ktp BANJARMASINN", "Kota Banjarmasin"),
    ],
)
def test_abbreviations_and_misspellings_find_the_official_region(text: str, name: str) -> None:
    assert _names(text) == [[name]]


def test_bekasi_alone_is_ambiguous_and_kota_or_kab_decides() -> None:
    (bekasi,) = find_regions("saya tinggal di bekasi")
    assert bekasi.ambiguous
    assert {c.name for c in bekasi.candidates} == {"Kota Bekasi", "Kabupaten Bekasi"}
    assert _names("ktp kab bekasi") == [["Kabupaten Bekasi"]]
    assert _names("ktp kota bekasi") == [["Kota Bekasi"]]
    (kab,) = find_regions("ktp kab. bekasi")
    assert kab.text == "kab. bekasi" and kab.candidates[0].code == "32.16"


def test_ordinary_words_are_not_places() -> None:
    assert find_regions("sampah numpuk, pengen serang balik, malam ini hujan") == ()
    assert _names("ktp saya di serang") == [["Kabupaten Serang", "Kota Serang"]]


def test_codes_are_official_kemendagri_codes() -> None:
    (mention,) = find_regions("kukar")
    region = mention.candidates[0]
    assert (region.code, region.kind, region.province) == ("64.02", "kabupaten", "Kalimantan Timur")
    assert region_by_code("64.72").name == "Kota Samarinda"  # type: ignore[union-attr]
    assert region_by_code("99.99") is None


@pytest.mark.parametrize(
    ("province", "zone"),
    [("Jawa Barat", "WIB"), ("Kalimantan Barat", "WIB"), ("Kalimantan Timur", "WITA"), ("Bali", "WITA"),
     ("Sulawesi Selatan", "WITA"), ("Maluku", "WIT"), ("Papua Pegunungan", "WIT")],
)
def test_every_region_has_the_time_zone_of_its_province(province: str, zone: str) -> None:
    assert province_timezone(province) == zone


def test_time_zone_by_region_code_in_wib_wita_and_wit() -> None:
    assert timezone_of("31.74") == "WIB"  # Jakarta Selatan
    assert timezone_of("64.02") == "WITA"  # Kutai Kartanegara
    assert timezone_of("91.71") == "WIT"  # Kota Jayapura
    assert timezone_of("81.71") == "WIT"  # Kota Ambon
    assert timezone_of("not a code") is None


def test_districts_and_villages_are_found_after_a_cue_or_by_resolve() -> None:
    assert _names("kec. cibinong") == [["Cibinong"]]
    assert [r.code for r in resolve("cibinong")] == ["32.01.01"]
    villages = resolve("Sukamaju", within="32.01")
    assert villages and all(r.level == 4 and r.code.startswith("32.01.") for r in villages)
    assert resolve("") == ()

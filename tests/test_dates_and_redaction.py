"""Dates, TPS numbers, and what redaction masks and leaves alone."""

from __future__ import annotations

from datetime import date

import pytest

import nlu
from nlu.dates import find_dates, find_tps_numbers
from nlu.redact import redact

TODAY = date(2026, 11, 22)
VOTING_DAY = date(2026, 11, 27)


def _dates(text: str) -> list[str]:
    return [e.value for e in find_dates(text, TODAY, VOTING_DAY)]


def test_relative_dates_follow_the_given_today() -> None:
    assert _dates("besok tps buka jam berapa") == ["2026-11-23"]
    assert _dates("lusa") == ["2026-11-24"]
    assert [e.value for e in find_dates("besok", date(2026, 12, 31))] == ["2027-01-01"]


def test_calendar_dates_take_the_next_such_day() -> None:
    assert _dates("nyoblos tanggal 27 November kan?") == ["2026-11-27"]
    assert _dates("27 nov") == ["2026-11-27"]
    assert _dates("on November 27th") == ["2026-11-27"]
    assert _dates("10 februari") == ["2027-02-10"]  # already past this year
    assert _dates("31 februari") == []


def test_h_minus_one_counts_from_voting_day() -> None:
    assert _dates("H-1 masih bisa pindah tps?") == ["2026-11-26"]
    assert _dates("pas hari H") == ["2026-11-27"]
    assert find_dates("H-1", TODAY) == ()  # without a voting day there is nothing to count from


def test_tps_numbers() -> None:
    assert [e.value for e in find_tps_numbers("TPS 12 atau tps no 5, TPS nomor 007")] == ["12", "5", "7"]
    (tps,) = find_tps_numbers("sy di TPS 12")
    assert (tps.entity, tps.start, tps.end, tps.extractor) == ("tps", 6, 12, "rule:tps_number")


def test_parse_fills_rasa_shaped_entities() -> None:
    result = nlu.parse("ktp kukar, tps 3, besok", today=TODAY)
    assert [(e.entity, e.value) for e in result.entities] == [("region", "64.02"), ("tps", "3"), ("date", "2026-11-23")]
    region = result.entities[0]
    assert result.text[region.start:region.end] == "kukar" and region.extractor == "alias"


@pytest.mark.parametrize(
    "text",
    ["hp 0812-3456-7890", "wa +62 812 3456 7890", "0812.3456.7890", "+6281234567890", "62-812-3456-7890",
     "telp (021) 5551234", "nohp08123456789", "nik 3374012345678901", "NIK: 3374 0123 4567 8901",
     "NIK3374-0123-4567-8901ya", "email budi.s@contoh.co.id"],
)
def test_identifiers_are_masked_in_any_format(text: str) -> None:
    masked = redact(text)
    assert "[NIK]" in masked or "[TELEPON]" in masked or "[EMAIL]" in masked
    assert "3456" not in masked and "0123" not in masked and "budi" not in masked


@pytest.mark.parametrize(
    "text",
    ["TPS 12 di RT 003/RW 005", "tps no 5", "tanggal 27-11-2026 jam 07.00-13.00", "27/11/2026",
     "Rp 1.500.000.000 dana desa", "Rp1500000000", "beras 15.000 per kg", "tahun 2024 dan 2029"],
)
def test_tps_numbers_dates_and_money_are_left_alone(text: str) -> None:
    assert redact(text) == text

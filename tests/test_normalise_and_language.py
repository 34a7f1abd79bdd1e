"""Normalisation for matching (the original text is kept) and the reply language."""

from __future__ import annotations

import pytest

import nlu
from nlu.language import other_language


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("sy mo nyoblos tp ktp kukar, gmn?", "saya mau mencoblos tapi ktp kukar bagaimana"),
        ("srt suara nya rusak", "surat suara nya rusak"),  # a several-word slang key
        ("adik sy tuna netra", "adik saya tunanetra"),
        ("rmhnya jauh, gmnkah caranya", "rumahnya jauh bagaimanakah caranya"),  # suffix on a slang stem
        ("bukunya ketinggalan", "bukunya ketinggalan"),  # "bu" + "ku" is not "ibuku"
        ("pencoblosn tgl brp?", "pencoblosan tanggal berapa"),
        ("e-KTP sy ilang 😭😭", "ektp saya hilang"),
        ("antriii panjang bangeeet", "antre panjang sekali"),
    ],
)
def test_slang_phrases_and_suffixes_normalise_for_matching(text: str, normalised: str) -> None:
    result = nlu.parse(text)
    assert result.normalised == normalised
    assert result.text == text  # the original is what is displayed and (redacted) stored


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("tps dmn", "id"),
        ("thx infonya min", "id"),
        ("harga bbm jgn naik lg pliss", "id"),
        ("Guys ini first time aku nyoblos, nanti di tps ngapain aja sih?", "id"),
        ("where is my tps", "en"),
        ("health insurance claims take forever here", "en"),
        ("my ktp is from medan, can i vote in bandung?", "en"),
    ],
)
def test_language_on_short_and_code_mixed_messages(text: str, language: str) -> None:
    assert nlu.parse(text).language == language


def test_unknown_words_keep_the_default_language() -> None:
    assert nlu.parse("ok", default_language="en").language == "en"
    assert nlu.parse("ok", default_language="id").language == "id"


def test_other_languages_are_answered_in_indonesian_and_recorded() -> None:
    result = nlu.parse("aku arep nyoblos nang ndi")
    assert result.language == "id"
    assert [(s.name, s.value, s.source) for s in result.signals] == [("language", "jv", "rule:language")]
    sundanese = "abdi teu acan terang kumaha milih"
    assert other_language(sundanese, nlu.normalise(sundanese)) == "su"
    assert nlu.parse("我想投票").language == "id"
    assert nlu.parse("我想投票").signals[0].value == "other"
    assert nlu.parse("saya mau tanya tps di mana ya").signals == ()

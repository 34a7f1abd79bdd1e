"""The one yes/no reader every yes/no question uses (consent and flow steps): a table of typed
answers in Indonesian, regional and informal forms and English, with the messages that only look
like answers ("ya, tps saya dimana?" asks something)."""

from __future__ import annotations

import pytest

from nlu.normalise import normalise
from nlu.yes_no import read_yes_no

YES = [
    "ya", "iya", "iyaa", "y", "ya boleh", "boleh", "boleh kok", "setuju", "ok setuju", "oke setuju", "saya setuju",
    "ya setuju", "iya boleh", "yes", "yes you can keep my data", "yes please", "sure", "ok", "oke", "okey", "sip",
    "siap", "gas", "gaskeun", "yoi", "iyo", "nggih", "enggeh", "inggih", "monggo", "silakan", "tentu", "tentu saja",
    "betul", "benar", "mau", "agree", "i agree", "of course", "okay fine", "tidak apa-apa", "gpp", "ga papa",
    "gak apa2", "nggak masalah", "no problem", "ok kak", "iya min", "hayuk", "ayo", "lanjut", "boleh banget",
    "setuju 👍", "👍", "yup",
]
NO = [
    "ga", "gak", "nggak", "enggak", "ndak", "tidak", "tdk", "tidak setuju", "ga setuju", "gak setuju", "kagak",
    "ogah", "mboten", "emoh", "jangan", "no", "nope", "no thanks", "no thank you", "i don't agree", "don't",
    "gak mau ah, ga usah simpen2 data sy", "ga usah", "tidak usah", "nggak mau", "ndak mau", "jangan simpan data saya",
    "tidak boleh", "ga boleh", "gak deh", "ga deh makasih", "please don't", "belum mau", "ogah ah", "moh",
]
UNCLEAR = [
    "hmm", "mungkin", "maybe", "entahlah", "nanti dulu", "terserah", "bingung", "ga tau", "not sure", "nanti aja",
]
QUESTIONS = [
    "ya, tps saya dimana?", "ya tps saya dimana", "boleh bawa hp ke bilik ga?", "iya, kapan pemilunya?",
    "ok jadi data apa saja yang disimpan?", "yes, where do i vote?", "setuju tapi untuk apa datanya?",
    "boleh tanya, jam berapa tps buka", "tidak, saya mau tanya cara mencoblos",
]


def _read(message: str, *, strict: bool) -> str | None:
    return read_yes_no(message, normalise(message), strict=strict)


def test_the_table_is_large_enough() -> None:
    assert len(YES) + len(NO) + len(UNCLEAR) + len(QUESTIONS) >= 60


@pytest.mark.parametrize("message", YES)
def test_yes(message: str) -> None:
    assert _read(message, strict=True) == "yes"
    assert _read(message, strict=False) == "yes"


@pytest.mark.parametrize("message", NO)
def test_no(message: str) -> None:
    assert _read(message, strict=True) == "no"
    assert _read(message, strict=False) == "no"


@pytest.mark.parametrize("message", UNCLEAR)
def test_hesitation_is_not_an_answer(message: str) -> None:
    assert _read(message, strict=True) in ("unsure", "unclear")
    assert _read(message, strict=False) in ("unsure", "unclear")


@pytest.mark.parametrize("message", QUESTIONS)
def test_a_question_that_starts_with_ya_is_not_consent(message: str) -> None:
    assert _read(message, strict=True) is None


def test_a_flow_answer_may_go_on_talking() -> None:
    """Outside consent a yes that goes on ("oke. iya mau tau yg sah gmn") still answers a flow step."""
    assert _read("oke. iya mau tau yg sah gmn", strict=False) == "yes"
    assert _read("oke. iya mau tau yg sah gmn", strict=True) is None
    assert _read("eh sy mau lapor pelanggaran, ada yg bagi2 sembako", strict=False) is None  # another request

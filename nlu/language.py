"""Indonesian-or-English guess for short, often code-mixed, voter messages.

A placeholder that counts function words from two small lists; ties and unknown languages fall
back to the deployment's default language (Indonesian first).
"""

from __future__ import annotations

from .types import Language

_INDONESIAN = frozenset(
    """
    saya aku kamu anda dia kami kita mereka yang dan di ke dari untuk dengan ini itu ada tidak
    bukan sudah belum akan bisa mau apa siapa bagaimana kapan mana berapa kenapa mengapa tolong
    halo hai terima kasih selamat pagi siang sore malam jam buka tutup cara mencoblos memilih
    pemilih dimana apakah kalau tapi juga saja sama boleh harus perlu bagaimana dong ya kok sih
    """.split()
)
_ENGLISH = frozenset(
    """
    i you he she we they the a an and or is are was were be do does did can could will would
    what where when who why how which please thanks thank hello hi my your vote voting polling
    station register registered open close time help need want of to in on at for with not
    """.split()
)


def detect_language(normalised: str, default: Language = "id") -> Language:
    """Guess the language of an already-normalised message."""
    words = normalised.split()
    indonesian = sum(word in _INDONESIAN for word in words)
    english = sum(word in _ENGLISH for word in words)
    if english > indonesian:
        return "en"
    if indonesian > english:
        return "id"
    return default

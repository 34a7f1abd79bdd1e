"""Indonesian-or-English guess for short, often code-mixed, voter messages.

Counts words from small lexicons over the *normalised* text (so slang already reads as standard
Indonesian): Indonesian function words plus every standard form in ``slang.tsv``, English
function and common chat words, and the Indonesian suffix ``-nya``. Code-mixed messages follow
the majority ("Guys ini first time aku nyoblos" is Indonesian); ties fall back to the
deployment's default. Javanese, Sundanese and non-Latin scripts are recognised as *other*
languages: the bot answers them in Indonesian, and :func:`other_language` lets the caller
record that.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .normalise import slang_standard_words
from .types import Language

_INDONESIAN = frozenset(
    """
    saya aku kamu anda dia kami kita mereka yang dan di ke dari untuk dengan ini itu ada tidak
    bukan sudah belum akan bisa mau apa siapa bagaimana kapan mana berapa kenapa mengapa tolong
    halo hai terima kasih selamat pagi siang sore malam jam buka tutup cara mencoblos memilih
    pemilih dimana apakah kalau tapi juga saja sama boleh harus perlu dong ya kok sih min kak
    pak bu mas mbak nih deh lagi masih baru sekali banget pemilu tahun hari
    """.split()
)
_ENGLISH = frozenset(
    """
    i you he she we they the a an and or is are was were be been do does did can could will would
    what where when who why how which please thanks thank hello hi my your vote voting polling
    station register registered open close time help need want of to in on at for with not
    here there this that it me our us from about just still any all more too very really so if
    but as by up out no yes get got take have has had am im its dont cant should must may
    election candidate candidates ballot card id address live living work working study moved
    first never before after again also only some every each than then now today tomorrow
    pls plz pliss thx tks ty guys bro sis lol btw asap
    """.split()
)
_OTHER = {
    "jv": frozenset("arep nang ndi piye opo kowe wis durung ora sing karo iki kuwi aku ngerti mboten sampun "
                    "dereng badhe pundi kepiye sopo lan".split()),
    "su": frozenset("abdi teu naon kumaha mah atuh teh bade sareng nuju hoyong acan terang".split()),
}
_MIN_OTHER_WORDS = 2


def detect_language(normalised: str, default: Language = "id") -> Language:
    """Guess the reply language of an already-normalised message: ``"id"`` or ``"en"``."""
    words = normalised.split()
    indonesian = sum(_is_indonesian(word) for word in words)
    english = sum(word in _ENGLISH and not _is_indonesian(word) for word in words)
    if english > indonesian:
        return "en"
    if indonesian > english:
        return "id"
    return default


def other_language(text: str, normalised: str) -> str | None:
    """``"jv"``, ``"su"`` or ``"other"`` (a non-Latin script) when the message is in neither
    Indonesian nor English; ``None`` otherwise."""
    letters = [ch for ch in text if ch.isalpha()]
    if letters and sum(not _latin(ch) for ch in letters) > len(letters) / 2:
        return "other"
    words = normalised.split()
    indonesian = sum(_is_indonesian(w) and not any(w in lex for lex in _OTHER.values()) for w in words)
    for code, lexicon in _OTHER.items():
        count = sum(w in lexicon for w in words)
        if count >= _MIN_OTHER_WORDS and count > indonesian:
            return code
    return None


def _is_indonesian(word: str) -> bool:
    return word in _INDONESIAN or word in _indonesian_lexicon() or (word.endswith("nya") and len(word) > 5)


@lru_cache(maxsize=1)
def _indonesian_lexicon() -> frozenset[str]:
    return frozenset(slang_standard_words()) - _ENGLISH


def _latin(ch: str) -> bool:
    return unicodedata.name(ch, "").startswith("LATIN")

"""What a message does besides asking a question: small talk, a question about whom to vote
for, or a question at all. Rules over the normalised text, so they are explainable and cheap.

None of these infers anything about the voter: asking "which party is best?" is recognised so
the bot can decline neutrally, never stored as a preference.
"""

from __future__ import annotations

import re
import unicodedata

_THANKS = re.compile(r"\b(terima kasih|makasih|trims|tengkyu|thanks?|thank you|thx|matur nuwun|hatur nuhun)\b")
_GREET = re.compile(r"^(halo|hallo|hai|hi|hello|hey|pagi|siang|sore|malam|selamat (pagi|siang|sore|malam)|"
                    r"assalamualaikum|salam|permisi|punten|good (morning|afternoon|evening))\b")
_BYE = re.compile(r"\b(dadah|dah|bye|sampai jumpa|sampai ketemu|see you|goodbye|good bye|pamit|duluan)\b")
_LAUGH = re.compile(r"^((w?k)+w*k*|wk(wk)+|a?(ha){2,}|(he){2,}|(hi){2,}|(xi){2,}|lol|lmao|awok(wok)*|ngakak)+$")
_ACK = frozenset({
    "ok", "oke", "okay", "okey", "okee", "okeh", "sip", "siap", "baik", "baiklah", "mantap", "mantap jiwa", "noted",
    "oke siap", "ok siap", "sip mantap", "cakep", "keren", "good", "nice", "great", "cool", "alright", "paham",
    "oh gitu", "oh begitu", "oh oke", "oh ok", "ya sudah", "yaudah", "iya deh", "oke deh", "ok deh", "sip deh",
})
#: Longest message still read as small talk: "oke terima kasih kak sebentar saya cari namanya" is,
#: a paragraph that ends with "terima kasih" is not.
_MAX_WORDS = 8

_OFFICE = (r"(calon|capres|cawapres|cagub|cawagub|cabup|cawabup|cawalkot|caleg|paslon|pasangan calon|kandidat|"
           r"partai|parpol|gubernur|bupati|wali ?kota|walkot|presiden|wapres|dpr|dprd|candidates?|part(y|ies)|"
           r"president|governor|mayor|legislators?)")
_JUDGING = (r"(paling|terbaik|bagus|jujur|bersih|layak|pantas|cocok|peduli|rekomendasi|saran|sarankan|"
            r"programnya|visi misi|menang|unggul|best|better|honest|recommend|good)")
_CANDIDATE_QUESTION = re.compile(
    rf"\b{_OFFICE}\b.*\b{_JUDGING}\b|\b{_JUDGING}\b.*\b{_OFFICE}\b"
    rf"|\b(harus|sebaiknya|mending|enaknya|baiknya) (pilih|milih|memilih|coblos|nyoblos)\b"
    rf"|\b(pilih|milih|coblos|nyoblos) \w* ?(yang|yg) mana\b|\b{_OFFICE} (mana|apa)\b"
    r"|\bshould i vote\b|\bwho (should|do) i vote\b|\bvote for (who|whom)\b"
    r"|\b(bot|kamu|anda|suara)\b.*\b(dukung|mendukung|memihak|berpihak|support)\b"
)
_QUESTION = re.compile(
    r"\?|\b(apa|apakah|bagaimana|gimana|kapan|dimana|di mana|kemana|ke mana|siapa|berapa|kenapa|mengapa|"
    r"bisakah|bolehkah|caranya|cara|mana|how|what|where|when|why|who|which|can i|is it|are there)\b"
)


def small_talk(text: str, normalised: str, intent: str | None) -> str | None:
    """``"thanks"``, ``"greet"``, ``"bye"``, ``"ack"``, ``"laugh"`` or ``"emoji"`` for a short social
    message, else ``None``. ``text`` is the raw message (for emoji), ``normalised`` nlu's form."""
    words = normalised.strip(" .!?,")
    if not words:
        return "emoji" if _only_symbols(text) else None
    if len(words.split()) > _MAX_WORDS:
        return None
    if _THANKS.search(words) or intent == "thanks":
        return "thanks"
    if _BYE.search(words) or intent == "goodbye":
        return "bye"
    if words in _ACK or _LAUGH.fullmatch(words.replace(" ", "")):
        return "laugh" if _LAUGH.fullmatch(words.replace(" ", "")) else "ack"
    if _GREET.match(words) and len(words.split()) <= 3:
        return "greet"
    return None


def asks_whom_to_vote_for(normalised: str) -> bool:
    """The message asks which candidate or party is best, or whom the bot supports."""
    return bool(_CANDIDATE_QUESTION.search(normalised))


def is_question(text: str, normalised: str) -> bool:
    """A question mark, or a question word anywhere in the normalised text."""
    return "?" in text or bool(_QUESTION.search(normalised))


def _only_symbols(text: str) -> bool:
    """Emoji, stickers' text, punctuation: something was sent, but no letters or digits."""
    stripped = [c for c in text if not c.isspace()]
    return bool(stripped) and not any(unicodedata.category(c)[0] in "LN" for c in stripped)

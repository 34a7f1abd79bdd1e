"""Reading a typed yes or no ("ya boleh", "udah, ada nama sy", "gak mau ah", "yes you can keep
my data"), or "I don't know", from the normalised text of a message.

A question is not an answer ("boleh bawa hp ke bilik ga?" asks something else). Otherwise the
answer is read from the first words when they say it ("oke, iya mau tau yg sah gmn" is a yes
that goes on talking), else a negation anywhere makes it a no ("nama sy ga ketemu").
"""

from __future__ import annotations

import re
from typing import Literal

from .conversation_acts import is_question

Reading = Literal["yes", "no", "unsure"]

YES = frozenset({"ya", "iya", "y", "yes", "yup", "yep", "ok", "oke", "okay", "okey", "betul", "benar", "setuju",
                 "boleh", "mau", "sure", "yeah", "yea", "sip", "siap", "sudah", "pernah", "ada", "ketemu", "agree",
                 "correct", "silakan", "tentu", "bisa", "gas", "lanjut", "continue"})
NO = frozenset({"tidak", "tdk", "gak", "ga", "nggak", "enggak", "ngga", "no", "nope", "bukan", "jangan", "tak",
                "belum", "not", "don't", "dont", "ogah", "emoh", "never"})
#: Words that open a message without answering ("oh, ok", "eh iya", "hmm tidak").
FILLERS = frozenset({"oh", "eh", "ah", "hmm", "hm", "wah", "yah", "nah", "em", "umm", "well", "kak", "min", "pak",
                     "bu", "mas", "mbak", "bang"})
_UNSURE = re.compile(r"\b(tidak tahu|belum tahu|kurang tahu|tidak yakin|belum (sempat|sempet) (cek|lihat)|"
                     r"lupa|don'?t know|not sure|no idea|entahlah|embuh)\b")
_MAX_WORDS = 14
_MAX_WORDS_ANYWHERE = 6


def read_yes_no(text: str, normalised: str) -> Reading | None:
    """``"yes"``, ``"no"``, ``"unsure"`` ("ga tau", "not sure"), or ``None`` when the message
    does not answer a yes/no question."""
    words = [w for w in re.findall(r"[\w']+", normalised.casefold())]
    if not words or len(words) > _MAX_WORDS:
        return None
    if _UNSURE.search(" ".join(words)):
        return "unsure"
    if "?" in text and len(words) > 3:
        return None  # "boleh bawa hp ke bilik ga?" asks; it does not answer
    first = [w for w in words if w not in FILLERS][:2]
    if first and first[0] in NO:
        return "no"
    if first and first[0] in YES:
        return "no" if len(first) > 1 and first[1] in NO else "yes"
    if is_question(text, normalised):
        return None
    if any(w in NO for w in words):
        return "no"
    if len(words) <= _MAX_WORDS_ANYWHERE and any(w in YES for w in words):
        return "yes"  # "udah, ada nama sy"; a longer message that says "mau" is about something else
    return None

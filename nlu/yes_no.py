"""Reading a typed yes or no ("ya boleh", "udah, ada nama sy", "gak mau ah", "yes you can keep
my data", "nggih", "tidak apa-apa"), "I don't know", or hesitation ("hmm", "mungkin") from the
normalised text of a message. The one reader for every yes/no question the bot asks: consent
and the flows' ``yes_no`` steps. Its words are data, in ``nlu/data/yes_no.yml``.

The whole message decides, negation first: phrases that mean yes although they hold a negation
("tidak apa-apa", "no problem") are read as a whole before the words; then the first words that
are not fillers say it ("ga setuju" is a no, "ok setuju" a yes, "please don't" a no).

A question is not an answer ("boleh bawa hp ke bilik ga?" asks something else). ``strict``
(consent, which must be explicit) goes further: a message that asks anything gives no answer at
all ("ya, tps saya dimana?" is a question about the TPS), and only the first words count. Not
strict, a yes that goes on talking still answers ("oke, iya mau tau yg sah gmn"), and a
negation anywhere in a short message makes it a no ("nama sy ga ketemu").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

import yaml

from .conversation_acts import is_question

#: ``unsure``: "I don't know" (a flow may take its fallback); ``unclear``: hesitation only.
Reading = Literal["yes", "no", "unsure", "unclear"]

WORDS_FILE = Path(__file__).parent / "data" / "yes_no.yml"
_MAX_WORDS = 14
_MAX_WORDS_ANYWHERE = 6
_MAX_WORDS_STRICT = 10
_YES_TOKEN, _NO_TOKEN = "ya", "tidak"
_REDUPLICATED = re.compile(r"^([a-z]+)2$")  # "apa2" is "apa apa"


@dataclass(frozen=True, slots=True)
class _Words:
    yes: frozenset[str]
    no: frozenset[str]
    fillers: frozenset[str]
    unclear: frozenset[str]
    yes_phrases: re.Pattern[str]
    no_phrases: re.Pattern[str]
    unsure: re.Pattern[str]
    yes_emoji: frozenset[str]
    no_emoji: frozenset[str]


def _phrases(phrases: list[str]) -> re.Pattern[str]:
    alternatives = sorted((re.escape(str(p)) for p in phrases), key=len, reverse=True)
    return re.compile(rf"\b({'|'.join(alternatives)})\b")


@cache
def _words() -> _Words:
    data = yaml.safe_load(WORDS_FILE.read_text(encoding="utf-8"))
    sets = {name: frozenset(str(w) for w in data[name])
            for name in ("yes", "no", "fillers", "unclear", "yes_emoji", "no_emoji")}
    return _Words(**sets, yes_phrases=_phrases(data["yes_phrases"]), no_phrases=_phrases(data["no_phrases"]),
                  unsure=_phrases(data["unsure"]))


def _tokens(normalised: str) -> list[str]:
    tokens: list[str] = []
    for word in re.findall(r"[\w']+", normalised.casefold()):
        match = _REDUPLICATED.match(word)
        tokens += [match.group(1)] * 2 if match else [word.replace("'", "")]
    return tokens


def _emoji(text: str, words: _Words) -> Reading | None:
    said = set(text.split())
    if said & words.no_emoji:
        return "no"
    return "yes" if said & words.yes_emoji else None


def read_yes_no(text: str, normalised: str, *, strict: bool = False) -> Reading | None:
    """``"yes"``, ``"no"``, ``"unsure"`` ("ga tau", "not sure"), ``"unclear"`` ("hmm", "mungkin"),
    or ``None`` when the message does not answer a yes/no question. ``text`` is the raw message
    (for its question mark and emoji), ``normalised`` nlu's form of it."""
    words = _words()
    tokens = _tokens(normalised)
    if not tokens:
        return _emoji(text, words)
    if len(tokens) > _MAX_WORDS or (strict and len(tokens) > _MAX_WORDS_STRICT):
        return None
    joined = words.no_phrases.sub(_NO_TOKEN, words.yes_phrases.sub(_YES_TOKEN, " ".join(tokens)))
    if words.unsure.search(joined):
        return "unsure"
    if "?" in text and (strict or len(tokens) > 3):
        return None  # "boleh bawa hp ke bilik ga?" asks; it does not answer
    if strict and is_question(text, joined):
        return None  # "ya, tps saya dimana" asks about the TPS
    tokens = joined.split()
    first = [w for w in tokens if w not in words.fillers][:2]
    if not first:
        return "unclear" if any(w in words.unclear for w in tokens) else _emoji(text, words)
    if first[0] in words.no:
        return "no"
    if first[0] in words.yes:
        return "no" if len(first) > 1 and first[1] in words.no else "yes"
    if all(w in words.unclear or w in words.fillers for w in tokens):
        return "unclear"
    if strict or is_question(text, joined):
        return None
    if any(w in words.no for w in tokens):
        return "no"
    if len(tokens) <= _MAX_WORDS_ANYWHERE and any(w in words.yes for w in tokens):
        return "yes"  # "udah, ada nama sy"; a longer message that says "mau" is about something else
    return None

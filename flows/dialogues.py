"""Dialogue tests: YAML conversations with what each bot reply must (not) say, and the check.

A file is a list of dialogues::

    - name: find-tps-digression-candidate-question   # unique
      category: digression                          # for the pass rate per category
      consent: unset                                # the voter's state before: unset | "yes" | "no"
      turns:
        - user: "tps saya dimana ya"
          expect:
            flow: find_tps           # the flow the voter is in after the reply ("none": in no flow)
            kind: ask                # one reply is of this kind (see REPLY_KINDS)
            contains_any: [kelurahan, desa]   # the replies contain one of these (any case)
            not_contains: [belum kami temukan]
            buttons_any: [Lanjut]    # a button title contains one of these

Pure: :func:`parse_dialogues` reads the file (``file:line:column`` errors), :func:`check` compares
one turn's replies with its expectations. ``bot`` runs the turns through the real loop.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .events import REPLY_KIND_PARENTS, REPLY_KINDS
from .model import Problems
from .yaml_source import Mapping, Pos, SourceError, load
from .yaml_source import Sequence as YamlSequence

EXPECT_KEYS = frozenset({"flow", "kind", "contains_any", "not_contains", "buttons_any"})
CONSENT_STATES = frozenset({"unset", "yes", "no"})


@dataclass(frozen=True, slots=True)
class Expect:
    flow: str | None = None
    kind: str | None = None
    contains_any: tuple[str, ...] = ()
    not_contains: tuple[str, ...] = ()
    buttons_any: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DialogueTurn:
    user: str
    expect: Expect
    line: int


@dataclass(frozen=True, slots=True)
class Dialogue:
    name: str
    category: str
    consent: str
    turns: tuple[DialogueTurn, ...]


@dataclass(frozen=True, slots=True)
class BotReply:
    """What the voter saw after one message: the text, button titles and kind of each reply."""

    text: str
    buttons: tuple[str, ...]
    kind: str


def parse_dialogues(source: str, file: str) -> tuple[list[Dialogue], Problems]:
    """The dialogues in ``source``, and every problem found (none means all are usable)."""
    problems = Problems()
    try:
        raw = load(source, file)
    except SourceError as exc:
        problems.add(exc.pos, exc.message)
        return [], problems
    if not isinstance(raw, YamlSequence):
        problems.add(getattr(raw, "pos", None) or Pos(file, 1, 1), "a dialogue file is a list of dialogues")
        return [], problems
    dialogues, names = [], set()
    for item, pos in zip(raw, raw.item_pos):
        dialogue = _dialogue(item, pos, problems)
        if dialogue is None:
            continue
        if dialogue.name in names:
            problems.add(pos, f"duplicate dialogue name '{dialogue.name}'")
        names.add(dialogue.name)
        dialogues.append(dialogue)
    return dialogues, problems


def check(expect: Expect, replies: Sequence[BotReply], flow: str | None) -> list[str]:
    """What in ``replies`` (and the flow the voter is now in) breaks ``expect``; empty = passed."""
    failures = []
    said = " ".join(r.text for r in replies).casefold()
    buttons = [b.casefold() for r in replies for b in r.buttons]
    if expect.flow is not None and (flow or "none") != expect.flow:
        failures.append(f"flow: expected {expect.flow}, in {flow or 'none'}")
    kinds = {r.kind for r in replies} | {REPLY_KIND_PARENTS[r.kind] for r in replies if r.kind in REPLY_KIND_PARENTS}
    if expect.kind is not None and expect.kind not in kinds:
        failures.append(f"kind: expected {expect.kind}, got {[r.kind for r in replies]}")
    if expect.contains_any and not any(w.casefold() in said for w in expect.contains_any):
        failures.append(f"contains none of {list(expect.contains_any)}")
    if found := [w for w in expect.not_contains if w.casefold() in said]:
        failures.append(f"contains {found}")
    if expect.buttons_any and not any(w.casefold() in b for w in expect.buttons_any for b in buttons):
        failures.append(f"no button with any of {list(expect.buttons_any)}")
    return failures


def _dialogue(item: object, pos: Pos, problems: Problems) -> Dialogue | None:
    if not isinstance(item, Mapping):
        problems.add(pos, "a dialogue is a mapping with name, category, turns")
        return None
    name, category = item.get("name"), item.get("category", "other")
    consent = str(item.get("consent", "unset"))
    if not isinstance(name, str) or not name:
        problems.add(item.at("name"), "a dialogue needs a name")
        return None
    if consent not in CONSENT_STATES:
        problems.add(item.at("consent"), f"consent must be one of {sorted(CONSENT_STATES)} (quote \"yes\"/\"no\")")
    turns = item.get("turns")
    if not isinstance(turns, YamlSequence) or not turns:
        problems.add(item.at("turns"), "a dialogue needs a non-empty list of turns")
        return None
    parsed = [t for t in (_turn(turn, at, problems) for turn, at in zip(turns, turns.item_pos)) if t is not None]
    return Dialogue(name, str(category), consent, tuple(parsed))


def _turn(raw: object, pos: Pos, problems: Problems) -> DialogueTurn | None:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("user"), str):
        problems.add(pos, "a turn needs 'user': the voter's message")
        return None
    expect = raw.get("expect") or Mapping()
    if not isinstance(expect, Mapping):
        problems.add(raw.at("expect"), "expect must be a mapping")
        return None
    for key in set(expect) - EXPECT_KEYS:
        problems.add(expect.key_at(key), f"unknown expectation '{key}' (expected one of {sorted(EXPECT_KEYS)})")
    kind = expect.get("kind")
    if kind is not None and kind not in REPLY_KINDS:
        problems.add(expect.at("kind"), f"unknown kind '{kind}' (expected one of {sorted(REPLY_KINDS)})")
    return DialogueTurn(raw["user"], Expect(
        flow=expect.get("flow"), kind=kind, contains_any=_words(expect, "contains_any", problems),
        not_contains=_words(expect, "not_contains", problems), buttons_any=_words(expect, "buttons_any", problems),
    ), pos.line)


def _words(expect: Mapping, key: str, problems: Problems) -> tuple[str, ...]:
    value = expect.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        problems.add(expect.at(key), f"{key} must be a list of strings")
        return ()
    return tuple(value)


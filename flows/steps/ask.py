"""``ask``: ask a question and wait for an answer of a given type.

Example::

    - id: ask_village
      ask:
        id: "Di kelurahan/desa mana Anda terdaftar?"
        en: "Which village (kelurahan/desa) are you registered in?"
      type: region             # choice | yes_no | number | text | region | location
      accept_location: true    # region only: a shared location is an answer too
      save_as: village         # the answer is then {village}
      retries: 2               # re-ask after an invalid answer (the engine says "not understood"
                               # at most once in a row, so 0 or 1 are what take effect) ...
      invalid:                 # ... with this message (a built-in one by default)
        id: "Nama kelurahan itu tidak kami temukan. Coba periksa ejaannya."
        en: "We couldn't find that village. Please check the spelling."
      fallback: not_found      # ... then go here (default: end the flow politely)
      next: lookup

    - id: ask_topic
      ask: {id: "Pengingat apa yang Anda mau?", en: "Which reminders would you like?"}
      type: choice
      choices:
        - value: voting_day
          label: {id: Hari pemungutan, en: Voting day}
        - value: all
          label: {id: Semua, en: All}
      save_as: topic

Answer types: ``choice`` (a button or its label or number), ``yes_no`` (``yes``/``no``, with
Ya/Tidak buttons), ``number`` (a whole number within ``min``/``max``), ``text`` (up to
``max_length`` characters), ``region`` (a village or district that exists in the TPS table,
saved in its official spelling; any text when no TPS table is loaded) and ``location`` (a
shared location, saved as ``geo:LAT,LON``). The answer is also ``{answer}`` in the next steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..answers import ANSWER_TYPES, Choice, yes_no_choices
from ..model import PAYLOAD_ANSWER, ButtonSpec, Problems, Step, Text, parse_label, parse_name, parse_text
from ..run import WAIT, Outcome, Run
from ..yaml_source import Mapping, Pos

KEY = "ask"
KEYS = {"ask", "type", "choices", "save_as", "retries", "invalid", "fallback", "min", "max", "max_length",
        "accept_location"}
DEFAULT_RETRIES = 2
MAX_RETRIES = 5


@dataclass(frozen=True, slots=True)
class Ask(Step):
    KEY = KEY
    question: Text | None = None
    type: str = "text"
    choices: tuple[Choice, ...] = ()
    save_as: str | None = None
    retries: int = DEFAULT_RETRIES
    invalid: Text | None = None
    fallback: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    max_length: int = 500
    accept_location: bool = False
    fallback_pos: Pos | None = None

    def targets(self) -> list[tuple[str, Pos]]:
        extra = [(self.fallback, self.fallback_pos or self.pos)] if self.fallback else []
        return [*Step.targets(self), *extra]

    def waits(self) -> bool:
        return True

    def texts(self) -> list[tuple[str, Pos]]:
        return self.texts_of(self.question, self.invalid)

    def sets(self) -> set[str]:
        return {"answer", *([self.save_as] if self.save_as else [])}

    def buttons(self) -> tuple[ButtonSpec, ...]:
        return tuple(ButtonSpec(c.label, PAYLOAD_ANSWER + c.value) for c in self.choices)

    def execute(self, run: Run) -> Outcome:
        """Reaching the step asks the question; the answer arrives with a later turn."""
        if self.question is not None:
            run.say(self.question, self.buttons(), kind="ask")
        return WAIT


def parse(raw: Mapping, id: str, next: str | None, problems: Problems) -> Ask:
    question = parse_text(raw["ask"], raw.at("ask"), problems, "question")
    kind = raw.get("type", "text")
    if kind not in ANSWER_TYPES:
        problems.add(raw.at("type"), f"unknown answer type '{kind}' (expected one of: {', '.join(ANSWER_TYPES)})")
        kind = "text"
    choices: tuple[Choice, ...] = ()
    if kind == "choice":
        choices = _choices(raw, problems)
    elif kind == "yes_no":
        choices = yes_no_choices()
    elif "choices" in raw:
        problems.add(raw.key_at("choices"), "choices are only for type: choice")
    save_as = parse_name(raw["save_as"], raw.at("save_as"), problems, "save_as") if "save_as" in raw else None
    retries = raw.get("retries", DEFAULT_RETRIES)
    if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= MAX_RETRIES:
        problems.add(raw.at("retries"), f"retries must be a whole number from 0 to {MAX_RETRIES}")
        retries = DEFAULT_RETRIES
    invalid = parse_text(raw["invalid"], raw.at("invalid"), problems, "invalid") if "invalid" in raw else None
    fallback = raw.get("fallback")
    if fallback is not None and not isinstance(fallback, str):
        problems.add(raw.at("fallback"), "fallback must be a step id")
        fallback = None
    minimum, maximum = _bound(raw, "min", problems), _bound(raw, "max", problems)
    max_length = raw.get("max_length", 500)
    if not isinstance(max_length, int) or not 1 <= max_length <= 4096:
        problems.add(raw.at("max_length"), "max_length must be a whole number from 1 to 4096")
        max_length = 500
    accept_location = raw.get("accept_location", False)
    if not isinstance(accept_location, bool) or (accept_location and kind != "region"):
        problems.add(raw.at("accept_location"), "accept_location must be true or false, and only for type: region")
        accept_location = False
    return Ask(id, raw.pos, next, question, kind, choices, save_as, retries, invalid, fallback, minimum, maximum,
               max_length, accept_location, raw.at("fallback"))


def _choices(raw: Mapping, problems: Problems) -> tuple[Choice, ...]:
    items = raw.get("choices")
    if not isinstance(items, list) or not items:
        problems.add(raw.at("choices"), "type: choice needs a non-empty list of choices")
        return ()
    choices: list[Choice] = []
    for item, pos in zip(items, items.item_pos):
        if not isinstance(item, Mapping) or set(item) != {"value", "label"}:
            problems.add(pos, "a choice must have exactly 'value' and 'label'")
            continue
        value = parse_name(item["value"], item.at("value"), problems, "a choice value")
        label = parse_label(item["label"], item.at("label"), problems)
        if value and label:
            choices.append(Choice(value, label))
    return tuple(choices)


def _bound(raw: Mapping, key: str, problems: Problems) -> float | None:
    value = raw.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        problems.add(raw.at(key), f"{key} must be a number")
        return None
    return float(value)

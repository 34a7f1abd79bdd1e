"""Reading the voter's answer to an ``ask`` step, by answer type.

Each reader returns the answer as text, or ``None`` when it does not fit the type.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from nlu.regions import region_by_code
from nlu.yes_no import read_yes_no

from .model import PAYLOAD_ANSWER, Text
from .yaml_source import Pos

if TYPE_CHECKING:
    from .run import Run
    from .steps.ask import Ask

_NUMBER = re.compile(r"^-?\d{1,9}$")
_NO_POS = Pos("<built-in>", 0, 0)


@dataclass(frozen=True, slots=True)
class Choice:
    """One option of a ``choice`` question: the saved ``value`` and the button ``label``."""

    value: str
    label: Text


def yes_no_choices() -> tuple[Choice, ...]:
    return (
        Choice("yes", Text({"id": "Ya", "en": "Yes"}, _NO_POS)),
        Choice("no", Text({"id": "Tidak", "en": "No"}, _NO_POS)),
    )


def read_answer(ask: "Ask", run: "Run") -> str | None:
    """The voter's answer to ``ask`` in this turn, or ``None`` when it is not a valid one."""
    return ANSWER_TYPES[ask.type](ask, run)


def prefilled(ask: "Ask", run: "Run") -> str | None:
    """The answer to ``ask`` already in the message that started the flow: a village or district
    for a ``region`` question. A place our polling-station data lacks is still taken (by its
    official name) when nlu recognised it, so the flow says it cannot find it instead of asking
    again for the place the voter just gave."""
    parse = run.turn.parse
    if ask.type != "region" or parse is None:
        return None
    if (value := _region(ask, run)) is not None:
        return value
    places = [region_by_code(e.value) for e in parse.entities if e.entity == "region" and e.value.count(".") >= 2]
    return next((place.name for place in places if place is not None), None)


def _words(run: "Run") -> str:
    parse = run.turn.parse
    return parse.normalised.strip(" .!?") if parse else ""


def _payload_choice(ask: "Ask", run: "Run") -> str | None:
    payload = run.turn.payload or ""
    value = payload.removeprefix(PAYLOAD_ANSWER) if payload.startswith(PAYLOAD_ANSWER) else None
    return value if any(c.value == value for c in ask.choices) else None


def _choice(ask: "Ask", run: "Run") -> str | None:
    if run.turn.payload is not None:
        return _payload_choice(ask, run)
    said = _words(run).casefold()
    if said.isdigit() and 1 <= int(said) <= len(ask.choices):
        return ask.choices[int(said) - 1].value
    for choice in ask.choices:
        if said in {choice.value.replace("_", " "), *(v.casefold() for v in choice.label.values.values())}:
            return choice.value
    return None


def _yes_no(ask: "Ask", run: "Run") -> str | None:
    if run.turn.payload is not None:
        return _payload_choice(ask, run)
    parse = run.turn.parse
    reading = read_yes_no(parse.text, parse.normalised) if parse else None
    return reading if reading in ("yes", "no") else None


def is_unsure(run: "Run") -> bool:
    """The voter says they don't know ("ga tau", "not sure"): a reason to take the fallback."""
    parse = run.turn.parse
    return parse is not None and read_yes_no(parse.text, parse.normalised) == "unsure"


def _number(ask: "Ask", run: "Run") -> str | None:
    said = _words(run).replace(".", "").replace(",", "").replace(" ", "")
    if not _NUMBER.match(said):
        return None
    value = int(said)
    if (ask.minimum is not None and value < ask.minimum) or (ask.maximum is not None and value > ask.maximum):
        return None
    return str(value)


def _text(ask: "Ask", run: "Run") -> str | None:
    parse = run.turn.parse
    said = parse.redacted.strip() if parse else ""
    return said if said and len(said) <= ask.max_length else None


def _region(ask: "Ask", run: "Run") -> str | None:
    if run.turn.location is not None and ask.accept_location:
        return _location(ask, run)
    parse = run.turn.parse
    said = parse.redacted.strip() if parse else ""
    if not said:
        return None
    tps = run.context.tps
    if tps is None or len(tps) == 0:
        return said[:100]
    # Most specific first: a village code is longer than its district's.
    codes = sorted((e.value for e in parse.entities if e.entity == "region"), key=len, reverse=True)
    return tps.place_name(said, codes)


def _location(ask: "Ask", run: "Run") -> str | None:
    if run.turn.location is None:
        return None
    latitude, longitude = run.turn.location
    return f"geo:{latitude:.6f},{longitude:.6f}"


ANSWER_TYPES: dict[str, Callable[["Ask", "Run"], str | None]] = {
    "choice": _choice,
    "yes_no": _yes_no,
    "number": _number,
    "text": _text,
    "region": _region,
    "location": _location,
}

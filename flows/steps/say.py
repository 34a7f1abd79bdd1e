"""``say``: send a message, optionally with buttons, and go on to the next step.

Example::

    - id: hello
      say:
        id: "Halo! Di sini Anda bisa mencari TPS Anda."
        en: "Hello! Here you can find your polling station."
      buttons:
        - label: {id: Jam buka TPS, en: Polling hours}
          payload: "q:jam-buka-tps"
      next: ask_village        # optional: defaults to the step below

A button's ``payload`` is what comes back when it is pressed: ``flow:ID`` starts a flow,
``q:ENTRY`` answers a knowledge-base entry, ``menu`` and ``human`` are built in, and any
payload listed in a flow's ``triggers.payloads`` starts that flow.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import ButtonSpec, Problems, Step, Text, parse_buttons, parse_text
from ..run import END, Outcome, Run
from ..yaml_source import Mapping, Pos

KEY = "say"
KEYS = {"say", "buttons"}


@dataclass(frozen=True, slots=True)
class Say(Step):
    KEY = KEY
    text: Text | None = None
    buttons: tuple[ButtonSpec, ...] = ()

    def texts(self) -> list[tuple[str, Pos]]:
        return self.texts_of(self.text)

    def execute(self, run: Run) -> Outcome:
        if self.text is not None:
            run.say(self.text, self.buttons)
        return self.next or END


def parse(raw: Mapping, id: str, next: str | None, problems: Problems) -> Say:
    text = parse_text(raw["say"], raw.at("say"), problems)
    buttons = parse_buttons(raw["buttons"], raw.at("buttons"), problems) if "buttons" in raw else ()
    return Say(id, raw.pos, next, text, buttons)

"""``set``: remember values: a flow result, a session value, a contact field or a signal.

Example::

    - id: remember
      set:
        topic: "ekonomi"                 # a flow result, used later as {topic}
        session.consent_asked: "yes"     # kept for the rest of the conversation session
        contact.region: "{village}"      # stored on the contact (only with consent)
        signal.issue_economy: "true"     # a segment signal (only with consent)

Values may contain placeholders. Contact fields: ``region``. A signal records the voter's
latest answer as its evidence and ``flow:FLOW_ID/STEP_ID`` as its source.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..events import SetField, SetSignal
from ..model import NAME, PLACEHOLDER, Problems, Step
from ..run import END, Outcome, Run
from ..yaml_source import Mapping, Pos

KEY = "set"
KEYS = {"set"}
CONTACT_FIELDS = frozenset({"region"})


@dataclass(frozen=True, slots=True)
class Set(Step):
    KEY = KEY
    values: tuple[tuple[str, str, Pos], ...] = ()

    def texts(self) -> list[tuple[str, Pos]]:
        return [(name, pos) for _, value, pos in self.values for name in PLACEHOLDER.findall(value)]

    def sets(self) -> set[str]:
        return {key for key, _, _ in self.values if "." not in key}

    def execute(self, run: Run) -> Outcome:
        for key, template, _ in self.values:
            value = run.render(template)
            namespace, _, name = key.partition(".")
            if namespace == "contact":
                run.region = value
                run.events.append(SetField(name, value))
            elif namespace == "signal":
                run.memory[key] = value
                evidence = run.results.get("answer", "")
                run.events.append(SetSignal(name, value, 1.0, evidence, f"flow:{run.flow.id}/{self.id}"))
            elif namespace == "session":
                run.memory[key] = value
            else:
                run.results[key] = value
        return self.next or END


def parse(raw: Mapping, id: str, next: str | None, problems: Problems) -> Set:
    values = raw["set"]
    if not isinstance(values, Mapping) or not values:
        problems.add(raw.at("set"), "set must be a mapping of names to values")
        return Set(id, raw.pos, next)
    parsed: list[tuple[str, str, Pos]] = []
    for key, value in values.items():
        namespace, dot, name = key.partition(".")
        valid = (
            (not dot and NAME.match(key) is not None)
            or (namespace == "contact" and name in CONTACT_FIELDS)
            or (namespace in ("signal", "session") and NAME.match(name) is not None)
        )
        if not valid:
            problems.add(values.key_at(key), f"cannot set '{key}' (use a name, session.NAME, signal.NAME "
                         f"or contact.{'/'.join(sorted(CONTACT_FIELDS))})")
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            problems.add(values.at(key), "a value must be text or a number")
            continue
        parsed.append((key, str(value), values.at(key)))
    return Set(id, raw.pos, next, tuple(parsed))

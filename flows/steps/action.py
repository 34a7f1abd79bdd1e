"""``action``: call a named action (see ``flows/actions/``) and continue by its outcome.

Example::

    - id: lookup
      action: lookup_tps
      with:
        place: "{village}"     # arguments; values may contain placeholders
      save_as: stations        # the action's result text is then {stations}
      on_failure: not_found    # where to go when the action fails (default: next)
      next: show

Actions: ``lookup_tps``, ``answer_question``, ``subscribe_reminders``,
``unsubscribe_reminders``, ``handover``, ``record_report``, ``record_consent``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..actions import ACTIONS
from ..model import PLACEHOLDER, Problems, Step, parse_name
from ..run import END, Outcome, Run
from ..yaml_source import Mapping, Pos

KEY = "action"
KEYS = {"action", "with", "save_as", "on_failure"}


@dataclass(frozen=True, slots=True)
class Action(Step):
    KEY = KEY
    name: str = ""
    args: tuple[tuple[str, str, Pos], ...] = ()
    save_as: str | None = None
    on_failure: str | None = None
    failure_pos: Pos | None = None

    def targets(self) -> list[tuple[str, Pos]]:
        extra = [(self.on_failure, self.failure_pos or self.pos)] if self.on_failure else []
        return [*Step.targets(self), *extra]

    def texts(self) -> list[tuple[str, Pos]]:
        return [(name, pos) for _, value, pos in self.args for name in PLACEHOLDER.findall(value)]

    def sets(self) -> set[str]:
        return {self.save_as} if self.save_as else set()

    def execute(self, run: Run) -> Outcome:
        args = {key: run.render(value) for key, value, _ in self.args}
        result = ACTIONS[self.name].execute(args, run)
        if result is None:
            return self.on_failure or self.next or END
        if self.save_as:
            run.results[self.save_as] = result
        return self.next or END


def parse(raw: Mapping, id: str, next: str | None, problems: Problems) -> Action:
    name = raw["action"]
    if name not in ACTIONS:
        problems.add(raw.at("action"), f"unknown action '{name}' (expected one of: {', '.join(sorted(ACTIONS))})")
        return Action(id, raw.pos, next)
    spec = ACTIONS[name]
    given = raw.get("with", Mapping())
    args: list[tuple[str, str, Pos]] = []
    if not isinstance(given, Mapping):
        problems.add(raw.at("with"), "with must be a mapping of argument names to values")
        given = Mapping()
        given.pos, given.key_pos, given.value_pos = raw.pos, {}, {}
    for key, value in given.items():
        if key not in spec.ARGS:
            problems.add(given.key_at(key), f"action '{name}' has no argument '{key}' "
                         f"(it takes: {', '.join(sorted(spec.ARGS)) or 'nothing'})")
        elif not isinstance(value, str | int | float) or isinstance(value, bool):
            problems.add(given.at(key), "an argument must be text or a number")
        else:
            args.append((key, str(value), given.at(key)))
    for required in sorted(spec.REQUIRED - set(given)):
        problems.add(raw.at("action"), f"action '{name}' needs the argument '{required}'")
    save_as = parse_name(raw["save_as"], raw.at("save_as"), problems, "save_as") if "save_as" in raw else None
    on_failure = raw.get("on_failure")
    if on_failure is not None and not isinstance(on_failure, str):
        problems.add(raw.at("on_failure"), "on_failure must be a step id")
        on_failure = None
    return Action(id, raw.pos, next, name, tuple(args), save_as, on_failure, raw.at("on_failure"))

"""``branch``: go to the first step whose condition holds, else to ``otherwise``.

Example::

    - id: route
      branch:
        - when: 'answer == "yes"'
          goto: subscribe
        - when: 'contact.consent != "yes" and signal.first_time_voter == "true"'
          goto: explain_first_vote
      otherwise: done          # optional: defaults to the step below

Conditions are described in ``flows/expressions.py`` and ``flows/README.md``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..expressions import Condition, ExpressionError, parse_condition
from ..model import Problems, Step, check_keys
from ..run import END, Outcome, Run
from ..yaml_source import Mapping, Pos

KEY = "branch"
KEYS = {"branch", "otherwise"}


@dataclass(frozen=True, slots=True)
class Case:
    condition: Condition
    goto: str
    pos: Pos


@dataclass(frozen=True, slots=True)
class Branch(Step):
    KEY = KEY
    cases: tuple[Case, ...] = ()

    def targets(self) -> list[tuple[str, Pos]]:
        return [*((c.goto, c.pos) for c in self.cases), *Step.targets(self)]

    def texts(self) -> list[tuple[str, Pos]]:
        return [(name, c.pos) for c in self.cases for name in c.condition.names()]

    def execute(self, run: Run) -> Outcome:
        for case in self.cases:
            if case.condition.evaluate(run.value):
                return case.goto
        return self.next or END


def parse(raw: Mapping, id: str, next: str | None, problems: Problems) -> Branch:
    if "otherwise" in raw:
        next = raw["otherwise"] if isinstance(raw["otherwise"], str) else None
        if next is None:
            problems.add(raw.at("otherwise"), "otherwise must be a step id")
    items = raw["branch"]
    if not isinstance(items, list) or not items:
        problems.add(raw.at("branch"), "branch must be a non-empty list of 'when' and 'goto'")
        return Branch(id, raw.pos, next)
    cases: list[Case] = []
    for item, pos in zip(items, items.item_pos):
        if not isinstance(item, Mapping) or "when" not in item or "goto" not in item:
            problems.add(pos, "each case needs 'when' (a condition) and 'goto' (a step id)")
            continue
        check_keys(item, {"when", "goto"}, problems)
        when, goto = item["when"], item["goto"]
        if not isinstance(goto, str):
            problems.add(item.at("goto"), "goto must be a step id")
            continue
        if not isinstance(when, str):
            problems.add(item.at("when"), "when must be a condition such as 'answer == \"yes\"'")
            continue
        try:
            condition = parse_condition(when)
        except ExpressionError as exc:
            problems.add(item.at("when"), f"condition '{when}': {exc} (at character {exc.column + 1})")
            continue
        cases.append(Case(condition, goto, item.at("goto")))
    return Branch(id, raw.pos, next, tuple(cases))

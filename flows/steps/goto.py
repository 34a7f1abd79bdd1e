"""``goto``: continue at another step of this flow, or start another flow.

Example::

    - id: try_again
      goto: ask_village        # a step of this flow

    - id: to_menu
      goto: {flow: menu}       # another flow, from its first step
"""

from __future__ import annotations

from dataclasses import dataclass

from ..model import Problems, Step, parse_name
from ..run import Outcome, Run, StartFlow
from ..yaml_source import Mapping, Pos

KEY = "goto"
KEYS = {"goto"}


@dataclass(frozen=True, slots=True)
class Goto(Step):
    KEY = KEY
    step: str | None = None
    flow: str | None = None
    target_pos: Pos | None = None

    def targets(self) -> list[tuple[str, Pos]]:
        return [(self.step, self.target_pos or self.pos)] if self.step else []

    def flows(self) -> list[tuple[str, Pos]]:
        return [(self.flow, self.target_pos or self.pos)] if self.flow else []

    def execute(self, run: Run) -> Outcome:
        return StartFlow(self.flow) if self.flow else self.step or ""


def parse(raw: Mapping, id: str, next: str | None, problems: Problems) -> Goto:
    target = raw["goto"]
    if isinstance(target, str):
        return Goto(id, raw.pos, None, step=target, target_pos=raw.at("goto"))
    if isinstance(target, Mapping) and set(target) == {"flow"}:
        flow = parse_name(target["flow"], target.at("flow"), problems, "flow")
        return Goto(id, raw.pos, None, flow=flow, target_pos=target.at("flow"))
    problems.add(raw.at("goto"), "goto must be a step id or {flow: FLOW_ID}")
    return Goto(id, raw.pos, None)

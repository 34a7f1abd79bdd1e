"""Checks across a whole flow: every target exists, every step is reachable, every loop asks
something, every placeholder is set somewhere, every ``goto`` flow exists.

Per-value problems (translations, label lengths, unknown keys) are found while parsing.
"""

from __future__ import annotations

from .model import Flow, Problems, Step

CONTACT_VALUES = frozenset({"contact.region", "contact.language", "contact.consent"})


def validate_library(flows: dict[str, Flow], election: dict[str, dict[str, str]]) -> Problems:
    problems = Problems()
    session_values = {
        key for flow in flows.values() for step in flow.steps.values() for key in _set_keys(step)
        if key.startswith("session.")
    }
    for flow in flows.values():
        _targets(flow, problems)
        _reachable(flow, problems)
        _loops(flow, problems)
        _placeholders(flow, election, session_values, problems)
        for step in flow.steps.values():
            for target, pos in step.flows():
                if target not in flows:
                    problems.add(pos, f"goto to flow '{target}', which does not exist")
    return problems


def _set_keys(step: Step) -> list[str]:
    return [key for key, _, _ in getattr(step, "values", ())]


def _targets(flow: Flow, problems: Problems) -> None:
    for step in flow.steps.values():
        for target, pos in step.targets():
            if target not in flow.steps and target not in flow.broken_steps:
                problems.add(pos, f"goto to step '{target}', which does not exist in flow '{flow.id}'")


def _edges(flow: Flow, step: Step) -> list[str]:
    return [target for target, _ in step.targets() if target in flow.steps]


def _reachable(flow: Flow, problems: Problems) -> None:
    seen, todo = {flow.start}, [flow.start]
    while todo:
        for target in _edges(flow, flow.steps[todo.pop()]):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    for step_id, step in flow.steps.items():
        if step_id not in seen:
            problems.add(step.pos, f"step '{step_id}' is unreachable")


def _loops(flow: Flow, problems: Problems) -> None:
    """A cycle of steps none of which waits for the voter would run for ever."""
    graph = {
        step_id: [t for t in _edges(flow, step) if not flow.steps[t].waits()]
        for step_id, step in flow.steps.items()
        if not step.waits()
    }
    reported: set[str] = set()
    state: dict[str, int] = {}  # 1 = on the path, 2 = done

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in graph[node]:
            if state.get(target) == 1:
                cycle = path[path.index(target):] + [target]
                if not reported & set(cycle):
                    reported.update(cycle)
                    problems.add(flow.steps[target].pos, f"loop with no question: {' → '.join(cycle)}")
            elif target not in state:
                visit(target, [*path, target])
        state[node] = 2

    for node in graph:
        if node not in state:
            visit(node, [node])


def _placeholders(flow: Flow, election: dict[str, dict[str, str]], session_values: set[str],
                  problems: Problems) -> None:
    set_here = {name for step in flow.steps.values() for name in step.sets()}
    for step in flow.steps.values():
        for name, pos in step.texts():
            namespace = name.split(".", 1)[0]
            known = (
                name in set_here
                or name in CONTACT_VALUES
                or name in session_values
                or (namespace == "signal" and "." in name)
                or (namespace == "election" and name.split(".", 1)[1] in election)
            )
            if not known:
                problems.add(pos, f"placeholder '{{{name}}}' is never set")

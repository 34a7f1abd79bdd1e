"""Turning one flow file's YAML into a :class:`~flows.model.Flow`, collecting every problem."""

from __future__ import annotations

import hashlib
from types import ModuleType

from .model import Flow, Problems, Step, Text, Triggers, check_keys, parse_name, parse_text
from .steps import STEP_TYPES
from .yaml_source import Mapping, Pos

FLOW_KEYS = {"id", "title", "triggers", "steps"}
TRIGGER_KEYS = ("intents", "keywords", "commands", "payloads")


def content_hash(source: str) -> str:
    """The version of a flow: the SHA-256 of its file's text."""
    return hashlib.sha256(source.encode()).hexdigest()


def parse_flow(raw: object, file: str, source: str, problems: Problems) -> Flow | None:
    """Parse a flow file's top-level mapping; ``None`` when it is too broken to use at all."""
    if not isinstance(raw, Mapping):
        problems.add(Pos(file, 1, 1), "a flow file must be a mapping with id, title, triggers and steps")
        return None
    check_keys(raw, FLOW_KEYS, problems)
    for key in ("id", "title", "steps"):
        if key not in raw:
            problems.add(raw.pos, f"missing '{key}'")
    flow_id = parse_name(raw.get("id"), raw.at("id"), problems, "the flow id") if "id" in raw else None
    title = parse_text(raw["title"], raw.at("title"), problems, "title") if "title" in raw else None
    triggers = _triggers(raw.get("triggers"), raw.at("triggers"), problems) if "triggers" in raw else Triggers()
    steps, broken = _steps(raw.get("steps"), raw.at("steps"), problems) if "steps" in raw else ({}, set())
    if flow_id is None or not steps:
        return None
    return Flow(flow_id, title or Text({}, raw.pos), triggers, steps, next(iter(steps)), file,
                content_hash(source), source, frozenset(broken))


def _triggers(raw: object, pos: Pos, problems: Problems) -> Triggers:
    if not isinstance(raw, Mapping):
        problems.add(pos, f"triggers must be a mapping of {', '.join(TRIGGER_KEYS)}")
        return Triggers()
    check_keys(raw, set(TRIGGER_KEYS), problems)
    found: dict[str, tuple[str, ...]] = {}
    for key in TRIGGER_KEYS:
        values = raw.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v.strip() for v in values):
            problems.add(raw.at(key), f"triggers.{key} must be a list of text")
            continue
        if key == "commands" and not all(v.startswith("/") for v in values):
            problems.add(raw.at(key), "a command starts with '/', e.g. /tps")
        found[key] = tuple(v.strip().casefold() if key != "payloads" else v for v in values)
    return Triggers(**found)


def _steps(raw: object, pos: Pos, problems: Problems) -> tuple[dict[str, Step], set[str]]:
    """The parsed steps by id, and the ids of steps too broken to parse."""
    if not isinstance(raw, list) or not raw:
        problems.add(pos, "steps must be a non-empty list")
        return {}, set()
    items: list[tuple[Mapping, str]] = []
    seen: set[str] = set()
    for item, item_pos in zip(raw, raw.item_pos):
        if not isinstance(item, Mapping):
            problems.add(item_pos, "a step must be a mapping with an id and a type (say, ask, ...)")
            continue
        step_id = parse_name(item.get("id"), item.at("id"), problems, "a step id")
        if step_id is None:
            continue
        if step_id in seen:
            problems.add(item.at("id"), f"duplicate step id '{step_id}'")
            continue
        seen.add(step_id)
        items.append((item, step_id))
    steps: dict[str, Step] = {}
    broken: set[str] = set()
    for index, (item, step_id) in enumerate(items):
        following = items[index + 1][1] if index + 1 < len(items) else None
        step = _step(item, step_id, following, problems)
        if step is None:
            broken.add(step_id)
        else:
            steps[step_id] = step
    return steps, broken


def _step(raw: Mapping, step_id: str, following: str | None, problems: Problems) -> Step | None:
    kinds = [key for key in raw if key in STEP_TYPES]
    if not kinds:
        other = [key for key in raw if key not in ("id", "next")]
        where = raw.key_at(other[0]) if other else raw.pos
        found = f" '{other[0]}'" if other else ""
        problems.add(where, f"unknown step type{found} (expected one of: {', '.join(STEP_TYPES)})")
        return None
    if len(kinds) > 1:
        problems.add(raw.key_at(kinds[1]), f"a step has one type, this one has {' and '.join(kinds)}")
        return None
    module: ModuleType = STEP_TYPES[kinds[0]]
    check_keys(raw, {"id", "next", *module.KEYS}, problems)
    next_step = following
    if "next" in raw:
        next_step = raw["next"] if isinstance(raw["next"], str) else None
        if next_step is None:
            problems.add(raw.at("next"), "next must be a step id")
    return module.parse(raw, step_id, next_step, problems)

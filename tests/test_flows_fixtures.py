"""The engine, goflow style: each file in tests/fixtures/flows is a conversation of inputs and
the exact events the engine must return, in order.

A fixture::

    flows: default                # the shipped library, or {file.yml: "yaml text", ...}
    turns:
      - text: "cari tps"          # or payload: "...", location: [lat, lon]
        after_minutes: 1          # optional: silence before this turn (default 1)
        flows: {...}              # optional: publish these flows before this turn
        events:                   # every event, in order: {Type: {field: value, "field~": substring}}
          - FlowStarted: {flow_id: find_tps}
          - Reply: {"text~": "kelurahan/desa"}

The runner applies consent and language events the way ``bot`` does, so later turns see them.
Together the fixtures must execute every step type, read every answer type and emit every
event type.
"""

from __future__ import annotations

import dataclasses
import typing
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml

import flows
import nlu
from flows import Context, Library, RecordConsent, SetLanguage, Turn, resume
from flows.answers import ANSWER_TYPES
from flows.steps import STEP_TYPES
from demo_knowledge import demo_knowledge
from knowledge import TpsIndex, parse_csv

FIXTURES = Path(__file__).parent / "fixtures" / "flows"
DEMO_TPS = Path(__file__).resolve().parents[1] / "knowledge" / "data" / "tps_demo.csv"
START = datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc)
EVENT_TYPES = {cls.__name__ for cls in typing.get_args(flows.Event)}


@pytest.fixture(scope="module")
def knowledge() -> KnowledgeBase:
    return demo_knowledge()


@pytest.fixture(scope="module")
def tps() -> TpsIndex:
    return TpsIndex(parse_csv(DEMO_TPS.read_text(encoding="utf-8")).stations)


def _library(spec: object, history: Library | None = None) -> Library:
    sources = flows.default_sources() if spec == "default" else dict(spec)  # type: ignore[call-overload]
    old = list(history.versions.values()) if history else []
    library, problems = flows.parse_library(sources, old)
    assert not problems, [str(p) for p in problems]
    return library


def _matches(event: object, name: str, expected: dict[str, Any] | None) -> str | None:
    if type(event).__name__ != name:
        return f"expected {name}, got {event!r}"
    values = dataclasses.asdict(event)  # type: ignore[call-overload]
    for key, want in (expected or {}).items():
        if key.endswith("~"):
            field = key[:-1]
            if str(want) not in str(values[field]):
                return f"{name}.{field} = {values[field]!r} does not contain {want!r}"
        elif key == "payloads":
            got = [b["payload"] for b in values["buttons"]]
            if got != want:
                return f"{name} buttons {got} != {want}"
        elif values[key] != want:
            return f"{name}.{key} = {values[key]!r}, expected {want!r}"
    return None


FILES = sorted(FIXTURES.glob("*.yml"))


def play(path: Path, knowledge: KnowledgeBase, tps: TpsIndex) -> set[str]:
    """Run one fixture, asserting every event; returns the names of the events seen."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    library = _library(spec.get("flows", "default"))
    session: dict[str, object] = {}
    consent: bool | None = spec.get("consent")
    language = spec.get("language", "id")
    now = START
    seen: set[str] = set()
    for number, step in enumerate(spec["turns"], start=1):
        if "flows" in step:
            library = _library(step["flows"], library)
        now += timedelta(minutes=step.get("after_minutes", 1))
        parse = nlu.parse(step["text"], language) if "text" in step else None
        location = tuple(step["location"]) if "location" in step else None
        turn = Turn(now, parse, step.get("payload"), location)  # type: ignore[arg-type]
        context = Context(knowledge, language, consent, timedelta(minutes=30), library, tps)
        session, events = resume(session, turn, context)
        expected = step["events"]
        shown = "\n  ".join(repr(e) for e in events)
        assert len(events) == len(expected), f"{path.name} turn {number}: got {len(events)} events:\n  {shown}"
        for event, want in zip(events, expected):
            ((name, fields),) = want.items()
            problem = _matches(event, name, fields)
            assert problem is None, f"{path.name} turn {number}: {problem}\n  {shown}"
            seen.add(name)
            if isinstance(event, RecordConsent):
                consent = event.granted
            if isinstance(event, SetLanguage):
                language = event.language
        if "waiting_at" in step:
            position = session.get("flow")
            assert isinstance(position, dict) and position["step"] == step["waiting_at"], session
    return seen


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_fixture(path: Path, knowledge: KnowledgeBase, tps: TpsIndex) -> None:
    play(path, knowledge, tps)


def test_fixtures_cover_every_step_answer_and_event_type(
    knowledge: KnowledgeBase, tps: TpsIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps: set[str] = set()
    answers: set[str] = set()
    for key, module in STEP_TYPES.items():
        cls = next(v for v in vars(module).values() if isinstance(v, type) and vars(v).get("KEY") == key)

        def execute(self: Any, run: Any, _original: Any = cls.execute, _key: str = key) -> Any:
            steps.add(_key)
            return _original(self, run)

        monkeypatch.setattr(cls, "execute", execute)
    for name, reader in list(ANSWER_TYPES.items()):
        def read(ask: Any, run: Any, _reader: Any = reader, _name: str = name) -> Any:
            result = _reader(ask, run)
            if result is not None:
                answers.add(_name)
            return result

        monkeypatch.setitem(ANSWER_TYPES, name, read)
    events = set().union(*(play(path, knowledge, tps) for path in FILES))
    assert set(STEP_TYPES) <= steps, f"no fixture executes: {set(STEP_TYPES) - steps}"
    assert set(ANSWER_TYPES) <= answers, f"no fixture answers: {set(ANSWER_TYPES) - answers}"
    assert EVENT_TYPES <= events, f"no fixture expects: {EVENT_TYPES - events}"

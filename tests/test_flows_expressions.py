"""Branch conditions, stored sessions and hostile flow files: readable rules, no surprises."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest

import flows
import nlu
from flows import Context, Turn, resume
from flows.expressions import ExpressionError, parse_condition
from demo_knowledge import demo_knowledge

VALUES = {"answer": "Ya", "age": "19", "contact.region": "", "signal.first_time_voter": "true"}


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ('answer == "ya"', True),
        ('answer != "ya"', False),
        ('answer in ["iya", "ya", "y"]', True),
        ("age >= 17", True),
        ("age < 17", False),
        ('contact.region == ""', True),
        ('unknown_name == ""', True),
        ('answer < 3', False),  # not a number: numeric comparisons are false
        ('answer == "tidak" or signal.first_time_voter == "true"', True),
        ('answer == "tidak" or age > 18 and contact.region != ""', False),
    ],
)
def test_conditions_read_like_they_look(condition: str, expected: bool) -> None:
    assert parse_condition(condition).evaluate(lambda name: VALUES.get(name, "")) is expected


@pytest.mark.parametrize(
    ("condition", "message"),
    [("answer = 1", "cannot read"), ("answer ==", "ends too early"), ("== 1", "expected a name"),
     ('answer == "ya" and', "ends too early"), ("answer 1", "expected ==, !=, <, <=, >, >= or in"),
     ("", "empty"), ("answer in [1 2]", "unexpected '2'"), ("a == 1 maybe b == 2", "expected 'and' or 'or'")],
)
def test_bad_conditions_say_what_is_wrong(condition: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("[", r"\[").replace("(", r"\(")):
        parse_condition(condition)


@pytest.mark.parametrize(
    "text",
    ["\tid: tabs\n", "!!python/object/apply:os.system ['echo hi']\n", "- a list\n- not a flow\n", "id: [unclosed\n",
     "key: value\nkey: again\n", "? [complex, key]\n: value\n", "id: x\ntitle: 5\nsteps: 7\n", "", "~\n"],
)
def test_hostile_flow_files_become_positioned_problems(text: str) -> None:
    _, problems = flows.parse_library({"hostile.yml": text})
    assert problems, text
    for problem in problems:
        assert str(problem).startswith("hostile.yml:")
        assert problem.pos.line >= 1 and problem.pos.column >= 1


@pytest.mark.parametrize(
    "stored",
    [{"flow": {"id": 1}}, {"flow": {"id": "find_tps", "version": "x", "step": "ask_place", "results": {},
                                    "history": 3, "retries": "many"}},
     {"flow": "find_tps"}, {"memory": [1, 2], "last_seen": "not a time"},
     {"flow": {"id": "find_tps", "version": "unknown", "step": "ask_place", "results": {}, "history": [],
               "retries": 0}}],
)
def test_a_corrupt_stored_session_is_recovered_politely(stored: dict[str, object]) -> None:
    library, _ = flows.parse_library(flows.default_sources())
    context = Context(demo_knowledge(), "id", None, library=library)
    now = datetime(2026, 11, 22, tzinfo=timezone.utc)
    session, events = resume(stored, Turn(now, nlu.parse("sukagalih")), context)
    assert any(isinstance(e, flows.Reply) for e in events)
    assert "flow" not in session or session["flow"]["id"] in library.flows  # type: ignore[index]


def test_the_flow_language_reference_has_an_example_for_every_step_and_action() -> None:
    readme = (Path(flows.__file__).parent / "README.md").read_text(encoding="utf-8")
    from flows.actions import ACTIONS
    from flows.steps import STEP_TYPES

    for key in STEP_TYPES:
        assert f"### {key} " in readme and f"  {key}:" in readme, key
    for name in ACTIONS:
        assert f"`{name}`" in readme, name


@pytest.mark.parametrize(
    ("text", "flow_id"),
    [("cari TPS", "find_tps"), ("di mana tps saya?", "find_tps"), ("/tps", "find_tps"), ("lapor pelanggaran", "report"),
     ("gimana cara pindah memilih?", "moved"), ("halo", "welcome"), ("apa itu politik uang?", None),
     ("jam berapa tps buka?", None), ("apa itu DPTb?", None)],
)
def test_triggers_start_flows_but_leave_plain_questions_to_knowledge(text: str, flow_id: str | None) -> None:
    library, _ = flows.parse_library(flows.default_sources())
    parse = nlu.parse(text)
    flow = library.for_text(parse.text, parse.normalised, parse.intent.name if parse.intent else None)
    assert (flow.id if flow else None) == flow_id

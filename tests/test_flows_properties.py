"""Property: no sequence of inputs crashes the engine or leaves a session in an undefined step."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flows
import nlu
from flows import Context, Turn, resume
from flows.steps.ask import Ask
from flows.steps.say import Say
from demo_knowledge import demo_knowledge
from knowledge import TpsIndex, parse_csv

LIBRARY, _ = flows.parse_library(flows.default_sources())
KNOWLEDGE = demo_knowledge()
TPS = TpsIndex(parse_csv((Path(__file__).resolve().parents[1] / "knowledge/data/tps_demo.csv").read_text()).stations)
START = datetime(2026, 11, 22, tzinfo=timezone.utc)

PAYLOADS = sorted(
    {b.payload for f in LIBRARY.flows.values() for s in f.steps.values() if isinstance(s, Say) for b in s.buttons}
    | {f"flow:{flow_id}" for flow_id in LIBRARY.flows}
    | {"answer:yes", "answer:no", "answer:all", "answer:money_politics", "answer:nonsense", "q:none", "menu",
       "human", "consent:yes", "consent:no", "garbage"}
)
WORDS = ["halo", "cari tps", "/tps", "menu", "batal", "kembali", "ya", "tidak", "3", "sukagalh", "dago",
         "jam berapa tps buka?", "lapor pelanggaran", "pengingat", "apa yang penting", "pindah memilih", "cek dpt",
         "makasih", "What time do polling stations open?", "", "🗳️", "x" * 300, "12345678901234567"]

inputs = st.one_of(
    st.builds(lambda t: ("text", t), st.sampled_from(WORDS)),
    st.builds(lambda t: ("text", t), st.text(max_size=40)),
    st.builds(lambda p: ("payload", p), st.sampled_from(PAYLOADS)),
    st.builds(lambda la, lo: ("location", (la, lo)), st.floats(-11, 6), st.floats(95, 141)),
)
turns = st.lists(st.tuples(inputs, st.integers(0, 45), st.sampled_from([None, True, False])), max_size=10)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(turns)
def test_no_input_sequence_crashes_or_leaves_an_undefined_step(sequence: list) -> None:
    session: dict[str, object] = {}
    now = START
    for (kind, value), minutes, consent in sequence:
        now += timedelta(minutes=minutes)
        parse = nlu.parse(nlu.clean(value)[: nlu.MAX_TEXT_CHARS]) if kind == "text" else None
        turn = Turn(now, parse, value if kind == "payload" else None, value if kind == "location" else None)
        session, events = resume(session, turn, Context(KNOWLEDGE, "id", consent, library=LIBRARY, tps=TPS))
        json.dumps(session)  # storable as it is
        position = session.get("flow")
        if position is not None:
            assert isinstance(position, dict)
            flow = LIBRARY.version(position["id"], position["version"])
            assert flow is not None and isinstance(flow.steps.get(position["step"]), Ask), position
        assert all(isinstance(e, flows.Reply) is False or e.text for e in events)

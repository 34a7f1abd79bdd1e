"""Property (issue 16): from any reachable state of any default flow, whatever the voter sends next
— answers, off-topic questions, small talk, emoji, gibberish, STOP — the bot never replies "not
understood" twice in a row. Pure: the engine alone, with the shipped flows and knowledge base;
STOP and MULAI are played as the conversation loop plays them (the flow ends, then silence)."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import flows
import nlu
from flows import Context, Reply, Turn, resume
from flows.steps.ask import Ask
from test_flows_properties import KNOWLEDGE, LIBRARY, START, TPS

#: Every "your answer was not understood" text: the engine's own and each question's ``invalid``.
NOT_UNDERSTOOD = frozenset(
    {flows.text("invalid", language) for language in ("id", "en")}
    | {value for flow in LIBRARY.flows.values() for step in flow.steps.values()
       if isinstance(step, Ask) and step.invalid is not None for value in step.invalid.values.values()}
)
ANSWERS = ["ya", "tidak", "ga tau", "1", "2", "3", "Sukajadi", "coblong", "desa loa janan ilir", "Semuanya",
           "Hari pemungutan", "politik uang", "kemarin sore di balai desa", "besok", "12", "saya pindah ke bekasi"]
OFF_TOPIC = ["harga cabe skrg brp ya", "siapa calon gubernur yg paling bagus?", "jam berapa tps buka?",
             "gw pertama kali nyoblos nih bro, caranya gmn sih biar sah", "jalan di desa kami rusak parah",
             "What time do polling stations open?", "cuaca besok gimana"]
SMALL_TALK = ["makasih ya", "ok", "wkwkwk", "halo", "sip", "bye"]
EMOJI = ["👍", "🙏🙏", "😂", "🗳️"]
GIBBERISH = ["asdfgh", "qwerty zxcv", "!!!", "xyz 123", "hmm", "...", "aaaaaaa", "kjdfh skdjf"]
STOP = ["STOP", "mulai"]

messages = st.one_of(
    st.sampled_from(ANSWERS + OFF_TOPIC + SMALL_TALK + EMOJI + GIBBERISH + STOP).map(lambda t: ("text", t)),
    st.text(max_size=20).map(lambda t: ("text", t)),
    st.sampled_from(["answer:yes", "answer:no", "answer:all", "resume:yes", "resume:no"]).map(lambda p: ("payload", p)),
    st.tuples(st.floats(-8, -6), st.floats(106, 108)).map(lambda at: ("location", at)),
)


class Voter:
    """One voter talking to the engine, with STOP and MULAI handled as the loop handles them."""

    def __init__(self, consent: bool | None) -> None:
        self.session: dict[str, object] = {}
        self.consent, self.opted_out, self.now = consent, False, START

    def send(self, kind: str, value: object) -> list[Reply]:
        self.now += timedelta(minutes=1)
        parse = nlu.parse(nlu.clean(value)[: nlu.MAX_TEXT_CHARS]) if kind == "text" else None
        if parse is not None and parse.command == "opt_out":
            self.session.pop("flow", None)
            self.opted_out, self.consent = True, None
            return [Reply(flows.text("opted_out", "id"), kind="stopped")]
        if self.opted_out and not (parse is not None and parse.command == "opt_in"):
            return []  # opted out: stored, never answered
        if parse is not None and parse.command == "opt_in":
            self.opted_out, self.session, parse = False, {}, nlu.parse("halo")
        turn = Turn(self.now, parse, value if kind == "payload" else None, value if kind == "location" else None)
        context = Context(KNOWLEDGE, "id", self.consent, library=LIBRARY, tps=TPS)
        self.session, events = resume(self.session, turn, context)
        for event in events:
            if isinstance(event, flows.RecordConsent):
                self.consent = event.granted
        return [e for e in events if isinstance(e, Reply)]


def _not_understood(replies: list[Reply]) -> bool:
    return any(r.text in NOT_UNDERSTOOD for r in replies)


def _play(flow_id: str, consent: bool | None, sequence: list[tuple[str, object]]) -> list[tuple[object, list[str]]]:
    voter = Voter(consent)
    transcript: list[tuple[object, list[str]]] = []
    previous = False
    for kind, value in [("payload", flows.PAYLOAD_FLOW + flow_id), *sequence]:
        replies = voter.send(kind, value)
        transcript.append((value, [r.text[:60] for r in replies]))
        current = _not_understood(replies)
        assert not (previous and current), transcript
        previous = current
    return transcript


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(LIBRARY.flows)), st.sampled_from([None, True, False]), st.lists(messages, max_size=8))
def test_no_default_flow_says_not_understood_twice_in_a_row(flow_id: str, consent: bool | None, sequence: list) -> None:
    _play(flow_id, consent, sequence)


def test_two_answers_that_do_not_fit_leave_each_flow_with_help() -> None:
    """The plainest trap: gibberish twice at every flow's first question."""
    for flow_id in sorted(LIBRARY.flows):
        transcript = _play(flow_id, True, [("text", "asdfgh"), ("text", "qwerty zxcv"), ("text", "kjdfh skdjf")])
        assert transcript


def test_the_not_understood_texts_are_known() -> None:
    assert flows.text("invalid", "id") in NOT_UNDERSTOOD and len(NOT_UNDERSTOOD) > 2

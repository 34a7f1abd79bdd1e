"""The conversation engine: ``(session, turn, context) → (new session, events)``.

Pure: the session is a JSON-able dict, time comes in with the turn, the flows and data come
in with the context, and every effect is returned as an event for ``bot`` to apply.

Session shape (stored by ``bot`` as JSON)::

    {"last_seen": ISO time,
     "memory": {"session.NAME": ..., "signal.NAME": ...},   # for the whole conversation
     "flow": {"id", "version", "step", "results", "retries", "history"}}  # only while in a flow

A session in a flow always waits at an ``ask`` step of the exact flow version it started on.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from knowledge import Abstain, Answer, Clarify
from knowledge.hoaxes import HoaxMatch
from nlu import Language

from nlu.conversation_acts import is_question, small_talk
from nlu.yes_no import read_yes_no

from .actions.answer_question import answer_text, clarify_reply, correction_reply
from .acts import PAYLOAD_LEAVE, PAYLOAD_RESUME, act_of, continue_offer, reply_to
from .answers import is_unsure, prefilled, read_answer
from .events import Button, Event, FlowEnded, FlowStarted, QueueUnanswered, Reply, SetLanguage, SetSignal
from .model import PAYLOAD_ANSWER, PAYLOAD_QUESTION, Flow
from .run import Context, End, Run, StartFlow, Turn, Wait
from .steps.ask import Ask
from .texts import label, text

Session = dict[str, object]

PAYLOAD_CONSENT_YES = "consent:yes"
PAYLOAD_CONSENT_NO = "consent:no"
PAYLOAD_MENU = "menu"
PAYLOAD_HUMAN = "human"
PAYLOAD_FLOW = "flow:"  # followed by a flow id

# Reserved flow ids the engine starts itself.
MENU_FLOW, CONSENT_FLOW = "menu", "consent"
# Words that work everywhere, in any flow (the whole message, after normalisation).
CANCEL_WORDS = frozenset({"batal", "batalkan", "cancel", "udahan", "sudahi"})
BACK_WORDS = frozenset({"kembali", "back", "balik", "sebelumnya"})
MENU_WORDS = frozenset({"menu", "menu utama", "main menu"})
# After this many messages in a row that answer something else, the voter leaves the flow.
MAX_DIGRESSIONS = 2
# "Not understood" is said at most this many times in a row: the next answer that does not fit
# takes the question's fallback or leaves the flow with help, whatever the step's ``retries``
# (a voter is never told twice in a row that they were not understood).
MAX_NOT_UNDERSTOOD = 1
# Remembered for one turn after the consent question, so a typed "ya boleh" answers it.
CONSENT_PENDING = "session.consent_pending"
# Set once the consent question was asked again after a hesitant answer ("hmm", "mungkin"): the
# next unclear answer is handled like any other message.
CONSENT_ASKED_AGAIN = "session.consent_asked_again"
# A guard against run-away flows: the validator rejects loops without a question, and
# cross-flow gotos are bounded here.
MAX_STEPS_PER_TURN = 60


def resume(session: Session, turn: Turn, context: Context) -> tuple[Session, list[Event]]:
    """Run one turn and return the new session and the events it produced."""
    conversation = _Conversation.start(session, turn, context)
    conversation.handle()
    return conversation.session(), conversation.events


@dataclass(slots=True)
class _Conversation:
    turn: Turn
    context: Context
    language: Language
    memory: dict[str, str]
    position: dict[str, object] | None
    returning: bool
    events: list[Event] = field(default_factory=list)
    consent: bool | None = None
    region: str = ""
    knowledge_result: Answer | Clarify | Abstain | None = None
    hoax_result: tuple[HoaxMatch | None] | None = None  # looked up once per turn; (None,) = no hoax
    consent_pending: bool = False

    @classmethod
    def start(cls, session: Session, turn: Turn, context: Context) -> "_Conversation":
        memory = session.get("memory")
        memory = {str(k): str(v) for k, v in memory.items()} if isinstance(memory, dict) else {}
        if session.get("consent_asked") is True:  # sessions stored before flows existed
            memory["session.consent_asked"] = "yes"
        position = session.get("flow")
        returning = _is_expired(session, turn.now, context)
        self = cls(turn, context, context.language, memory, position if _is_position(position) else None,
                   returning, consent=context.consent, region=context.region or "",
                   consent_pending=memory.pop(CONSENT_PENDING, None) == "yes")
        if turn.parse is not None and turn.parse.language != context.language:
            self.language = turn.parse.language
            self.events.append(SetLanguage(self.language))
        for notice in turn.notices:
            self.events.append(Reply(text(notice, self.language)))
        if returning and self.position is not None:
            self._leave("expired")
        return self

    def session(self) -> Session:
        if self.consent is None and any(
            b.payload == PAYLOAD_CONSENT_YES for e in self.events if isinstance(e, Reply) for b in e.buttons
        ):
            self.memory[CONSENT_PENDING] = "yes"
        result: Session = {"last_seen": self.turn.now.isoformat(), "memory": dict(self.memory)}
        if self.position is not None:
            result["flow"] = self.position
        return result

    # --- dispatch -------------------------------------------------------------------------

    def handle(self) -> None:
        parse = self.turn.parse
        if parse is not None:
            for signal in parse.signals:
                self.memory[f"signal.{signal.name}"] = signal.value
                self.events.append(SetSignal(signal.name, signal.value, signal.confidence, signal.evidence,
                                             signal.source))
        intent = parse.intent.name if parse and parse.intent else None
        if self.returning and intent != "greet":
            self.events.append(Reply(text("welcome_back", self.language)))
        if self.turn.payload is not None:
            self._on_payload(self.turn.payload)
        elif parse is not None and parse.normalised:
            self._on_text(parse.normalised.strip(" .!?,"), intent)
        elif self.turn.location is not None:
            self._on_location()
        elif parse is not None and act_of(parse) == "small_talk":  # emoji only: 👍, 🙏
            self.events.append(reply_to("small_talk", parse, self.language, self.consent))
            if self.position is not None and (current := self._current()) is not None:
                self._digressed(current[0])
        elif parse is not None:
            self.events.append(Reply(text("empty", self.language)))

    def _on_payload(self, payload: str) -> None:
        library = self.context.library
        if payload == PAYLOAD_MENU:
            self._menu()
        elif payload.startswith(PAYLOAD_QUESTION):
            entry = self.context.knowledge.entries.get(payload.removeprefix(PAYLOAD_QUESTION))
            if entry is None:
                self._menu()
                return
            self.events.append(Reply(answer_text(entry.answer_in(self.language), entry.source.title,
                                                 entry.source.url), answer_id=entry.id, kind="answer"))
            self._reprompt()
        elif payload.startswith(PAYLOAD_ANSWER) and self.position is not None:
            self._answer()
        elif payload == PAYLOAD_RESUME and self.position is not None:
            self.position["digressions"] = 0
            self._reprompt()
        elif payload == PAYLOAD_LEAVE and self.position is not None:
            self._leave("cancelled")
            self.events.append(Reply(text("left_flow", self.language)))
        elif (flow := library.for_payload(payload)) is not None:
            self._leave("replaced")
            self._begin(flow)
        else:
            self._menu()

    def _on_text(self, words: str, intent: str | None) -> None:
        if words in CANCEL_WORDS:
            self._cancel()
        elif words in BACK_WORDS:
            self._back()
        elif words in MENU_WORDS or (intent == "help" and self.position is None):
            self._menu()
        elif self.position is not None:
            self._answer()
        elif (consent := self._typed_consent()) is not None:
            self._on_payload(consent)
        elif self._hesitates_over_consent():
            self._ask_consent_again()
        else:
            self._outside_flow(words, intent)

    def _outside_flow(self, words: str, intent: str | None) -> None:
        """Neutrality first, then a flow the message starts, small talk, a concern, a question."""
        parse = self.turn.parse
        assert parse is not None
        act = act_of(parse)
        # A voter repeating a known hoax gets its correction, even when a flow's keyword is in it.
        correcting = act != "candidate" and self._correction() is not None
        flow = self.context.library.for_text(parse.text, words, intent) if act != "candidate" and not correcting \
            else None
        if flow is not None and (act != "small_talk" or small_talk(parse.text, parse.normalised, intent) == "greet"):
            self._begin(flow, prefill=True)  # a greeting starts the welcome; thanks and "ok" get a word back
        elif act is not None and not correcting:
            self.events.append(reply_to(act, parse, self.language, self.consent))
            if act == "concern":
                self._offer_consent()
        else:
            self._answer_question()
            if parse.signals:
                self._offer_consent()

    def _consent_reading(self) -> str | None:
        """Right after the consent question, the typed answer to it, read strictly: consent must
        be explicit, so a message that asks something ("ya, tps saya dimana?") gives none."""
        parse = self.turn.parse
        if not self.consent_pending or self.consent is not None or parse is None:
            return None
        return read_yes_no(parse.text, parse.normalised, strict=True)

    def _typed_consent(self) -> str | None:
        """A typed yes or no to the consent question answers it like its buttons."""
        return {"yes": PAYLOAD_CONSENT_YES, "no": PAYLOAD_CONSENT_NO}.get(self._consent_reading() or "")

    def _hesitates_over_consent(self) -> bool:
        """"hmm", "mungkin", "ga tau" to the consent question, the first time."""
        return self._consent_reading() in ("unsure", "unclear") and CONSENT_ASKED_AGAIN not in self.memory

    def _ask_consent_again(self) -> None:
        self.memory[CONSENT_ASKED_AGAIN] = "yes"
        self.memory.pop("session.consent_asked", None)  # the consent flow asks once per conversation
        self.events.append(Reply(text("consent_again", self.language), kind="clarify"))
        self._offer_consent()

    def _on_location(self) -> None:
        if self.position is not None:
            self._answer()
        else:
            self.events.append(Reply(text("location_outside_flow", self.language)))

    # --- built-in behaviours ------------------------------------------------------------

    def _knowledge(self) -> Answer | Clarify | Abstain:
        """The knowledge base's answer to this turn's text, looked up at most once per turn."""
        if self.knowledge_result is None:
            parse = self.turn.parse
            assert parse is not None
            self.knowledge_result = self.context.knowledge.answer(
                parse.text, today=self.turn.now.date(), vector=parse.vector
            )
        return self.knowledge_result

    def _correction(self) -> HoaxMatch | None:
        """The known hoax this turn's text repeats or asks about, looked up at most once per turn."""
        if self.hoax_result is None:
            parse = self.turn.parse
            assert parse is not None
            self.hoax_result = (self.context.knowledge.correction(parse.text, parse.vector),)
        return self.hoax_result[0]

    def _answer_question(self) -> None:
        """Correct a known hoax, answer the voter's text from knowledge, or say honestly that we
        can't and queue it."""
        parse = self.turn.parse
        assert parse is not None
        if (match := self._correction()) is not None:
            self.events.append(correction_reply(match, self.language))
            return
        result = self._knowledge()
        if isinstance(result, Abstain):
            self.events += [
                QueueUnanswered(parse.redacted, result.candidates),
                Reply(text("fallback", self.language), (Button(label("human", self.language), PAYLOAD_HUMAN),),
                      kind="not_known"),
            ]
            return
        if isinstance(result, Clarify):
            self.events += [QueueUnanswered(parse.redacted, result.candidates, kind="clarified"),
                            clarify_reply(result, self.language)]
            return
        entry = result.entry
        self.events.append(Reply(answer_text(entry.answer_in(self.language), entry.source.title, entry.source.url),
                                 answer_id=entry.id, kind="answer"))

    def _offer_consent(self) -> None:
        if self.consent is None and CONSENT_FLOW in self.context.library.flows:
            self._begin(self.context.library.flows[CONSENT_FLOW])

    def _menu(self) -> None:
        self._leave("cancelled")
        menu = self.context.library.flows.get(MENU_FLOW)
        if menu is not None:
            self._begin(menu)
        else:
            self.events.append(Reply(text("menu", self.language), (Button(label("human", self.language), PAYLOAD_HUMAN),)))

    def _cancel(self) -> None:
        if self.position is None:
            self.events.append(Reply(text("nothing_to_cancel", self.language)))
            return
        self._leave("cancelled")
        self.events.append(Reply(text("cancelled", self.language)))

    def _back(self) -> None:
        position = self.position
        history = list(position.get("history", [])) if position else []
        if position is None or len(history) < 2:
            self._menu()
            return
        history.pop()
        position.update(step=history[-1], retries=0, history=history)
        self._reprompt()

    # --- flows ------------------------------------------------------------------------------

    def _current(self) -> tuple[Flow, Ask] | None:
        """The flow version and question the session waits at, or ``None`` (and the session leaves)."""
        position = self.position
        if position is None:
            return None
        flow = self.context.library.version(str(position.get("id")), str(position.get("version")))
        step = flow.steps.get(str(position.get("step"))) if flow else None
        if flow is None or not isinstance(step, Ask):
            self._leave("failed")
            self.events.append(Reply(text("flow_gone", self.language)))
            return None
        return flow, step

    def _reprompt(self) -> None:
        """Ask the current question again (after a mid-flow answer or going back)."""
        current = self._current()
        if current is not None:
            self._run(current[0], current[1].id, dict(self._results()))

    def _results(self) -> dict[str, str]:
        results = self.position.get("results") if self.position else None
        return {str(k): str(v) for k, v in results.items()} if isinstance(results, dict) else {}

    def _answer(self) -> None:
        current = self._current()
        if current is None:
            return
        flow, ask = current
        run = self._new_run(flow, self._results())
        parse = self.turn.parse
        # Free text accepts anything, so only a message ending in "?" that knowledge can
        # answer counts as a question in between.
        if ask.type == "text" and parse is not None and parse.text.rstrip().endswith("?") and self._knows():
            self._answer_question()
            self._reprompt()
            return
        value = read_answer(ask, run)
        if value is not None:
            run.results["answer"] = value
            if ask.save_as:
                run.results[ask.save_as] = value
            self._continue(run, ask.next)
            return
        if ask.type == "yes_no" and ask.fallback and is_unsure(run):
            self._continue(run, ask.fallback)  # "ga tau": the flow's way on for the unsure
            return
        if parse is not None and parse.normalised:
            intent = parse.intent.name if parse.intent else None
            act = act_of(parse)
            if act != "candidate" and self._correction() is not None:
                self._answer_question()  # a repeated hoax: corrected, then the flow is offered again
                self._digressed(flow)
                return
            other = self.context.library.for_text(parse.text, parse.normalised, intent)
            if other is not None and other.id not in (flow.id, MENU_FLOW) and act in (None, "concern"):
                self._leave("replaced")  # the voter asked for another flow ("eh, mau lapor …")
                self._begin(other, prefill=True)
                return
            if act is not None:
                self.events.append(reply_to(act, parse, self.language, self.consent))
                self._digressed(flow)
                return
            # A question, or a message knowledge answers outright, is something else; a place
            # that is not in our data is a wrong answer to try again.
            if is_question(parse.text, parse.normalised) or isinstance(self._knowledge(), Answer):
                self._answer_question()
                self._digressed(flow)
                return
        self._retry(flow, ask)

    def _digressed(self, flow: Flow) -> None:
        """After answering something else: offer to go on, or leave when it keeps happening."""
        assert self.position is not None
        digressions = int(self.position.get("digressions", 0)) + 1  # type: ignore[call-overload]
        if digressions >= MAX_DIGRESSIONS:
            self._leave("digressed")
            title = flow.title.get(self.language)
            self.events.append(Reply(text("left_after_digressions", self.language).format(flow=title),
                                     (Button(title, PAYLOAD_FLOW + flow.id),
                                      Button(label("menu", self.language), PAYLOAD_MENU))))
            return
        self.position["digressions"] = digressions
        self.events.append(continue_offer(flow.title.get(self.language), self.language))

    def _knows(self) -> bool:
        return self._correction() is not None or not isinstance(self._knowledge(), Abstain)

    def _retry(self, flow: Flow, ask: Ask) -> None:
        assert self.position is not None
        retries = int(self.position["retries"]) + 1  # type: ignore[call-overload]
        if retries > min(ask.retries, MAX_NOT_UNDERSTOOD):
            if ask.fallback:
                self._continue(self._new_run(flow, self._results()), ask.fallback)
            else:
                self._leave("failed")
                self.events.append(Reply(text("too_many_tries", self.language),
                                         (Button(label("menu", self.language), PAYLOAD_MENU),)))
            return
        run = self._new_run(flow, self._results())
        run.say(ask.invalid or text("invalid", self.language))
        self.position["retries"] = retries
        ask.execute(run)
        self.events.extend(run.events)

    def _begin(self, flow: Flow, prefill: bool = False) -> None:
        """Start ``flow``; with ``prefill``, a place named in this message answers its first question."""
        self.events.append(FlowStarted(flow.id, flow.version))
        self.position = {"id": flow.id, "version": flow.version, "step": flow.start, "results": {},
                         "retries": 0, "history": []}
        self._continue(self._new_run(flow, {}), flow.start, prefill=prefill)

    def _new_run(self, flow: Flow, results: dict[str, str]) -> Run:
        return Run(self.context, self.turn, self.language, flow, results, self.memory, [], self.consent, self.region)

    def _run(self, flow: Flow, step_id: str, results: dict[str, str]) -> None:
        self._continue(self._new_run(flow, results), step_id)

    def _continue(self, run: Run, step_id: str | None, prefill: bool = False) -> None:
        """Execute steps from ``step_id`` until one waits, the flow ends or the guard trips.

        With ``prefill``, the first question is answered from the message that started the flow
        when it already names what the question asks ("tps saya di desa Sukajadi")."""
        steps_taken = 0
        while True:
            steps_taken += 1
            step = run.flow.steps.get(step_id or "")
            if step_id is None:
                outcome: object = End()
            elif step is None or steps_taken > MAX_STEPS_PER_TURN:
                self._flush(run)
                self._leave("failed")
                self.events.append(Reply(text("flow_gone", self.language)))
                return
            elif prefill and isinstance(step, Ask):
                prefill = False
                value = prefilled(step, run)
                if value is None:
                    continue  # the same step, now asked
                run.results["answer"] = value
                if step.save_as:
                    run.results[step.save_as] = value
                step_id = step.next
                continue
            else:
                outcome = step.execute(run)
            if isinstance(outcome, Wait):
                self._flush(run)
                self._wait_at(run, step_id or "")
                return
            if isinstance(outcome, End):
                self._flush(run)
                self._leave("completed")
                return
            if isinstance(outcome, StartFlow):
                self._flush(run)
                self._leave("completed")
                target = self.context.library.flows.get(outcome.flow_id)
                if target is None:
                    self.events.append(Reply(text("flow_gone", self.language)))
                    return
                self.events.append(FlowStarted(target.id, target.version))
                self.position = {"id": target.id, "version": target.version, "step": target.start,
                                 "results": {}, "retries": 0, "history": []}
                run = self._new_run(target, {})
                step_id = target.start
                continue
            step_id = str(outcome)

    def _flush(self, run: Run) -> None:
        """Take over what the steps did: their events and what they learnt about the contact."""
        self.events.extend(run.events)
        run.events.clear()
        self.consent, self.region = run.consent, run.region

    def _wait_at(self, run: Run, step_id: str) -> None:
        history = [str(h) for h in (self.position or {}).get("history", [])] if self.position else []
        if not history or history[-1] != step_id:
            history.append(step_id)
        self.position = {"id": run.flow.id, "version": run.flow.version, "step": step_id,
                         "results": dict(run.results), "retries": 0, "history": history}

    def _leave(self, reason: str) -> None:
        if self.position is not None:
            self.events.append(FlowEnded(str(self.position.get("id")), str(self.position.get("version")), reason))
            self.position = None


def _is_position(value: object) -> bool:
    """A stored flow position has the shape :meth:`_Conversation._wait_at` writes (else it is dropped)."""
    return (
        isinstance(value, dict)
        and all(isinstance(value.get(key), str) for key in ("id", "version", "step"))
        and isinstance(value.get("results"), dict)
        and isinstance(value.get("history"), list)
        and isinstance(value.get("retries"), int)
    )


def _is_expired(session: Session, now: datetime, context: Context) -> bool:
    last_seen = session.get("last_seen")
    if not isinstance(last_seen, str):
        return False
    try:
        return now - datetime.fromisoformat(last_seen) > context.session_timeout
    except (ValueError, TypeError):
        return False

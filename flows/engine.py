"""The conversation engine: ``(session, turn, context) → (new session, events)``.

Pure: the session is a JSON-able dict, time comes in with the turn, and every effect is
returned as an event for ``bot`` to apply. This version runs the built-in welcome, help
menu, consent question, question answering and fallback; staff-editable flows plug in here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from knowledge import Abstain, Clarify, KnowledgeBase
from nlu import Language, ParseResult

from .events import Button, Event, Handover, QueueUnanswered, RecordConsent, Reply, SetLanguage, SetSignal
from .texts import CONSENT_VERSION, label, text

Session = dict[str, object]

PAYLOAD_CONSENT_YES = "consent:yes"
PAYLOAD_CONSENT_NO = "consent:no"
PAYLOAD_MENU = "menu"
PAYLOAD_HUMAN = "human"
PAYLOAD_QUESTION = "q:"  # followed by an FAQ entry id

# FAQ entries behind the welcome and menu buttons.
MENU_TOPICS = (("hours", "jam-buka-tps"), ("how_to_vote", "cara-mencoblos"), ("check_dpt", "cek-dpt-online"))


@dataclass(frozen=True, slots=True)
class Turn:
    """One input from the voter at time ``now``: a parsed text, a pressed button or a location."""

    now: datetime
    parse: ParseResult | None = None
    payload: str | None = None
    location: tuple[float, float] | None = None
    notices: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True, slots=True)
class Context:
    """What the engine may read about the world: the knowledge base and the contact."""

    knowledge: KnowledgeBase
    language: Language
    consent: bool | None
    session_timeout: timedelta = timedelta(minutes=30)


def resume(session: Session, turn: Turn, context: Context) -> tuple[Session, list[Event]]:
    """Run one turn and return the new session and the events it produced."""
    events: list[Event] = []
    language = context.language
    if turn.parse is not None and turn.parse.language != context.language:
        language = turn.parse.language
        events.append(SetLanguage(language))
    for notice in turn.notices:
        events.append(Reply(text(notice, language)))

    returning = _is_expired(session, turn.now, context.session_timeout)
    new_session: Session = {**session, "last_seen": turn.now.isoformat()}

    if turn.payload is not None:
        events.extend(_on_payload(turn.payload, language, context))
    elif turn.parse is not None and turn.parse.normalised:
        events.extend(_on_text(turn.parse, turn.now.date(), language, context, new_session, returning))
    elif turn.parse is not None:
        events.append(Reply(text("empty", language)))
    return new_session, events


def _is_expired(session: Session, now: datetime, timeout: timedelta) -> bool:
    last_seen = session.get("last_seen")
    if not isinstance(last_seen, str):
        return False
    return now - datetime.fromisoformat(last_seen) > timeout


def _on_payload(payload: str, language: Language, context: Context) -> list[Event]:
    if payload == PAYLOAD_CONSENT_YES:
        return [RecordConsent(True, CONSENT_VERSION), Reply(text("consent_given", language))]
    if payload == PAYLOAD_CONSENT_NO:
        return [RecordConsent(False, CONSENT_VERSION), Reply(text("consent_refused", language))]
    if payload == PAYLOAD_HUMAN:
        return [Handover("voter asked for a person"), Reply(text("handover", language))]
    if payload.startswith(PAYLOAD_QUESTION):
        entry = context.knowledge.entries.get(payload.removeprefix(PAYLOAD_QUESTION))
        if entry is not None:
            return [_answer_reply(entry.answer_in(language), entry.source.title, entry.source.url, entry.id)]
    return [_menu(language, context)]


def _on_text(
    parse: ParseResult, today: date, language: Language, context: Context, session: Session, returning: bool
) -> list[Event]:
    events: list[Event] = [
        SetSignal(s.name, s.value, s.confidence, s.evidence, s.source) for s in parse.signals
    ]
    intent = parse.intent.name if parse.intent else None
    if returning and intent != "greet":
        events.append(Reply(text("welcome_back", language)))
    if intent == "greet":
        events.append(Reply(text("welcome", language), _topic_buttons(language, context)))
    elif intent == "help":
        events.append(_menu(language, context))
    elif intent == "human":
        events += [Handover("voter asked for a person"), Reply(text("handover", language))]
    elif intent == "thanks":
        events.append(Reply(text("thanks", language)))
    else:
        events.extend(_answer(parse, today, language, context))
    if context.consent is None and not session.get("consent_asked") and (intent == "greet" or parse.signals):
        session["consent_asked"] = True
        events.append(_consent_question(language))
    return events


def _answer(parse: ParseResult, today: date, language: Language, context: Context) -> list[Event]:
    result = context.knowledge.answer(parse.text, today=today, vector=parse.vector)
    if isinstance(result, Clarify):
        return [Reply(
            text("clarify", language),
            tuple(Button(option.question_in(language)[:60], PAYLOAD_QUESTION + option.id) for option in result.options),
        )]
    if isinstance(result, Abstain):
        return [
            QueueUnanswered(parse.redacted, result.candidates),
            Reply(text("fallback", language), (Button(label("human", language), PAYLOAD_HUMAN),)),
        ]
    entry = result.entry
    return [_answer_reply(entry.answer_in(language), entry.source.title, entry.source.url, entry.id)]


def _answer_reply(answer: str, source_title: str, source_url: str, entry_id: str) -> Reply:
    source = f"\n\n{source_title}: {source_url}" if source_url else ""
    return Reply(answer + source, answer_id=entry_id)


def _topic_buttons(language: Language, context: Context) -> tuple[Button, ...]:
    topics = tuple(
        Button(label(key, language), PAYLOAD_QUESTION + entry_id)
        for key, entry_id in MENU_TOPICS
        if entry_id in context.knowledge.entries
    )
    return (*topics, Button(label("menu", language), PAYLOAD_MENU))


def _menu(language: Language, context: Context) -> Reply:
    topics = _topic_buttons(language, context)[:-1]
    return Reply(text("menu", language), (*topics, Button(label("human", language), PAYLOAD_HUMAN)))


def _consent_question(language: Language) -> Reply:
    return Reply(
        text("consent", language),
        (
            Button(label("consent_yes", language), PAYLOAD_CONSENT_YES),
            Button(label("consent_no", language), PAYLOAD_CONSENT_NO),
        ),
    )

"""The conversation loop: one inbound message in, stored and understood, replies out.

dedupe → contact → opt-out check → ``nlu.parse`` → ``flows.resume`` → apply the events in
ONE transaction → return the replies for the channel adapter to send.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import flows
import nlu
from flows import (
    ActionRequest,
    Button,
    Context,
    Event,
    FlowEnded,
    FlowStarted,
    Handover,
    QueueUnanswered,
    RecordConsent,
    Reply,
    SetField,
    SetLanguage,
    SetSignal,
    Subscribe,
    Turn,
    Unsubscribe,
)
from flows import privacy as wording
from knowledge import KnowledgeBase

from bot.conversation import handover, privacy, profile
from bot.conversation.keyed_locks import KeyedLocks
from bot.conversation.messages import HandleResult, InboundMessage, OutboundMessage
from bot.storage import turns as store
from bot.storage.content import ContentCache
from bot.storage.models import Contact, Message
from bot.telemetry.logs import failure_site
from bot.telemetry.metrics import Metrics
from bot.understanding.local import LocalNlu, Understanding

log = logging.getLogger("suara.loop")

ERROR_REPLY = (
    "Maaf, terjadi gangguan di sistem kami. Silakan coba lagi sebentar lagi. "
    "/ Sorry, something went wrong on our side. Please try again shortly."
)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ConversationLoop:
    """Processes inbound messages: in arrival order per contact, in parallel across contacts."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        knowledge: Callable[[], KnowledgeBase],
        metrics: Metrics,
        *,
        default_language: nlu.Language = "id",
        timezone_name: str = "Asia/Jakarta",
        session_timeout: timedelta = timedelta(minutes=30),
        clock: Callable[[], datetime] = utcnow,
        content: ContentCache | None = None,
        understanding: Understanding | None = None,
    ) -> None:
        self._sessions = sessions
        self._knowledge = knowledge
        self._metrics = metrics
        self._default_language = default_language
        self._timezone = timezone_name
        self._session_timeout = session_timeout
        self._clock = clock
        self._locks = KeyedLocks()
        self._content = content or ContentCache()
        # embeds each message once, for intents, knowledge and signals
        self._understanding = understanding or LocalNlu()

    @property
    def metrics(self) -> Metrics:
        """The counters this loop reports to; the channels around it count into the same."""
        return self._metrics

    async def close(self) -> None:
        """Release the NLU backend's connections."""
        await self._understanding.close()

    async def handle(self, inbound: InboundMessage) -> HandleResult:
        """Process ``inbound`` exactly once and return the replies to send.

        A message handled before (a retry, a redelivery, a concurrent duplicate) is not processed
        again: the result is ``duplicate`` with the replies stored for it then, which the channel
        sends again under the same outbox keys (a no-op once recorded) or returns again (web).
        """
        started = time.perf_counter()
        self._metrics.messages_in.labels(inbound.channel).inc()
        async with self._locks.hold((inbound.channel, inbound.external_id)):
            try:
                result = await self._process(inbound)
            except IntegrityError:
                # A concurrent worker stored the same channel message id first (and committed).
                async with self._sessions() as db:
                    result = HandleResult(await _stored_replies(db, inbound), duplicate=True)
            except Exception as exc:  # noqa: BLE001 - the voter gets an apology, the log the place
                self._metrics.errors.labels(inbound.channel).inc()
                # type and place only: the message can quote the voter's text
                log.error("message_failed", extra={"channel": inbound.channel, "error": type(exc).__name__,
                                                   "at": failure_site(exc)})
                return HandleResult((OutboundMessage(inbound.channel, inbound.external_id, ERROR_REPLY),))
        elapsed = time.perf_counter() - started
        self._metrics.latency.labels(inbound.channel).observe(elapsed)
        if not result.duplicate:
            self._metrics.messages_out.labels(inbound.channel).inc(len(result.replies))
        return result

    async def _process(self, inbound: InboundMessage) -> HandleResult:
        now = self._clock()
        async with self._sessions() as db, db.begin():
            if await store.already_received(db, inbound.channel, inbound.message_id):
                log.info("duplicate_dropped", extra={"channel": inbound.channel})
                return HandleResult(await _stored_replies(db, inbound), duplicate=True)
            store.add_receipt(db, inbound.channel, inbound.message_id, now)
            contact = await store.contact_for(
                db, inbound.channel, inbound.external_id,
                language=self._default_language, timezone=self._timezone, now=now,
            )
            turn = _Turn(db, contact, inbound, now, default_timezone=self._timezone, understanding=self._understanding)
            replies = await turn.run(self._knowledge(), self._session_timeout, self._content)
            log.info(
                "message_processed",
                extra={"contact_id": contact.id, "channel": inbound.channel, "intent": turn.intent,
                       "replies": len(replies)},
            )
        return HandleResult(tuple(replies))


class _Turn:
    """The work of one inbound message inside its transaction."""

    def __init__(
        self, db: AsyncSession, contact: Contact, inbound: InboundMessage, now: datetime, default_timezone: str,
        understanding: Understanding,
    ) -> None:
        self.db, self.contact, self.inbound, self.now = db, contact, inbound, now
        self.default_timezone, self.understanding = default_timezone, understanding
        self.intent: str | None = None
        self.replies: list[OutboundMessage] = []

    async def run(
        self, knowledge: KnowledgeBase, session_timeout: timedelta, content: ContentCache
    ) -> list[OutboundMessage]:
        text, notices = _prepare_text(self.inbound.text)
        has_text = self.inbound.payload is None and self.inbound.location is None
        today = self.now.astimezone(ZoneInfo(self.contact.timezone)).date()  # the voter's "besok"
        parse = await self.understanding.parse(text, self.contact.language, today) if has_text else None
        command = parse.command if parse else None
        self.intent = command or (parse.intent.name if parse and parse.intent else None)
        stored = await self._store_inbound(parse)
        if self.inbound.source and not self.contact.source:
            self.contact.source = self.inbound.source[:128]

        if command == "opt_out":
            await self._opt_out(session_timeout)
            return self.replies
        if await self._privacy_request(command, text):
            return self.replies
        if self.contact.opted_out and command != "opt_in":
            return self.replies  # opted out: stored, never answered
        if command != "opt_in" and await handover.held(self.db, self.contact.id):
            return self.replies  # an agent has this conversation: stored for them, the bot stays quiet
        if command == "opt_in":
            self.contact.opted_out = False
            store.audit(self.db, self._actor, "opt_in", self._actor, {"channel": self.inbound.channel}, self.now)
            parse = await self.understanding.parse("halo", self.contact.language)

        session = await store.load_session(self.db, self.contact.id, self.now)
        if command == "opt_in":
            session = {}  # a fresh start: greeted, and asked for consent again
        library, tps = await content.current(self.db)
        context = Context(
            knowledge=knowledge,
            language=self.contact.language,
            consent=self.contact.consent,
            session_timeout=session_timeout,
            library=library,
            tps=tps,
            region=self.contact.region,
        )
        turn = Turn(now=self.now, parse=parse, payload=self.inbound.payload, location=self.inbound.location,
                    notices=notices)
        session, events = flows.resume(session, turn, context)
        for event in events:
            await self._apply(event, stored)
        await store.save_session(self.db, self.contact.id, session, self.now, session_timeout)
        return self.replies

    @property
    def _actor(self) -> str:
        return f"contact:{self.contact.id}"

    async def _store_inbound(self, parse: nlu.ParseResult | None) -> Message:
        return await store.add_message(
            self.db, self.contact, direction="in", channel=self.inbound.channel,
            text=parse.redacted if parse else "", payload=self.inbound.payload,
            channel_message_id=self.inbound.message_id, intent=self.intent,
            received_at=self.inbound.received_at, now=self.now,
        )

    async def _opt_out(self, session_timeout: timedelta) -> None:
        """STOP wins over everything, the flow the voter was in included: it ends here."""
        self.contact.opted_out = True
        session = await store.load_session(self.db, self.contact.id, self.now)
        if session.pop("flow", None) is not None:
            await store.save_session(self.db, self.contact.id, session, self.now, session_timeout)
        if self.contact.consent:
            store.record_consent(self.db, self.contact, "withdrawn", flows.CONSENT_VERSION, self.inbound.channel, self.now)
        self.contact.consent = None
        await store.unsubscribe(self.db, self.contact, "all")
        await store.cancel_deliveries(self.db, self.contact, self.now)
        store.audit(self.db, self._actor, "opt_out", self._actor, {"channel": self.inbound.channel}, self.now)
        await self._reply(Reply(flows.text("opted_out", self.contact.language), kind="stopped"))

    async def _privacy_request(self, command: str | None, text: str) -> bool:
        """/datasaya and HAPUS DATA (with its confirmation); they work even after STOP."""
        language = self.contact.language
        payload = self.inbound.payload
        if command == "my_data":
            store.audit(self.db, self._actor, "data_viewed", self._actor, {"channel": self.inbound.channel}, self.now)
            summary = await privacy.data_summary(self.db, self.contact)
            await self._reply(Reply(wording.describe_data(summary, language), kind="answer"))
        elif command == "erase_data":
            await self._reply(Reply(wording.confirmation_text(language), wording.confirmation_buttons(language),
                                    kind="ask"))
        elif payload == wording.PAYLOAD_ERASE_NO:
            await self._reply(Reply(wording.text("cancelled", language)))
        elif payload == wording.PAYLOAD_ERASE_YES or (payload is None and nlu.is_yes(text)):
            pending = await privacy.erasure_pending(self.db, self.contact, self.now)
            if pending is None and payload is None:
                return False  # an ordinary "ya", not an answer to our erase question
            if not pending:
                await self._reply(Reply(wording.text("expired", language)))
                return True
            await privacy.erase(self.db, self.contact, channel=self.inbound.channel,
                                timezone=self.default_timezone, now=self.now, voter_asked=True)
            await self._reply(Reply(wording.text("erased", language), kind="confirm"))
        else:
            return False
        return True

    async def _apply(self, event: Event, stored: Message) -> None:
        match event:
            case Reply():
                await self._reply(event)
            case SetLanguage(language=language):
                self.contact.language = language
            case SetSignal() if self.contact.consent:
                await store.add_signal(self.db, self.contact, event, stored.id, self.now)
                profile.apply_to_profile(self.contact, event)
            case SetSignal():
                pass  # no consent, no profiling
            case RecordConsent(granted=granted, version=version):
                action = "granted" if granted else "refused"
                store.record_consent(self.db, self.contact, action, version, self.inbound.channel, self.now)
            case QueueUnanswered(question=question, candidates=candidates, kind=kind):
                store.add_unanswered(self.db, self.contact, stored.id, question,
                                     [asdict(c) for c in candidates], kind, self.now)
                if kind == "abstained":  # a clarification is not a miss: the voter has a choice
                    await handover.after_unanswered(self.db, self.contact, self.now)
            case Handover(reason=reason):
                self.contact.needs_human = True
                await handover.open_conversation(self.db, self.contact, "asked_human", reason, self.now)
                store.audit(self.db, self._actor, "handover_requested", self._actor, {"reason": reason}, self.now)
            case SetField(name="region", value=value) if self.contact.consent:
                self.contact.region = value[:128]
            case Subscribe(topic=topic) if self.contact.consent:
                await store.subscribe(self.db, self.contact, topic, self.now)
            case Unsubscribe(topic=topic):
                await store.unsubscribe(self.db, self.contact, topic)
            case ActionRequest(name="record_report", params=params):
                store.add_report(self.db, self.contact, params, self.now)
            case FlowStarted() | FlowEnded():
                log.info("flow_event", extra={"contact_id": self.contact.id, "event": repr(event)})
            case SetField() | Subscribe() | ActionRequest():
                pass  # no consent (fields, subscriptions) or an action this bot does not provide

    async def _reply(self, reply: Reply) -> None:
        message = await store.add_message(
            self.db, self.contact, direction="out", channel=self.inbound.channel, text=nlu.redact(reply.text),
            buttons=reply.buttons, answer_id=reply.answer_id, kind=reply.kind, now=self.now,
        )
        self.replies.append(
            OutboundMessage(self.inbound.channel, self.inbound.external_id, reply.text, reply.buttons, message.id,
                            reply.kind)
        )


async def _stored_replies(db: AsyncSession, inbound: InboundMessage) -> tuple[OutboundMessage, ...]:
    """What this message was answered with, for a retry whose answer was lost (a crash, a time-out)."""
    return tuple(
        OutboundMessage(inbound.channel, inbound.external_id, m.text, tuple(Button(**b) for b in m.buttons or ()), m.id)
        for m in await store.replies_to(db, inbound.channel, inbound.message_id))


def _prepare_text(raw: str | None) -> tuple[str, tuple[str, ...]]:
    """Clean the voter's text and cut it to the limit, noting when it was cut."""
    text = nlu.clean(raw or "")
    if len(text) > nlu.MAX_TEXT_CHARS:
        return text[: nlu.MAX_TEXT_CHARS], ("too_long",)
    return text, ()

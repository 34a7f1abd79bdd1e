"""The database schema. Alembic migrations in ``bot/storage/migrations`` must match these models."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# BIGINT on PostgreSQL, INTEGER (the rowid alias) on SQLite so ids still autoincrement.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always stored and returned as an aware UTC datetime.

    SQLite keeps no zone, so values come back naive; this makes both databases behave alike.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(column_0_label)s",
            "uq": "uq_%(table_name)s_%(column_0_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )


class Contact(Base):
    """A voter, whichever channels they use."""

    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    language: Mapped[str] = mapped_column(String(8))
    timezone: Mapped[str] = mapped_column(String(64))
    region: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str | None] = mapped_column(String(128))
    consent: Mapped[bool | None] = mapped_column(Boolean)
    opted_out: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_human: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelIdentity(Base):
    """How a contact is known on one channel (a Telegram chat id, a WhatsApp number, a web id)."""

    __tablename__ = "channel_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_channel_identities_channel_external"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Set when the platform said this identity can no longer be reached (blocked the bot,
    # not a WhatsApp user): nothing more is sent to it and nothing is retried.
    unreachable_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ConsentRecord(Base):
    """An append-only record of consent given, refused or withdrawn, with the text version."""

    __tablename__ = "consent_records"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # granted | refused | withdrawn
    scope: Mapped[str] = mapped_column(String(64))
    text_version: Mapped[str] = mapped_column(String(32))
    channel: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConversationSession(Base):
    """The conversation state of one contact: flow position as JSON, and when it expires."""

    __tablename__ = "sessions"

    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())


class InboundReceipt(Base):
    """One row per channel message id ever processed: the key of exactly-once handling."""

    __tablename__ = "inbound_receipts"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    channel_message_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Message(Base):
    """A message in or out. ``text`` is always the redacted text."""

    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_contact_id_id", "contact_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(3))  # in | out
    channel: Mapped[str] = mapped_column(String(32))
    channel_message_id: Mapped[str | None] = mapped_column(String(128))
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(String(128))
    buttons: Mapped[list[dict[str, str]] | None] = mapped_column(JSON)
    intent: Mapped[str | None] = mapped_column(String(64))
    answer_id: Mapped[str | None] = mapped_column(String(128))
    #: What a bot reply was (``flows.REPLY_KINDS``: answer, clarify, not_known, acknowledge …);
    #: ``None`` for the voter's messages, staff replies and rows from before it was stored.
    kind: Mapped[str | None] = mapped_column(String(32))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SegmentSignal(Base):
    """Why a voter is in a segment: value, confidence, evidence and the rule or model behind it."""

    __tablename__ = "segment_signals"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    value: Mapped[str] = mapped_column(String(256))
    confidence: Mapped[float] = mapped_column(Float)
    evidence: Mapped[str] = mapped_column(Text)
    evidence_message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class UnansweredQuestion(Base):
    """A question the bot could not answer, with its near misses, waiting for staff."""

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    question: Mapped[str] = mapped_column(Text)
    candidates: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    #: ``abstained`` (the bot said it does not know) or ``clarified`` (it asked which entry was
    #: meant); ``None`` for rows from before it was stored, which were all abstentions.
    kind: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class AuditEntry(Base):
    """Who did what to which record, for accountability (no message text)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """One send to a platform, recorded before it is attempted and marked sent or failed after.

    ``idempotency_key`` makes recording the same reply twice a no-op; ``status`` goes
    pending → sent | failed. ``kind`` is ``reply`` (resumed by the sender at start-up) or
    ``reminder`` (resumed only by the dispatcher holding the channel's lease). A row is never sent
    after ``expires_at``: it fails with the error ``expired: …``; a STOP fails the voter's pending
    rows with ``opted_out: …``. What a crash may double, per channel, is in docs/delivery.md.
    """

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_id", "status", "id"),
        Index("ix_outbox_channel_platform_message_id", "channel", "platform_message_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id", ondelete="SET NULL"))
    priority: Mapped[int] = mapped_column(Integer)  # lower goes first: 0 replies, 10 bulk
    kind: Mapped[str] = mapped_column(String(16), default="reply", server_default="reply")  # reply | reminder
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(String(256))
    platform_message_id: Mapped[str | None] = mapped_column(String(128))
    delivery_status: Mapped[str | None] = mapped_column(String(16))  # sent | delivered | read | failed
    delivery_error: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # NULL: recorded before it existed


class WebhookEvent(Base):
    """A platform event accepted by a webhook (or poll) and not yet processed.

    Stored before the webhook answers 200, processed in the background, deleted once done:
    a crash in between is resumed at start-up, and the raw body (unredacted text) does not
    outlive its processing. A failed attempt redacts the body it keeps for the retry and counts
    in ``attempts``; after a bounded number the row becomes a :class:`WebhookDeadLetter`.
    """

    __tablename__ = "webhook_events"
    __table_args__ = (UniqueConstraint("channel", "event_id", name="uq_webhook_events_channel_event"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    event_id: Mapped[str] = mapped_column(String(160))
    key: Mapped[str] = mapped_column(String(128))  # events with the same key run in order
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class WebhookDeadLetter(Base):
    """An event given up on after its attempts failed: what an operator needs, no personal data.

    No body, no chat or phone (the event's key), no event id: the channel, why (the exception's
    type, never its message, which can quote the body), when, and how often it was tried.
    """

    __tablename__ = "webhook_dead_letters"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PublishedSource:
    """The columns of a staff file published as one version: its hash, file, text, author, time."""

    version: Mapped[str] = mapped_column(String(64))  # SHA-256 of the source
    file: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(128))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())


class FlowVersion(PublishedSource, Base):
    """One published version of a flow (or of the election settings, ``flow_id`` ``@election``).

    The live version of a flow is its newest row; older rows stay so that a session finishes
    on the version it started with.
    """

    __tablename__ = "flow_versions"
    __table_args__ = (UniqueConstraint("flow_id", "version", name="uq_flow_versions_flow_id_version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64))


class PollingStationRow(Base):
    """A polling station (TPS) imported with ``suara tps import``."""

    __tablename__ = "polling_stations"
    __table_args__ = (UniqueConstraint("village_code", "number", name="uq_polling_stations_village_code_number"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    province_code: Mapped[str] = mapped_column(String(16))
    province: Mapped[str] = mapped_column(String(200))
    regency_code: Mapped[str] = mapped_column(String(16))
    regency: Mapped[str] = mapped_column(String(200))
    district_code: Mapped[str] = mapped_column(String(16))
    district: Mapped[str] = mapped_column(String(200))
    village_code: Mapped[str] = mapped_column(String(16))
    village: Mapped[str] = mapped_column(String(200))
    number: Mapped[int] = mapped_column(Integer)
    address: Mapped[str] = mapped_column(String(200))
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    notes: Mapped[str] = mapped_column(String(200))
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)


class ReminderSubscription(Base):
    """A voter asked for reminders of ``topic`` (only ever stored with consent)."""

    __tablename__ = "reminder_subscriptions"
    __table_args__ = (UniqueConstraint("contact_id", "topic", name="uq_reminder_subscriptions_contact_id_topic"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Report(Base):
    """A voter's report of a violation (what, where, when), waiting for staff."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(64))
    what: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(Text)
    occurred: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())

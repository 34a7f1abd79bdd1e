"""The schema of reminders and broadcasts: campaigns and their versions, saved segments, one
reminder row per (campaign, event, voter), and the leases that give one dispatcher a channel's rate.

A reminder row is planned once (its ``idempotency_key`` is unique), then moves
planned → sending → sent → delivered → read, or ends failed / skipped / held / cancelled with a
``reason``. It is the source of truth for the campaign's results; the send itself goes through
the ordinary outbox (``outbox.idempotency_key`` = the reminder's key), which owns retries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, Id, PublishedSource, UTCDateTime

#: Reminder states. ``planned`` rows wait for ``due_at``; the others are final or in flight.
REMINDER_STATES = ("planned", "sending", "sent", "delivered", "read", "failed", "skipped", "held", "cancelled")


class Campaign(Base):
    """A reminder plan staff published, by its id from the YAML file."""

    __tablename__ = "campaigns"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    status: Mapped[str] = mapped_column(String(16))  # active | paused | cancelled
    version_id: Mapped[int] = mapped_column(ForeignKey("campaign_versions.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CampaignVersion(PublishedSource, Base):
    """One published text of a campaign file (kept for history and for the rows planned from it)."""

    __tablename__ = "campaign_versions"
    __table_args__ = (UniqueConstraint("campaign_id", "version", name="uq_campaign_versions_campaign_id_version"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    campaign_id: Mapped[str] = mapped_column(String(64))


class SavedSegment(Base):
    """A segment query staff saved under a name."""

    __tablename__ = "saved_segments"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    query: Mapped[str] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Reminder(Base):
    """One reminder for one voter: planned, then sent once, with its outcome and reason."""

    __tablename__ = "reminders"
    __table_args__ = (
        Index("ix_reminders_status_due_at", "status", "due_at"),
        Index("ix_reminders_campaign_id_event_id", "campaign_id", "event_id"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)  # campaign:event:contact
    campaign_id: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(ForeignKey("campaign_versions.id"))
    event_id: Mapped[str] = mapped_column(String(64))
    variant: Mapped[int | None] = mapped_column(Integer)  # index in the event's variants
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8))
    zone: Mapped[str] = mapped_column(String(8))  # WIB | WITA | WIT
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(String(64))
    text: Mapped[str | None] = mapped_column(Text)
    template: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    opted_out_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ChannelLease(Base):
    """Which dispatcher owns a channel credential's sending rate, until ``expires_at``.

    The holder renews it; when it stops renewing, another dispatcher takes it over, so N
    workers together never exceed the platform's limit.
    """

    __tablename__ = "channel_leases"

    credential: Mapped[str] = mapped_column(String(128), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    renewed_at: Mapped[datetime] = mapped_column(UTCDateTime())

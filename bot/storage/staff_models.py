"""Tables of the staff console (issue 14): accounts, login throttling, the console's own
secret, and the published versions of FAQ entries."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from bot.storage.models import Base, Id, UTCDateTime


class StaffAccount(Base):
    """A staff member. ``password_hash`` is an argon2 hash; the password itself is never kept."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    role: Mapped[str] = mapped_column(String(16))  # admin | editor | agent | campaigner | viewer
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class LoginFailure(Base):
    """One failed login, by account (``account:EMAIL``) and by address (``address:IP``): the
    throttle counts recent rows, so every worker sees the same count."""

    __tablename__ = "login_failures"
    __table_args__ = (Index("ix_login_failures_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    key: Mapped[str] = mapped_column(String(300))
    at: Mapped[datetime] = mapped_column(UTCDateTime())


class ConsoleSecret(Base):
    """A secret generated once and shared by every worker: the session cookie key when
    ``SUARA_CONSOLE_SECRET`` is unset, the web chat's contact id key when ``SUARA_WEB_SECRET``
    is (see :mod:`bot.storage.shared_keys`)."""

    __tablename__ = "console_secrets"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class KnowledgeVersion(Base):
    """One published version of an FAQ entry: its YAML text, who published it and when.

    The live version is the entry's text in its file; rows are history for diffs and rollback.
    """

    __tablename__ = "knowledge_versions"
    __table_args__ = (Index("ix_knowledge_versions_entry_id_id", "entry_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True)
    entry_id: Mapped[str] = mapped_column(String(128))
    version: Mapped[str] = mapped_column(String(64))  # SHA-256 of ``source``
    file: Mapped[str] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(200))  # "edit", "phrasing from unanswered #12", "rollback to #3"
    author: Mapped[str] = mapped_column(String(254))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime())

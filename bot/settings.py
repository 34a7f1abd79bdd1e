"""Settings from ``SUARA_*`` environment variables and an optional ``.env`` file."""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from datetime import date, time
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from knowledge.faq_loader import FAQ_DIR

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./var/suara.db"
INDONESIAN_ZONES = ("Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura")


class SettingsError(ValueError):
    """A setting is wrong; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Every knob of a deployment. Each field is read from ``SUARA_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="SUARA_", env_file=".env", extra="ignore")

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=1, le=65535)
    default_language: Literal["id", "en"] = "id"
    timezone: str = "Asia/Jakarta"
    session_timeout_minutes: int = Field(default=30, ge=1, le=7 * 24 * 60)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # Understanding (issue 4): the sentence encoder, where trained models are cached, and which NLU
    # decides the intent: "local" (our classifier) or "rasa" (a Rasa server's POST /model/parse).
    embedding_model: str = "intfloat/multilingual-e5-small"
    # One thread per worker: on shared cores two threads made p50 parse 78 ms against 19 ms (bench/nlu.py).
    embedding_threads: int = Field(default=1, ge=1, le=64)
    # 8-bit weights: half the time per message, same accuracy on our evaluation sets (README).
    embedding_int8: bool = True
    model_cache: str | None = None
    nlu_backend: Literal["local", "rasa"] = "local"
    rasa_url: str | None = None
    rasa_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

    # Messaging channels: each is on only when its credentials are set. Secrets are SecretStr,
    # so they never show in a repr or a log line.
    public_url: str | None = Field(default=None, pattern=r"^https?://[^\s]+$")
    telegram_token: SecretStr | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_api_url: str = Field(default="https://api.telegram.org/bot", pattern=r"^https?://[^\s]+$")
    telegram_rate_per_second: float = Field(default=30.0, gt=0, le=1000)
    telegram_chat_rate_per_second: float = Field(default=1.0, gt=0, le=100)
    telegram_chat_burst: int = Field(default=3, ge=1, le=100)
    whatsapp_token: SecretStr | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = Field(default=None, pattern=r"^[0-9]{1,32}$")
    whatsapp_api_url: str = Field(default="https://graph.facebook.com", pattern=r"^https?://[^\s]+$")
    whatsapp_api_version: str = Field(default="v23.0", pattern=r"^v[0-9]{1,3}\.[0-9]{1,3}$")
    whatsapp_templates_file: Path | None = None
    whatsapp_rate_per_second: float = Field(default=80.0, gt=0, le=1000)
    whatsapp_user_rate_per_second: float = Field(default=1 / 6, gt=0, le=100)
    whatsapp_user_burst: int = Field(default=45, ge=1, le=1000)
    # Delivery (issue 18): a send that fails for a platform outage is retried with exponential
    # backoff (first delay, cap) for as long as it is worth sending: a reply for this long after it
    # was recorded, a reminder for longer; older, it is dropped with the reason "expired", never
    # sent late. After a restart, WhatsApp sends left pending wait this long for the status
    # webhooks that settle the ones the platform had accepted, before the rest are sent again.
    reply_lifetime_seconds: float = Field(default=30 * 60, ge=1, le=7 * 24 * 3600)
    reminder_lifetime_seconds: float = Field(default=6 * 3600, ge=1, le=7 * 24 * 3600)
    send_backoff_seconds: float = Field(default=0.5, gt=0, le=60)
    send_backoff_cap_seconds: float = Field(default=60.0, gt=0, le=3600)
    whatsapp_reconcile_seconds: float = Field(default=30.0, ge=0, le=3600)
    # Reminder dispatch (issue 13): a dispatcher that stops renewing a channel's lease loses it
    # after this many seconds; how many reminders one claim takes (and at most in flight per channel).
    dispatch_lease_timeout_seconds: float = Field(default=15.0, ge=1, le=600)
    dispatch_batch_size: int = Field(default=100, ge=1, le=10000)

    # Staff console (issue 14): the FAQ folder it publishes to (the server watches the same
    # one), the session cookie's key (32 url-safe base64 bytes; unset: generated once and kept
    # in the database so every worker shares it) and the idle time that ends a staff session.
    faq_dir: Path = FAQ_DIR
    console_secret: SecretStr | None = None
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)

    # Web chat (issue 18): the key that signs the contact ids the server issues (32 url-safe
    # base64 bytes; unset: generated once and kept in the database, like the console's), and a
    # token bucket per client address over the web chat API. Mobile carriers put many voters
    # behind one address (CGNAT), so the defaults allow a few dozen chatting at once. Behind a
    # reverse proxy, list its addresses (comma-separated IPs or CIDRs) so the client address is
    # read from X-Forwarded-For; otherwise that header is ignored.
    web_secret: SecretStr | None = None
    web_rate_per_second: float = Field(default=5.0, gt=0, le=100000)
    web_burst: int = Field(default=60, ge=1, le=1000000)
    web_trusted_proxies: str = ""

    # Reminders (issue 13): local hours in which nothing is sent ("HH:MM-HH:MM"; equal ends: none),
    # and the masa tenang dates (comma-separated YYYY-MM-DD; empty: the 3 days before voting day).
    quiet_hours: str = "21:00-06:00"
    masa_tenang: str = ""

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        """Accept plain ``postgresql://`` and ``sqlite://`` URLs and pick the async driver."""
        if value.startswith(("postgres://", "postgresql://")):
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite://"):
            return "sqlite+aiosqlite://" + value.split("://", 1)[1]
        if value.startswith(("postgresql+asyncpg://", "sqlite+aiosqlite://")):
            return value
        raise ValueError("use a postgresql:// or sqlite:/// URL")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone (use one of {', '.join(INDONESIAN_ZONES)})") from exc
        return value

    @field_validator("quiet_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        if not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d", value.strip()):
            raise ValueError("use HH:MM-HH:MM local time, e.g. 21:00-06:00")
        return value.strip()

    @field_validator("masa_tenang")
    @classmethod
    def _dates(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                date.fromisoformat(part)
            except ValueError:
                raise ValueError(f"{part!r} is not a date: use YYYY-MM-DD, comma-separated") from None
        return value

    @model_validator(mode="after")
    def _rasa_needs_url(self) -> Settings:
        if self.nlu_backend == "rasa" and not self.rasa_url:
            raise ValueError("SUARA_NLU_BACKEND=rasa needs SUARA_RASA_URL (e.g. http://127.0.0.1:5005)")
        return self

    @field_validator("rasa_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("use an http:// or https:// URL")
        return value.rstrip("/") if value else value

    @field_validator("telegram_token")
    @classmethod
    def _telegram_token_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.fullmatch(r"[0-9]{1,20}:[A-Za-z0-9_-]{20,100}", value.get_secret_value()):
            raise ValueError("not a bot token from @BotFather (digits, a colon, then letters)")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _telegram_secret_shape(cls, value: SecretStr | None) -> SecretStr | None:
        # Telegram allows 1-256 of A-Z a-z 0-9 _ -; we ask for at least 16 so it is not guessable.
        if value is not None and not re.fullmatch(r"[A-Za-z0-9_-]{16,256}", value.get_secret_value()):
            raise ValueError("use 16-256 letters, digits, '_' or '-'")
        return value

    @field_validator("console_secret", "web_secret")
    @classmethod
    def _key_shape(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None:
            return value
        try:
            key = base64.urlsafe_b64decode(value.get_secret_value().encode())
        except (binascii.Error, ValueError):
            key = b""
        if len(key) != 32:
            raise ValueError("use 32 random bytes in url-safe base64 (python -c 'import secrets, base64; "
                             "print(base64.urlsafe_b64encode(secrets.token_bytes(32)).decode())')")
        return value

    @field_validator("web_trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        for part in filter(None, (p.strip() for p in value.split(","))):
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                raise ValueError(f"{part!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/8)") from None
        return value

    @model_validator(mode="after")
    def _whatsapp_complete(self) -> "Settings":
        """WhatsApp needs all four of its credentials, or none."""
        names = ("whatsapp_token", "whatsapp_app_secret", "whatsapp_verify_token", "whatsapp_phone_number_id")
        missing = [name for name in names if getattr(self, name) is None]
        if 0 < len(missing) < len(names):
            raise ValueError(f"WhatsApp also needs SUARA_{missing[0].upper()}")
        return self

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return self.whatsapp_token is not None

    @property
    def quiet_hours_window(self) -> tuple[time, time]:
        """``SUARA_QUIET_HOURS`` as (start, end) local times."""
        start, end = self.quiet_hours.split("-")
        return time.fromisoformat(start), time.fromisoformat(end)

    @property
    def masa_tenang_dates(self) -> frozenset[date]:
        """``SUARA_MASA_TENANG`` as dates (empty when not set)."""
        return frozenset(date.fromisoformat(p.strip()) for p in self.masa_tenang.split(",") if p.strip())

    @property
    def trusted_proxy_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``SUARA_WEB_TRUSTED_PROXIES`` as networks (empty: X-Forwarded-For is ignored)."""
        return tuple(ipaddress.ip_network(p.strip(), strict=False)
                     for p in self.web_trusted_proxies.split(",") if p.strip())

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        """The database file of a SQLite URL (``None`` for PostgreSQL or in-memory)."""
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1].split("?", 1)[0]
        return Path(path) if path and path != ":memory:" else None


def load_settings(**overrides: object) -> Settings:
    """Read the settings, turning validation errors into one clear line."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = "SUARA_" + str(error["loc"][0]).upper() if error["loc"] else "settings"
        raise SettingsError(f"invalid setting {name}: {error['msg']}") from None

"""Settings from ``SUARA_*`` environment variables and an optional ``.env`` file."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    model_cache: str | None = None
    nlu_backend: Literal["local", "rasa"] = "local"
    rasa_url: str | None = None
    rasa_timeout_seconds: float = Field(default=5.0, gt=0, le=60)

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

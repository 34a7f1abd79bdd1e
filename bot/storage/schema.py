"""Every table, in one ``MetaData``: import this (not a single models module) wherever the whole
schema is needed — Alembic's environment, the schema test, test clean-up."""

from __future__ import annotations

from bot.storage import campaign_models  # noqa: F401  (registers its tables)
from bot.storage import inbox_models  # noqa: F401  (registers its tables)
from bot.storage import staff_models  # noqa: F401  (registers its tables)
from bot.storage.models import Base

metadata = Base.metadata

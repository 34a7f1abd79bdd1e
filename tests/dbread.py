"""Reading what the server stored, straight from the database, for assertions."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from bot.storage.engine import create_engine, session_factory
from bot.settings import Settings

T = TypeVar("T")


async def rows(settings: Settings, model: type[T], **where: Any) -> list[T]:
    """All rows of ``model`` matching ``where`` (column=value), in id order when there is one."""
    engine = create_engine(settings)
    try:
        async with session_factory(engine)() as db:
            query = select(model).filter_by(**where)
            if hasattr(model, "id"):
                query = query.order_by(model.id)  # type: ignore[attr-defined]
            return list((await db.scalars(query)).all())
    finally:
        await engine.dispose()

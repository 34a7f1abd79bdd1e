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


async def found_in_any_table(settings: Settings, needles: tuple[str, ...]) -> list[tuple[str, str]]:
    """(table, value) for every stored value, in every table of the metadata, containing a needle."""
    from bot.storage.models import Base

    found = []
    engine = create_engine(settings)
    try:
        async with engine.connect() as conn:
            for table in Base.metadata.sorted_tables:
                for row in (await conn.execute(select(table))).all():
                    found += [(table.name, str(v)) for v in row if any(n in str(v) for n in needles)]
    finally:
        await engine.dispose()
    return found

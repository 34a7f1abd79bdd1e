"""Staff content in the database: published flow versions and polling stations.

``publish`` stores a validated library (one row per changed flow: content hash, author,
time); :class:`ContentCache` gives each turn the live library and TPS index, reloading
them only when a cheap query shows that something was published or imported, so a running
server picks up changes without a restart.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

import flows
import knowledge
from flows import ELECTION_ID, Library, Problem
from knowledge import ParsedFile, PollingStation, TpsIndex, parse_csv

from bot.storage.models import FlowVersion, PollingStationRow

DEMO_TPS_CSV = Path(knowledge.__file__).resolve().parent / "data" / "tps_demo.csv"
DEFAULT_AUTHOR = "suara:default-library"


class PublishError(ValueError):
    """The library did not validate; nothing was published."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


@dataclass(frozen=True, slots=True)
class Published:
    """What a publish changed: the flow ids with a new version."""

    changed: tuple[str, ...]


async def publish(db: AsyncSession, sources: dict[str, str], author: str, now: datetime) -> Published:
    """Validate ``sources`` (file name → text) and store each flow whose content changed."""
    library, problems = flows.parse_library(sources)
    if problems:
        raise PublishError(problems)
    live = await _live_versions(db)
    changed: list[str] = []
    for flow in library.flows.values():
        if live.get(flow.id) != flow.version:
            db.add(FlowVersion(flow_id=flow.id, version=flow.version, file=Path(flow.file).name,
                               source=flow.source, author=author, published_at=now))
            changed.append(flow.id)
    election = next((name for name in sources if Path(name).name == flows.ELECTION_FILE), None)
    if election is not None:
        version = flows.content_hash(sources[election])
        if live.get(ELECTION_ID) != version:
            db.add(FlowVersion(flow_id=ELECTION_ID, version=version, file=flows.ELECTION_FILE,
                               source=sources[election], author=author, published_at=now))
            changed.append(ELECTION_ID)
    await db.flush()
    return Published(tuple(changed))


async def _live_versions(db: AsyncSession) -> dict[str, str]:
    rows = (await db.execute(select(FlowVersion.flow_id, FlowVersion.version).order_by(FlowVersion.id))).all()
    return {flow_id: version for flow_id, version in rows}


async def load_library(db: AsyncSession) -> Library:
    """The live library (each flow's newest version) plus every older version for running sessions."""
    rows = (await db.scalars(select(FlowVersion).order_by(FlowVersion.id))).all()
    live: dict[str, FlowVersion] = {row.flow_id: row for row in rows}
    sources = {f"{row.flow_id}/{row.file}": row.source for row in live.values()}
    history: list[flows.Flow] = []
    for row in rows:
        if live[row.flow_id] is not row and row.flow_id != ELECTION_ID:
            old, _ = flows.parse_library({row.file: row.source})
            history.extend(old.flows.values())
    library, _ = flows.parse_library(sources, history)
    return library


async def import_tps(db: AsyncSession, parsed: ParsedFile, now: datetime) -> int:
    """Insert or update the valid stations of ``parsed`` (keyed by village code and TPS number)."""
    existing = {
        (row.village_code, row.number): row for row in (await db.scalars(select(PollingStationRow))).all()
    }
    for station in parsed.stations:
        row = existing.get((station.village_code, station.number))
        if row is None:
            row = PollingStationRow(village_code=station.village_code, number=station.number)
            db.add(row)
        for name in ("province_code", "province", "regency_code", "regency", "district_code", "district",
                     "village", "address", "latitude", "longitude", "notes"):
            setattr(row, name, getattr(station, name))
        row.imported_at = now
    await db.flush()
    return len(parsed.stations)


async def load_tps(db: AsyncSession) -> TpsIndex:
    rows = (await db.scalars(select(PollingStationRow).order_by(PollingStationRow.id))).all()
    return TpsIndex(
        PollingStation(r.province_code, r.province, r.regency_code, r.regency, r.district_code, r.district,
                       r.village_code, r.village, r.number, r.address, r.latitude, r.longitude, r.notes)
        for r in rows
    )


async def seed_demo_content(sessions: async_sessionmaker[AsyncSession], now: datetime) -> None:
    """On a fresh database: publish the default flows and load the synthetic demo TPS."""
    try:
        async with sessions() as db, db.begin():
            if await db.scalar(select(func.count()).select_from(FlowVersion)) == 0:
                await publish(db, flows.default_sources(), DEFAULT_AUTHOR, now)
            if await db.scalar(select(func.count()).select_from(PollingStationRow)) == 0:
                await import_tps(db, parse_csv(DEMO_TPS_CSV.read_text(encoding="utf-8")), now)
    except IntegrityError:
        pass  # another worker starting at the same moment seeded it first


class ContentCache:
    """The live library and TPS index, reloaded when the database says they changed.

    Each turn costs one query of two indexed ``max()`` values; a reload happens only after a
    publish or an import, in every worker on its next turn.
    """

    def __init__(self) -> None:
        self._library, self._library_mark = flows.EMPTY_LIBRARY, -1
        self._tps, self._tps_mark = TpsIndex(()), None
        self._lock = asyncio.Lock()

    async def current(self, db: AsyncSession) -> tuple[Library, TpsIndex]:
        marks = select(select(func.max(FlowVersion.id)).scalar_subquery(),
                       select(func.max(PollingStationRow.imported_at)).scalar_subquery())
        library_mark, tps_mark = (await db.execute(marks)).one()
        library_mark = library_mark or 0
        if library_mark != self._library_mark or tps_mark != self._tps_mark:
            async with self._lock:
                if library_mark != self._library_mark:
                    self._library, self._library_mark = await load_library(db), library_mark
                if tps_mark != self._tps_mark:
                    self._tps, self._tps_mark = await load_tps(db), tps_mark
        return self._library, self._tps

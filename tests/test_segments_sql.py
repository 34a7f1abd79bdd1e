"""Segment queries as SQL: the same voters as the in-memory reference (``flows.segments.matches``)
for every field and operator, on SQLite and PostgreSQL, with hostile values kept as data."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from flows.segments import matches, parse

from bot.broadcasts.facts import facts_for, iter_facts
from bot.broadcasts.segment_sql import compile_query
from bot.broadcasts.segments import count, why
from bot.storage.models import Contact
from broadcast_seed import add_contact, add_station

NOW = datetime(2024, 11, 20, 12, 0, tzinfo=UTC)
HOSTILE = "'; DROP TABLE contacts; --"
SOURCES = [None, "", "poster-unmul", "POSTER", HOSTILE, 'say "hi"', "Écoleé", "100%_sure", "link\\path"]
REGIONS = [None, "", "64.72", "64.72.01.1001", "64.721", "32.16|32.75", "91.71.01.1001", "31.71", "64",
           "31.71.01.1001"]
ZONES = ["Asia/Jakarta", "Asia/Pontianak", "Asia/Makassar", "Asia/Jayapura", "Asia/Tokyo"]
CHANNELS = [(), (("telegram", True),), (("whatsapp", True),), (("telegram", True), ("whatsapp", False)),
            (("whatsapp", True), ("web", True)), (("telegram", False),)]
ISSUES = ["environment", "education", "jobs"]
TPS_CHOICES = ["64.72.01.1001:7", "64.72.01.1001:99", "31.71.01.1001:3", "x"]

QUERIES = [
    "region = Samarinda", "region != Samarinda", "region = 64.72.01", "region = 64", "region = bekasi",
    "region = \"Kota Bekasi\"", "province = \"Kalimantan Timur\"", "province != papua", "region = Jayapura",
    "zone = WIB", "zone = WITA", "zone = WIT", "zone != WIB",
    "language = en", "language != id",
    "channel = telegram", "channel = whatsapp", "channel = web", "channel != telegram",
    "issue = environment", "issue != education", "issue = Pendidikan",
    "first_time_voter = yes", "first_time_voter = no", "first_time_voter != ya", "moved_residence = yes",
    "moved_residence = tidak", "disability_need = true", "disability_need != yes",
    "has_tps = yes", "has_tps = no", "has_tps != yes",
    "consent = yes", "consent = no", "consent != yes",
    "subscribed = voting_day", "subscribed = dpt", "subscribed = all", "subscribed != dpt",
    "last_seen < 7d", "last_seen > 7d", "last_seen < 36h", "last_seen > 2w", "last_seen < 90m",
    "source = poster", "source ~ POSTER", "source = \"\"", "source != poster-unmul", "source ~ \"%\"",
    "source ~ _", f'source = "{HOSTILE}"', 'source = "say \\"hi\\""', 'source ~ "\\""', "source ~ école",
    "source ~ \"link\\\\path\"",
    "region = Samarinda AND issue = environment AND first_time_voter = yes",
    "NOT (zone = WIB OR zone = WIT)", "zone = WITA OR language = en AND consent = yes",
    "(zone = WITA OR language = en) AND consent = yes", "NOT NOT has_tps = yes",
    "NOT (region = Samarinda AND NOT (channel = whatsapp OR subscribed = all))",
    "last_seen < 30d AND source ~ \"poster\"",
]
POOL = [q for q in QUERIES if " AND " not in q and " OR " not in q and not q.startswith("NOT")]


async def _generated(db: AsyncSession, n: int = 70) -> None:
    """``n`` voters with every combination the fields can meet, from a fixed seed."""
    rng = random.Random(13)
    add_station(db, "64.72.01.1001", 7, "Jl. Juanda", "Air Hitam")
    add_station(db, "64.72.01.1001", 8, "Jl. Pahlawan", "Air Hitam")
    add_station(db, "91.71.01.1001", 1, "Jl. Koti", "Imbi")
    add_station(db, "31.71.01.1001", 3, "Jl. Kramat", "Senen")
    for index in range(n):
        signals: dict[str, list[str]] = {"issue": rng.sample(ISSUES, rng.randint(0, 2))}
        for name in ("first_time_voter", "moved_residence", "disability_need"):
            signals[name] = rng.choice([[], ["yes"], ["no"]])
        signals["tps"] = rng.choice([[], [], [rng.choice(TPS_CHOICES)]])
        await add_contact(
            db, language=rng.choice(["id", "en", "jv"]), timezone=rng.choice(ZONES),
            region=REGIONS[index % len(REGIONS)], source=SOURCES[index % len(SOURCES)],
            consent=rng.choice([None, True, False]), opted_out=rng.random() < 0.2,
            last_seen_at=NOW - timedelta(minutes=rng.choice([5, 100, 60 * 30, 60 * 24 * 5, 60 * 24 * 20])),
            channels=rng.choice(CHANNELS), signals=signals,
            subscriptions=rng.sample(["voting_day", "dpt", "all"], rng.randint(0, 2)),
        )
    await db.commit()


async def _sql_ids(db: AsyncSession, text: str) -> set[int]:
    return set((await db.scalars(select(Contact.id).where(compile_query(parse(text), NOW)))).all())


async def _reference_ids(db: AsyncSession, text: str) -> set[int]:
    query = parse(text)
    return {f.contact_id async for batch in iter_facts(db, batch_size=16) for f in batch if matches(query, f, NOW)}


async def test_every_field_and_operator_picks_the_same_voters_as_the_reference(db: AsyncSession) -> None:
    await _generated(db)
    seen_non_empty = 0
    for text in QUERIES:
        expected = await _reference_ids(db, text)
        assert await _sql_ids(db, text) == expected, text
        seen_non_empty += bool(expected)
    assert seen_non_empty > len(QUERIES) * 3 // 4  # the data exercises the queries


async def test_random_combinations_with_and_or_not_and_parentheses_agree(db: AsyncSession) -> None:
    await _generated(db)
    rng = random.Random(7)

    def combination(depth: int) -> str:
        if depth == 0 or rng.random() < 0.3:
            return rng.choice(POOL)
        joined = f" {rng.choice(['AND', 'OR'])} ".join(combination(depth - 1) for _ in range(rng.randint(2, 3)))
        return f"NOT ({joined})" if rng.random() < 0.3 else f"({joined})"

    for _ in range(40):
        text = combination(3)
        assert await _sql_ids(db, text) == await _reference_ids(db, text), text


async def test_known_answers(db: AsyncSession) -> None:
    add_station(db, "64.72.01.1001", 7, "Jl. Juanda", "Air Hitam")
    samarinda = await add_contact(db, region="64.72.01.1001", timezone="Asia/Makassar", source="poster-unmul",
                                  signals={"issue": ["environment"], "first_time_voter": ["yes"]})
    lookalike = await add_contact(db, region="64.721", channels=(("telegram", True), ("whatsapp", False)))
    nothing = await add_contact(db, region=None, consent=None, channels=(), subscriptions=())
    await db.commit()
    assert await _sql_ids(db, "region = Samarinda") == {samarinda}  # 64.721 is not inside 64.72
    assert await _sql_ids(db, "region != Samarinda") == {lookalike, nothing}  # no region matches !=
    assert await _sql_ids(db, "has_tps = yes") == {samarinda}  # a village with one TPS
    assert await _sql_ids(db, "channel = telegram") == {samarinda, lookalike}  # the unreachable one is ignored
    assert await _sql_ids(db, "consent = no") == {nothing}
    assert await _sql_ids(db, "source ~ UNMUL AND issue = Environment AND first_time_voter = ya") == {samarinda}
    assert await count(db, parse("zone = WITA"), NOW) == 1


async def test_hostile_values_are_data_never_sql(db: AsyncSession) -> None:
    hostile = await add_contact(db, source=HOSTILE)
    quoted = await add_contact(db, source='say "hi" \'there\'')
    unicode = await add_contact(db, source="Ünïcødé\u202e-poster")
    await add_contact(db, source="plain")
    await db.commit()
    for dialect in (sqlite.dialect(), postgresql.dialect()):
        sql = str(compile_query(parse(f'source = "{HOSTILE}"'), NOW).compile(dialect=dialect))
        assert "DROP" not in sql and "'" not in sql
    assert await _sql_ids(db, f'source = "{HOSTILE}"') == {hostile}
    assert await _sql_ids(db, "source ~ \"'\"") == {hostile, quoted}
    assert await _sql_ids(db, 'source ~ "\\"hi\\""') == {quoted}
    assert await _sql_ids(db, "source ~ ünïcødé") == {unicode}
    assert await db.scalar(select(func.count()).select_from(Contact)) == 4  # the table is still there


async def test_why_shows_each_clause_with_the_signal_and_the_redacted_message(db: AsyncSession) -> None:
    contact = await add_contact(db, region="64.72", signals={"issue": ["environment"]},
                                evidence="banjir terus, NIK saya 6472012345678901")
    await db.commit()
    answer = await why(db, contact, parse("issue = environment AND NOT consent = no"), NOW)
    assert answer is not None and answer.matched
    issue, consent = answer.clauses
    assert issue.result.held and issue.result.fact == "signals.issue"
    [evidence] = issue.evidence
    assert evidence.value == "environment" and "6472012345678901" not in (evidence.message or "")
    assert consent.result.negated and not consent.result.held and consent.evidence == ()
    assert await why(db, 999_999, parse("consent = yes"), NOW) is None


async def test_facts_know_the_newest_reachable_channel_and_the_tps(db: AsyncSession) -> None:
    add_station(db, "64.72.01.1001", 7, "Jl. Juanda", "Air Hitam")
    add_station(db, "64.72.01.1001", 8, "Jl. Pahlawan", "Air Hitam")
    chose = await add_contact(db, region="64.72.01.1001", signals={"tps": ["64.72.01.1001:8"]},
                              channels=(("telegram", True), ("whatsapp", True), ("web", False)))
    two_in_village = await add_contact(db, region="64.72.01.1001")
    await db.commit()
    facts = await facts_for(db, chose)
    assert facts is not None and facts.channel == "whatsapp"
    assert facts.tps is not None and (facts.tps.number, facts.tps.address) == (8, "Jl. Pahlawan")
    assert facts.tps.map_url and facts.tps.map_url.startswith("https://www.openstreetmap.org/")
    other = await facts_for(db, two_in_village)
    assert other is not None and other.tps is None  # two stations in the village: not known

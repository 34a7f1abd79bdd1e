"""A segment query compiled to one SQL condition over ``contacts``: the same voters
:func:`flows.segments.matches` picks, on SQLite and on PostgreSQL.

Every value goes in as a bound parameter, never into the SQL text. Each clause compiles to an
expression that is never NULL (``coalesce``, ``IS``, ``EXISTS``), so ``!=`` can be exactly
``NOT (=)`` as the reference semantics say (``flows/segments/evaluate.py``).

What a voter's facts are in the database:

- channel: the newest of their channel identities the platform has not reported unreachable;
- signals (``issue``, ``first_time_voter`` …): ``segment_signals`` rows, ``"yes"`` for yes/no ones;
- subscriptions: ``reminder_subscriptions``;
- TPS known (``has_tps``): see :func:`tps_known` and ``bot/broadcasts/facts.py``;
- source: compared case-insensitively with ``casefold`` (a function ``bot.storage.engine``
  registers on SQLite; PostgreSQL uses ``lower()``, which agrees except for the few letters
  whose case-fold is longer, such as ``ß``; deep-link sources are ASCII).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import String, and_, cast, exists, false, func, literal, not_, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from flows.segments import ZONE_TIMEZONES, And, Clause, Node, Not, Query

from bot.storage.models import ChannelIdentity, Contact, PollingStationRow, ReminderSubscription, SegmentSignal
from bot.storage.sql_functions import casefold

#: The signal a stored TPS choice is kept in: ``"<village code>:<TPS number>"``.
TPS_SIGNAL = "tps"
_ALL_TOPICS = "all"


def compile_query(query: Query | Node, now: datetime) -> ColumnElement[bool]:
    """The condition on ``contacts`` that holds exactly for the voters in the segment at ``now``."""
    node = query.root if isinstance(query, Query) else query
    if isinstance(node, Clause):
        return compile_clause(node, now)
    if isinstance(node, Not):
        return not_(compile_query(node.item, now))
    parts = [compile_query(item, now) for item in node.items]
    return and_(*parts) if isinstance(node, And) else or_(*parts)


def compile_clause(clause: Clause, now: datetime) -> ColumnElement[bool]:
    """One clause; ``!=`` is the negation of ``=``."""
    held = _HOLDS[clause.field](clause, now)
    return not_(held) if clause.op == "!=" else held


def channel_of() -> ColumnElement[str]:
    """The voter's channel (correlated to ``contacts``): the newest reachable identity's, else ``""``."""
    newest = (
        select(ChannelIdentity.channel)
        .where(ChannelIdentity.contact_id == Contact.id, ChannelIdentity.unreachable_at.is_(None))
        .order_by(ChannelIdentity.id.desc())
        .limit(1)
        .correlate(Contact)
        .scalar_subquery()
    )
    return func.coalesce(newest, "")


def station_key() -> ColumnElement[str]:
    """A polling station as a stored TPS choice names it: ``"64.72.01.1001:12"``."""
    return PollingStationRow.village_code + literal(":") + cast(PollingStationRow.number, String)


def tps_known() -> ColumnElement[bool]:
    """The voter's TPS is known: a ``tps`` signal names an imported station, or their region is
    one village code with exactly one imported station."""
    chosen = exists().where(
        SegmentSignal.contact_id == Contact.id, SegmentSignal.name == TPS_SIGNAL,
        SegmentSignal.value == station_key(),
    )
    stations_in_region = (
        select(func.count()).select_from(PollingStationRow)
        .where(PollingStationRow.village_code == Contact.region)
        .correlate(Contact).scalar_subquery()
    )
    return or_(chosen, func.coalesce(stations_in_region, 0) == 1)


def _region(clause: Clause, now: datetime) -> ColumnElement[bool]:
    # "|a|b|" holds "|c|" (the code itself) or "|c." (a region inside it): whole code parts only.
    codes = literal("|") + func.coalesce(Contact.region, "") + literal("|")
    tests = []
    for code in clause.value:  # type: ignore[union-attr]
        escaped = _like_escape(code)
        tests += [codes.like(f"%|{escaped}|%", escape="\\"), codes.like(f"%|{escaped}.%", escape="\\")]
    return or_(*tests) if tests else false()


def _zone(clause: Clause, now: datetime) -> ColumnElement[bool]:
    return Contact.timezone.in_(ZONE_TIMEZONES[str(clause.value)])


def _language(clause: Clause, now: datetime) -> ColumnElement[bool]:
    return Contact.language == clause.value


def _channel(clause: Clause, now: datetime) -> ColumnElement[bool]:
    return channel_of() == clause.value


def _has_signal(name: str, value: str) -> ColumnElement[bool]:
    return exists().where(SegmentSignal.contact_id == Contact.id, SegmentSignal.name == name,
                          SegmentSignal.value == value)


def _issue(clause: Clause, now: datetime) -> ColumnElement[bool]:
    return _has_signal("issue", str(clause.value))


def _yes_no_signal(name: str) -> Callable[[Clause, datetime], ColumnElement[bool]]:
    def holds(clause: Clause, now: datetime) -> ColumnElement[bool]:
        recorded = _has_signal(name, "yes")
        return recorded if clause.value else not_(recorded)
    return holds


def _has_tps(clause: Clause, now: datetime) -> ColumnElement[bool]:
    return tps_known() if clause.value else not_(tps_known())


def _consent(clause: Clause, now: datetime) -> ColumnElement[bool]:
    given = Contact.consent.is_(true())
    return given if clause.value else not_(given)


def _subscribed(clause: Clause, now: datetime) -> ColumnElement[bool]:
    return exists().where(ReminderSubscription.contact_id == Contact.id,
                          ReminderSubscription.topic.in_((str(clause.value), _ALL_TOPICS)))


def _last_seen(clause: Clause, now: datetime) -> ColumnElement[bool]:
    # age < D  ⟺  last_seen_at > now - D (and the other way round for ">"); a naive now is UTC.
    boundary = (now if now.tzinfo else now.replace(tzinfo=UTC)) - clause.value  # type: ignore[operator]
    return Contact.last_seen_at > boundary if clause.op == "<" else Contact.last_seen_at < boundary


def _source(clause: Clause, now: datetime) -> ColumnElement[bool]:
    source = casefold(func.coalesce(Contact.source, ""))
    wanted = str(clause.value).casefold()
    if clause.op == "~":
        return source.like(f"%{_like_escape(wanted)}%", escape="\\")
    return source == wanted


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


_HOLDS = {
    "region": _region,
    "province": _region,
    "zone": _zone,
    "language": _language,
    "channel": _channel,
    "issue": _issue,
    "first_time_voter": _yes_no_signal("first_time_voter"),
    "moved_residence": _yes_no_signal("moved_residence"),
    "disability_need": _yes_no_signal("disability_need"),
    "has_tps": _has_tps,
    "consent": _consent,
    "subscribed": _subscribed,
    "last_seen": _last_seen,
    "source": _source,
}

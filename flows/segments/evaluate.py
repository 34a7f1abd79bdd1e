"""The reference meaning of a query: evaluated in memory over one voter's :class:`ContactFacts`.

Used for previews, tests and "why is this voter in the segment?". The SQL compiler must agree
with these rules:

- ``!=`` is exactly ``NOT =``: a voter with nothing recorded matches ``!=``.
- ``region``/``province``: one of the contact's region codes (``|``-separated when ambiguous)
  is one of the query's codes or lies inside one ("64.72.01" is inside "64.72").
- ``zone``: the contact's IANA zone is one of :data:`~flows.segments.fields.ZONE_TIMEZONES`.
- ``issue`` and the yes/no signals: the value is recorded in ``signals`` (``"yes"``); ``= no``
  means "yes" is not recorded.
- ``consent = yes``: consent is ``True`` (``no``: not given or refused).
- ``subscribed = X``: subscribed to ``X`` or to ``all``.
- ``last_seen < D``: seen less than ``D`` before ``now``; ``> D``: more than ``D`` before.
  A datetime without time zone is taken as UTC.
- ``source``: compared ignoring case, ``~`` is "contains"; no source counts as empty text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from .errors import shown
from .facts import ContactFacts
from .fields import ZONE_TIMEZONES
from .nodes import And, Clause, Node, Not, Query

_NONE = "—"


@dataclass(frozen=True, slots=True)
class ClauseResult:
    """One clause for one voter: did it hold, and what fact decided it.

    ``text`` is the clause in canonical form, safe to print (invisible and control characters
    escaped); ``clause`` keeps the exact value.

    ``fact`` names the fact read (``region``, ``signals.issue``, ``last_seen_at``...), ``value``
    shows it (the matching values when the clause held, else everything recorded; "—" for
    nothing). ``negated`` is true under an odd number of ``NOT``: there the clause not holding
    is what lets the voter in.
    """

    clause: Clause
    text: str
    held: bool
    fact: str
    value: str
    negated: bool = False


def matches(query_or_node: Query | Node, facts: ContactFacts, now: datetime) -> bool:
    """Whether the voter ``facts`` is in the segment at time ``now``."""
    node = query_or_node.root if isinstance(query_or_node, Query) else query_or_node
    if isinstance(node, Clause):
        return check(node, facts, now)[0]
    if isinstance(node, Not):
        return not matches(node.item, facts, now)
    if isinstance(node, And):
        return all(matches(item, facts, now) for item in node.items)
    return any(matches(item, facts, now) for item in node.items)


def explain(query: Query | Node, facts: ContactFacts, now: datetime) -> list[ClauseResult]:
    """Every clause of ``query``, left to right, with whether it held for ``facts`` and why."""
    root = query.root if isinstance(query, Query) else query
    results = []
    for clause, negated in _clauses_with_negation(root):
        held, fact, value = check(clause, facts, now)
        results.append(ClauseResult(clause, shown(str(clause), None), held, fact, shown(value, None), negated))
    return results


def check(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    """One clause: (held, fact name, fact shown)."""
    held, fact, value = _CHECKS[clause.field](clause, facts, now)
    return (not held if clause.op == "!=" else held), fact, value


def region_codes(facts: ContactFacts) -> tuple[str, ...]:
    """The contact's region codes (several when the region they gave was ambiguous)."""
    return tuple(code for code in (facts.region or "").split("|") if code)


def inside(code: str, codes: tuple[str, ...]) -> bool:
    """``code`` is one of ``codes`` or a region within one of them."""
    return any(code == c or code.startswith(c + ".") for c in codes)


def _clauses_with_negation(root: Node) -> Iterator[tuple[Clause, bool]]:
    stack: list[tuple[Node, bool]] = [(root, False)]
    while stack:
        node, negated = stack.pop()
        if isinstance(node, Clause):
            yield node, negated
        elif isinstance(node, Not):
            stack.append((node.item, not negated))
        else:
            stack.extend((item, negated) for item in reversed(node.items))


# Each check answers "does field = value hold?" (the "!=" flip is applied by check()).
_Check = Callable[[Clause, ContactFacts, datetime], tuple[bool, str, str]]


def _region(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    codes = region_codes(facts)
    hits = [code for code in codes if inside(code, clause.value)]  # type: ignore[arg-type]
    return bool(hits), "region", _show(hits or codes)


def _zone(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    return facts.timezone in ZONE_TIMEZONES[clause.value], "timezone", facts.timezone or _NONE  # type: ignore[index]


def _attribute(name: str) -> _Check:
    def check_attribute(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
        value = getattr(facts, name)
        return value == clause.value, name, value or _NONE
    return check_attribute


def _issue(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    recorded = facts.signals.get("issue", frozenset())
    held = clause.value in recorded
    return held, "signals.issue", _show([clause.value] if held else recorded)  # type: ignore[list-item]


def _signal(name: str) -> _Check:
    def check_signal(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
        recorded = facts.signals.get(name, frozenset())
        return ("yes" in recorded) == clause.value, f"signals.{name}", _show(recorded)
    return check_signal


def _has_tps(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    tps = facts.tps
    described = f"TPS {tps.number:03d} {tps.village}" if tps else _NONE
    return (tps is not None) == clause.value, "tps", described


def _consent(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    described = {True: "yes", False: "no", None: _NONE}[facts.consent]
    return (facts.consent is True) == clause.value, "consent", described


def _subscribed(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    hits = facts.subscriptions & {clause.value, "all"}
    return bool(hits), "subscriptions", _show(hits or facts.subscriptions)


def _last_seen(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    age = _utc(now) - _utc(facts.last_seen_at)
    held = age < clause.value if clause.op == "<" else age > clause.value  # type: ignore[operator]
    return held, "last_seen_at", f"{facts.last_seen_at.isoformat()} ({_age(age)})"


def _source(clause: Clause, facts: ContactFacts, now: datetime) -> tuple[bool, str, str]:
    source = (facts.source or "").casefold()
    wanted = str(clause.value).casefold()
    held = wanted in source if clause.op == "~" else source == wanted
    return held, "source", facts.source or _NONE


_CHECKS: dict[str, _Check] = {
    "region": _region,
    "province": _region,
    "zone": _zone,
    "language": _attribute("language"),
    "channel": _attribute("channel"),
    "issue": _issue,
    "first_time_voter": _signal("first_time_voter"),
    "moved_residence": _signal("moved_residence"),
    "disability_need": _signal("disability_need"),
    "has_tps": _has_tps,
    "consent": _consent,
    "subscribed": _subscribed,
    "last_seen": _last_seen,
    "source": _source,
}


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def _show(values: object) -> str:
    items = sorted(str(v) for v in values)  # type: ignore[attr-defined]
    return ", ".join(items) if items else _NONE


def _age(age: timedelta) -> str:
    """How long ago, as a query would write it ("4d 2h", "3h 10m")."""
    if age < timedelta(0):
        return "di masa depan / in the future"
    days, seconds = age.days, age.seconds
    return f"{days}d {seconds // 3600}h" if days else f"{seconds // 3600}h {seconds % 3600 // 60}m"

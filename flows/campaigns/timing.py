"""When a voter's message is due: their zone, their voting day, "19:00 local", quiet hours,
masa tenang. Pure: the current time is always a parameter, and every returned time is UTC.

Indonesia has three zones and no daylight saving time: WIB (UTC+7), WITA (UTC+8), WIT (UTC+9).
A campaign says "H-1 at 19:00", so a voter in Jayapura gets it at 19:00 WIT, two hours (of
real time) before a voter in Jakarta gets it at 19:00 WIB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from nlu.regions import IANA_ZONES, TimeZoneName, timezone_of

from ..segments.facts import ContactFacts
from .model import CampaignEvent, Election, RegionOverride

ZoneSource = Literal["region", "stored", "default"]

#: Indonesian IANA zones and the zone each belongs to (Pontianak is WIB like Jakarta).
ZONE_OF_IANA: dict[str, TimeZoneName] = {
    "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB", "Asia/Makassar": "WITA", "Asia/Jayapura": "WIT",
}
#: Masa tenang: the days before voting day on which campaigning is banned (UU 7/2017).
MASA_TENANG_DAYS = 3


@dataclass(frozen=True, slots=True)
class VoterZone:
    """The zone a voter's messages are timed in, and where we learnt it.

    ``source`` is ``"region"`` (their region's province), ``"stored"`` (the time zone stored on
    the contact) or ``"default"`` (the deployment's), so a preview can say how many voters are
    timed by a guess.
    """

    name: TimeZoneName
    iana: str
    source: ZoneSource

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.iana)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours in which nothing is sent (default 21:00–06:00). ``start == end``: none.

    A window may cross midnight (21:00–06:00) or not (13:00–15:00); ``start`` is inside it,
    ``end`` is the first allowed minute.
    """

    start: time = time(21, 0)
    end: time = time(6, 0)

    def contains(self, moment: time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= moment < self.end
        return moment >= self.start or moment < self.end


def region_codes(facts: ContactFacts) -> tuple[str, ...]:
    """The voter's region code(s): ``"32.16|32.75"`` (an ambiguous place) gives two."""
    return tuple(code.strip() for code in (facts.region or "").split("|") if code.strip())


def zone_of(facts: ContactFacts, default_timezone: str = "Asia/Jakarta") -> VoterZone:
    """The voter's zone: from their region, else their stored time zone, else the default.

    A region counts only when every code in it lies in one zone (an ambiguous "bekasi" does;
    a place that could be in Java or Bali does not). A stored zone counts only when it is one
    of Indonesia's (an overseas zone is not timed here).
    """
    zones = {timezone_of(code) for code in region_codes(facts)}
    if len(zones) == 1 and None not in zones:
        name = zones.pop()
        assert name is not None
        return VoterZone(name, IANA_ZONES[name], "region")
    if facts.timezone in ZONE_OF_IANA:
        return VoterZone(ZONE_OF_IANA[facts.timezone], facts.timezone, "stored")
    if default_timezone not in ZONE_OF_IANA:
        raise ValueError(f"the default time zone must be one of {', '.join(ZONE_OF_IANA)}, not {default_timezone!r}")
    return VoterZone(ZONE_OF_IANA[default_timezone], default_timezone, "default")


def override_for(election: Election, facts: ContactFacts) -> RegionOverride | None:
    """The region override that applies to this voter, if any.

    An override for a region covers everything inside it ("64.02" covers "64.02.01.2003"); the
    most specific one wins. A voter with an ambiguous region gets an override only when every
    candidate place falls under the same one; otherwise the main voting day stands.
    """
    codes = region_codes(facts)
    if not codes or not election.overrides:
        return None
    found = {_override_for_code(election, code) for code in codes}
    return found.pop() if len(found) == 1 else None


def _override_for_code(election: Election, code: str) -> RegionOverride | None:
    covering = [o for o in election.overrides if code == o.code or code.startswith(o.code + ".")]
    return max(covering, key=lambda o: len(o.code), default=None)


def voting_day_for(election: Election, facts: ContactFacts) -> date:
    """The voter's voting day: their region's override, else the election's."""
    override = override_for(election, facts)
    return override.voting_day if override else election.voting_day


def due_at(event: CampaignEvent, election: Election, facts: ContactFacts, now: datetime,
           default_timezone: str = "Asia/Jakarta") -> datetime:
    """When ``event`` is due for this voter, in UTC, before quiet hours.

    ``at: "19:00"`` with ``offset_days: -1`` means 19:00 in the voter's own zone on the day
    before *their* voting day; ``at: now`` means ``now``.
    """
    require_aware(now)
    if event.at is None:
        return now.astimezone(UTC)
    zone = zone_of(facts, default_timezone)
    day = voting_day_for(election, facts) + timedelta(days=event.offset_days)
    return datetime.combine(day, event.at, tzinfo=zone.tzinfo).astimezone(UTC)


def after_quiet_hours(moment: datetime, zone: VoterZone, quiet: QuietHours | None) -> datetime:
    """``moment`` (UTC), or — when it falls in the voter's local quiet hours — the end of them
    (06:00 local by default), in UTC."""
    require_aware(moment)
    if quiet is None:
        return moment.astimezone(UTC)
    local = moment.astimezone(zone.tzinfo)
    if not quiet.contains(local.time()):
        return moment.astimezone(UTC)
    day = local.date()
    if quiet.start > quiet.end and local.time() >= quiet.start:
        day += timedelta(days=1)  # 22:00 → 06:00 tomorrow; 03:00 → 06:00 today
    return datetime.combine(day, quiet.end, tzinfo=zone.tzinfo).astimezone(UTC)


def local_date(moment: datetime, zone: VoterZone) -> date:
    """The calendar date in the voter's zone at ``moment``."""
    require_aware(moment)
    return moment.astimezone(zone.tzinfo).date()


def masa_tenang_days(voting_day: date, days: int = MASA_TENANG_DAYS) -> frozenset[date]:
    """The masa tenang before ``voting_day`` (the 3 days before it), for a deployment's settings."""
    return frozenset(voting_day - timedelta(days=n) for n in range(1, days + 1))


def require_aware(moment: datetime) -> None:
    """Refuse a naive datetime: the core never guesses which zone a time is in."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("times must carry a time zone (use UTC)")

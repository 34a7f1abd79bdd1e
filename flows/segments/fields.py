"""The fields a segment query may use: one table, with help text for the console.

Each field has a kind (how its value is read), the operators it allows, the fact of
:class:`~flows.segments.facts.ContactFacts` it looks at, and a description in Bahasa Indonesia
and English. ``!=`` always means exactly ``NOT (field = value)``: a voter with nothing recorded
for the field matches ``!=``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import Enum
from types import MappingProxyType

from nlu.regions import IANA_ZONES
from nlu.signals import RULE_SIGNALS, default_config

from ..actions.subscribe_reminders import TOPICS


class Kind(str, Enum):
    """How a field's value is written and typed in the :class:`~flows.segments.nodes.Clause`."""

    REGION = "region"  # a place name or Kemendagri code → tuple of codes
    ENUM = "enum"  # one of a fixed list → the canonical str
    YES_NO = "yes_no"  # yes/no, ya/tidak, true/false → bool
    DURATION = "duration"  # 30d, 12h, 2w, 90m → timedelta
    TEXT = "text"  # any text → str


#: Operators, with what they mean (Indonesian, English).
OPERATORS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "=": ("sama dengan", "equals"),
    "!=": ("tidak sama dengan", "does not equal"),
    "<": ("kurang dari (dalam waktu)", "less than (within)"),
    ">": ("lebih dari (sudah lebih lama dari)", "more than (longer ago than)"),
    "~": ("mengandung (tanpa beda huruf besar/kecil)", "contains (ignoring case)"),
})

YES_WORDS = frozenset({"yes", "ya", "true"})
NO_WORDS = frozenset({"no", "tidak", "false"})

#: Duration units: minutes, hours, days, weeks.
DURATION_UNITS: Mapping[str, timedelta] = MappingProxyType({
    "m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1),
})
#: The longest duration a query may name (ten years): keeps date arithmetic far from overflow.
MAX_DURATION = timedelta(days=3660)

#: IANA zones of each Indonesian time zone. WIB has two: West Kalimantan keeps Asia/Pontianak.
ZONE_TIMEZONES: Mapping[str, tuple[str, ...]] = MappingProxyType({
    zone: (iana, "Asia/Pontianak") if zone == "WIB" else (iana,) for zone, iana in IANA_ZONES.items()
})


def issue_names() -> tuple[str, ...]:
    """The issues configured under ``issues:`` in ``nlu/data/signals.yml``, in file order."""
    return tuple(name for name in default_config().labels if name not in RULE_SIGNALS)


def issue_aliases() -> dict[str, str]:
    """Issue labels staff may type instead of the key: "Pendidikan"/"Education" → ``education``."""
    labels = default_config().labels
    return {label.casefold(): name for name in issue_names() for label in labels[name].values()}


@dataclass(frozen=True)
class FieldSpec:
    """One queryable field.

    ``fact`` names what the evaluator (and the SQL compiler) reads: a ``ContactFacts``
    attribute, or ``signals.NAME`` for a recorded signal. ``values`` lists an enum's values, or
    is a function returning them when they come from configuration. ``level`` restricts a
    region field to one Kemendagri level (1 = province).
    """

    name: str
    kind: Kind
    operators: tuple[str, ...]
    fact: str
    description_id: str
    description_en: str
    example: str
    values: tuple[str, ...] | Callable[[], tuple[str, ...]] = ()
    aliases: Callable[[], Mapping[str, str]] | None = None
    level: int | None = None

    def enum_values(self) -> tuple[str, ...]:
        """The allowed values of an enum field (empty for other kinds)."""
        return self.values() if callable(self.values) else self.values

    def value_aliases(self) -> Mapping[str, str]:
        """Other words for enum values (case-folded word → canonical value)."""
        return self.aliases() if self.aliases else {}


_EQ = ("=", "!=")
_YES_NO = ("yes", "no")


def _spec(name: str, kind: Kind, operators: tuple[str, ...], fact: str, id_: str, en: str, example: str,
          **extra: object) -> FieldSpec:
    return FieldSpec(name, kind, operators, fact, id_, en, example, **extra)  # type: ignore[arg-type]


def _flag(name: str, fact: str, id_: str, en: str) -> FieldSpec:
    """A yes/no field: ``= yes`` / ``= no`` (and ``!=``), with ``NAME = yes`` as its example."""
    return _spec(name, Kind.YES_NO, _EQ, fact, id_, en, f"{name} = yes", values=_YES_NO)


_ALL = (
    _spec("region", Kind.REGION, _EQ, "region",
          "Wilayah pemilih (nama atau kode Kemendagri); cocok juga untuk wilayah di dalamnya.",
          "The voter's region (a name or Kemendagri code); also matches the regions inside it.",
          'region = "Samarinda"'),
    _spec("province", Kind.REGION, _EQ, "region",
          "Provinsi pemilih (nama atau kode provinsi).",
          "The voter's province (a province name or code).",
          'province = "Kalimantan Timur"', level=1),
    _spec("zone", Kind.ENUM, _EQ, "timezone",
          "Zona waktu pemilih: WIB, WITA atau WIT.",
          "The voter's time zone: WIB, WITA or WIT.",
          "zone = WITA", values=tuple(ZONE_TIMEZONES)),
    _spec("language", Kind.ENUM, _EQ, "language",
          "Bahasa balasan: id (Indonesia) atau en (Inggris).",
          "Reply language: id (Indonesian) or en (English).",
          "language = en", values=("id", "en")),
    _spec("channel", Kind.ENUM, _EQ, "channel",
          "Saluran percakapan: telegram, whatsapp atau web.",
          "The conversation channel: telegram, whatsapp or web.",
          "channel = whatsapp", values=("telegram", "whatsapp", "web")),
    _spec("issue", Kind.ENUM, _EQ, "signals.issue",
          "Isu yang pernah disebut pemilih (daftar isu di nlu/data/signals.yml).",
          "An issue the voter has raised (the issues in nlu/data/signals.yml).",
          "issue = environment", values=issue_names, aliases=issue_aliases),
    _flag("first_time_voter", "signals.first_time_voter", "Pemilih pemula (ya/tidak).", "First-time voter (yes/no)."),
    _flag("moved_residence", "signals.moved_residence", "Pindah domisili (ya/tidak).", "Moved residence (yes/no)."),
    _flag("disability_need", "signals.disability_need",
          "Butuh bantuan aksesibilitas (ya/tidak); data kesehatan: pakai hanya untuk menawarkan bantuan.",
          "Needs accessibility help (yes/no); health data: use only to offer help."),
    _flag("has_tps", "tps", "TPS pemilih sudah diketahui (ya/tidak).", "The voter's polling station is known (yes/no)."),
    _flag("consent", "consent", "Pemilih sudah memberi persetujuan (ya); tidak = belum atau menolak.",
          "The voter has given consent (yes); no = not given or refused."),
    _spec("subscribed", Kind.ENUM, _EQ, "subscriptions",
          "Berlangganan pengingat topik ini (langganan 'all' mencakup semua topik).",
          "Subscribed to reminders of this topic (an 'all' subscription covers every topic).",
          "subscribed = voting_day", values=tuple(sorted(TOPICS))),
    _spec("last_seen", Kind.DURATION, ("<", ">"), "last_seen_at",
          "Terakhir aktif: < 30d = dalam 30 hari terakhir, > 30d = tidak aktif lebih dari 30 hari.",
          "Last seen: < 30d = within the last 30 days, > 30d = not seen for more than 30 days.",
          "last_seen < 30d"),
    _spec("source", Kind.TEXT, ("=", "!=", "~"), "source",
          "Sumber kedatangan (tautan/poster), tanpa beda huruf besar/kecil; ~ = mengandung.",
          "Where the voter came from (deep link/poster), ignoring case; ~ = contains.",
          'source ~ "poster"'),
)

#: Every field by name, in the order the help shows them.
FIELDS: Mapping[str, FieldSpec] = MappingProxyType({spec.name: spec for spec in _ALL})

"""One ``field op value`` → a typed :class:`~flows.segments.nodes.Clause`, or an error at the
exact spot: the field (unknown), the operator (not allowed for that field) or the value."""

from __future__ import annotations

import difflib
import re
from datetime import timedelta

from .errors import SegmentQueryError, shown
from .fields import (
    DURATION_UNITS,
    FIELDS,
    MAX_DURATION,
    NO_WORDS,
    YES_WORDS,
    FieldSpec,
    Kind,
)
from .nodes import Clause, Value
from .places import resolve_place

_DURATION = re.compile(r"(\d{1,7})([a-z]+)?", re.IGNORECASE)
# Units staff may write out: suggested back in the short form.
_UNIT_WORDS = {
    "menit": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "jam": "h", "hour": "h", "hours": "h", "hr": "h", "hrs": "h",
    "hari": "d", "day": "d", "days": "d",
    "minggu": "w", "pekan": "w", "week": "w", "weeks": "w", "wk": "w",
}


def build_clause(field: str, field_pos: int, op: str, op_pos: int, raw: str, value_pos: int) -> Clause:
    """Check and type one clause; positions are 1-based."""
    spec = FIELDS.get(field.casefold())
    if spec is None:
        guess = difflib.get_close_matches(field.casefold(), list(FIELDS), n=1)
        raise SegmentQueryError(field_pos, f'kolom "{shown(field)}" tidak dikenal', f'unknown field "{shown(field)}"',
                                guess[0] if guess else None)
    if op not in spec.operators:
        allowed = ", ".join(spec.operators)
        raise SegmentQueryError(
            op_pos,
            f'operator "{op}" tidak bisa dipakai untuk kolom "{spec.name}" (yang bisa: {allowed})',
            f'operator "{op}" is not allowed for field "{spec.name}" (allowed: {allowed})',
            spec.operators[0],
        )
    return Clause(spec.name, op, _value(spec, op, raw, value_pos), raw, field_pos)


def _value(spec: FieldSpec, op: str, raw: str, position: int) -> Value:
    if spec.kind is Kind.REGION:
        return resolve_place(raw, position, level=spec.level)
    if spec.kind is Kind.ENUM:
        return _enum(spec, raw, position)
    if spec.kind is Kind.YES_NO:
        return _yes_no(spec, raw, position)
    if spec.kind is Kind.DURATION:
        return _duration(raw, position)
    if op == "~" and not raw:
        raise SegmentQueryError(position, '"~" perlu teks yang dicari, bukan teks kosong',
                                '"~" needs some text to look for, not empty text')
    return raw


def _enum(spec: FieldSpec, raw: str, position: int) -> str:
    values = spec.enum_values()
    by_key = {v.casefold(): v for v in values} | {k: v for k, v in spec.value_aliases().items()}
    found = by_key.get(raw.strip().casefold())
    if found is not None:
        return found
    guess = difflib.get_close_matches(raw.strip().casefold(), list(by_key), n=1)
    listed = ", ".join(values)
    raise SegmentQueryError(
        position,
        f'nilai "{shown(raw)}" tidak dikenal untuk kolom "{spec.name}" (pilihan: {listed})',
        f'unknown value "{shown(raw)}" for field "{spec.name}" (choices: {listed})',
        by_key[guess[0]] if guess else None,
    )


def _yes_no(spec: FieldSpec, raw: str, position: int) -> bool:
    word = raw.strip().casefold()
    if word in YES_WORDS:
        return True
    if word in NO_WORDS:
        return False
    guess = difflib.get_close_matches(word, sorted(YES_WORDS | NO_WORDS), n=1)
    raise SegmentQueryError(
        position,
        f'kolom "{spec.name}" perlu ya atau tidak (yes/no), bukan "{shown(raw)}"',
        f'field "{spec.name}" needs yes or no (ya/tidak), not "{shown(raw)}"',
        guess[0] if guess else None,
    )


def _duration(raw: str, position: int) -> timedelta:
    match = _DURATION.fullmatch(raw.strip())
    unit = (match.group(2) or "").casefold() if match else ""
    if match and unit in DURATION_UNITS:
        amount = int(match.group(1)) * DURATION_UNITS[unit]
        if amount > MAX_DURATION:
            raise SegmentQueryError(position, f'durasi "{shown(raw)}" terlalu panjang (paling lama 3660d)',
                                    f'duration "{shown(raw)}" is too long (at most 3660d)')
        return amount
    suggestion = None
    if match and (not unit or unit in _UNIT_WORDS):
        suggestion = match.group(1) + _UNIT_WORDS.get(unit, "d")
    raise SegmentQueryError(
        position,
        f'durasi "{shown(raw)}" tidak dikenal: tulis angka dan satuan, mis. 30d, 12h, 2w, 90m '
        "(d = hari, h = jam, w = minggu, m = menit)",
        f'unknown duration "{shown(raw)}": write a number and a unit, e.g. 30d, 12h, 2w, 90m '
        "(d = days, h = hours, w = weeks, m = minutes)",
        suggestion,
    )

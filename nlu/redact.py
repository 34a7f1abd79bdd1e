"""Masking of personal identifiers before anything is stored or logged.

Covers 16-digit NIKs (with or without separators), Indonesian and international phone
numbers (found with Google's ``phonenumbers``: 08xx, +62, 62, area codes, with spaces, dots or
dashes, also glued to words) and e-mail addresses. TPS numbers, dates, times and rupiah amounts
("Rp 1.500.000.000") are left alone.
"""

from __future__ import annotations

import re

import phonenumbers

NIK_MASK = "[NIK]"
PHONE_MASK = "[TELEPON]"
EMAIL_MASK = "[EMAIL]"

# 16 digits, optionally grouped by spaces, dots or dashes (e.g. "3374 0123 4567 8901").
_NIK = re.compile(r"(?<!\d)(?:\d[\s.\-]?){15}\d(?!\d)")
_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# Money, not a phone: "1.500.000.000" (dots every three digits) or any number right after "Rp".
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?")
_RUPIAH = re.compile(r"rp\.?\s*$", re.IGNORECASE)


def redact(text: str) -> str:
    """Return ``text`` with NIKs, phone numbers and e-mail addresses masked."""
    text = _EMAIL.sub(EMAIL_MASK, text)
    text = _NIK.sub(_mask_nik, text)
    return _redact_phones(text)


def _mask_nik(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    return NIK_MASK if len(digits) == 16 else match.group(0)


def _redact_phones(text: str) -> str:
    spans = [
        (m.start, m.end)
        for m in phonenumbers.PhoneNumberMatcher(text, "ID", leniency=phonenumbers.Leniency.POSSIBLE)
        if len(re.sub(r"\D", "", m.raw_string)) >= 9 and not _is_money(text, m.start, m.raw_string)
    ]
    for start, end in reversed(spans):
        text = text[:start] + PHONE_MASK + text[end:]
    return text


def _is_money(text: str, start: int, raw: str) -> bool:
    return bool(_THOUSANDS.fullmatch(raw.strip()) or _RUPIAH.search(text[max(0, start - 4):start]))

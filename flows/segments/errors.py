"""The one error a segment query can raise, always bilingual and always at a position.

Staff read these messages in the console and the CLI, so they say what is wrong in words
(Bahasa Indonesia first, then English), never as a parser's internal exception text.
"""

from __future__ import annotations

import unicodedata

_SHOW_LIMIT = 40


class SegmentQueryError(ValueError):
    """A segment query that cannot be used.

    ``position`` is the 1-based character position in the query text, ``message_id`` and
    ``message_en`` describe the problem without the position, ``suggestion`` is what the staff
    member probably meant (a field, a value, a place), or ``None``.
    """

    def __init__(self, position: int, message_id: str, message_en: str, suggestion: str | None = None) -> None:
        self.position = position
        self.message_id = message_id
        self.message_en = message_en
        self.suggestion = suggestion
        super().__init__(self.__str__())

    def __str__(self) -> str:
        hint_id = f' — maksud Anda "{shown(self.suggestion)}"?' if self.suggestion else ""
        hint_en = f' — did you mean "{shown(self.suggestion)}"?' if self.suggestion else ""
        return (f"posisi {self.position}: {self.message_id}{hint_id} / "
                f"position {self.position}: {self.message_en}{hint_en}")

    def __repr__(self) -> str:
        return f"SegmentQueryError({self.position!r}, {self.message_en!r}, suggestion={self.suggestion!r})"


def shown(text: str, limit: int | None = _SHOW_LIMIT) -> str:
    """``text`` safe to print in a message: invisible and control characters (right-to-left
    overrides, zero-width spaces, NUL...) written as ``\\u202e`` escapes, long text cut with "…".

    Values stay untouched data everywhere else; only what we echo back to staff is escaped, so
    a message cannot be visually reordered or hide part of the query.
    """
    cut = text if limit is None or len(text) <= limit else text[: limit - 1] + "…"
    return "".join(
        c if c == " " or unicodedata.category(c)[0] not in "CZ" else f"\\u{ord(c):04x}" for c in cut
    )

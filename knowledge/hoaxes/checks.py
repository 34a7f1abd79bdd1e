"""Checks on the hoax files before they go live, each problem as ``file:line: message``: both
translations, a public source (name and http(s) link), a check date that is not in the future, a
known verdict, unique ids, enough phrasings to fit on, near-true statements that point at a hoax."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from ..validate import LANGUAGES, Problem, is_web_address
from .model import VERDICTS, Hoax, NearTrue

#: Two phrasings are held out to measure the matcher; fewer than this leaves too little to fit on.
MIN_PHRASINGS = 3


def check_hoaxes(hoaxes: Sequence[Hoax], near_true: Sequence[NearTrue], today: date) -> list[Problem]:
    """Every problem in ``hoaxes`` and ``near_true`` (empty: they may go live)."""
    problems: list[Problem] = []
    seen: dict[str, Hoax] = {}
    for hoax in hoaxes:
        def at(field: str, hoax: Hoax = hoax) -> int:
            return hoax.field_lines.get(field, hoax.line)

        def add(field: str, message: str, hoax: Hoax = hoax) -> None:
            problems.append(Problem(hoax.file, at(field), f"{hoax.id}: {message}"))

        if hoax.id in seen:
            other = seen[hoax.id]
            add("id", f"duplicate id (also at {other.file}:{other.line})")
        seen.setdefault(hoax.id, hoax)
        for part in ("claim", "correction"):
            missing = [language for language in LANGUAGES if language not in getattr(hoax, part)]
            if missing:
                add(part, f"{part} has no translation in {' and '.join(repr(m) for m in missing)}")
        if hoax.verdict not in VERDICTS:
            add("verdict", f"verdict {hoax.verdict!r} is not one of {sorted(VERDICTS)}")
        if not is_web_address(hoax.source_url):
            add("source_url", f"source_url is not an http(s) address: {hoax.source_url!r}")
        if hoax.checked_on is None:
            add("checked_on", "no checked_on date (when the source was last read)")
        elif hoax.checked_on > today:
            add("checked_on", f"checked_on {hoax.checked_on} is in the future")
        if len(hoax.phrasings) < MIN_PHRASINGS:
            add("phrasings", f"{len(hoax.phrasings)} phrasings; give at least {MIN_PHRASINGS} ways a voter "
                "would repeat the claim, or it is recognised only when worded like the claim")
        for n, phrasing in enumerate(hoax.phrasings):
            if hoax.phrasings.index(phrasing) != n:
                line = hoax.phrasing_lines[n] if n < len(hoax.phrasing_lines) else at("phrasings")
                problems.append(Problem(hoax.file, line, f"{hoax.id}: phrasing {phrasing!r} is repeated"))
    phrasings = {p.casefold(): h for h in hoaxes for p in h.texts()}
    for statement in near_true:
        if statement.hoax_id not in seen:
            problems.append(Problem(statement.file, statement.line,
                                    f"hoax_id {statement.hoax_id!r} is not a hoax in the hoax file"))
        if statement.text.casefold() in phrasings:
            hoax = phrasings[statement.text.casefold()]
            problems.append(Problem(statement.file, statement.line,
                                    f"{statement.text!r} is also a phrasing of hoax {hoax.id!r} ({hoax.file}:{hoax.line})"))
    return problems

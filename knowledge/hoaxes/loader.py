"""Reading ``knowledge/hoaxes/hoaxes.yml`` (the hoaxes and their corrections) and
``near_true.yml`` (true statements that look like them), every problem as ``file:line: reason``.

The YAML reading (lines of every mapping, dates kept as text) is the FAQ loader's, so staff see
the same kind of messages for both.
"""

from __future__ import annotations

from pathlib import Path

from ..faq_loader import FaqFormatError, optional_date, parse_list, parse_texts, phrasings_of, read_source
from .model import Hoax, NearTrue

HOAX_DIR = Path(__file__).parent
HOAX_FILE = HOAX_DIR / "hoaxes.yml"
NEAR_TRUE_FILE = HOAX_DIR / "near_true.yml"


def load_hoaxes(path: Path = HOAX_FILE) -> list[Hoax]:
    """The hoaxes of ``path`` (none when it does not exist); raises the first problem."""
    if not path.exists():
        return []
    hoaxes, problems = parse_hoaxes(read_source(path), str(path))
    if problems:
        raise problems[0]
    return hoaxes


def load_near_true(path: Path = NEAR_TRUE_FILE) -> list[NearTrue]:
    """The near-true statements of ``path`` (none when it does not exist); raises the first problem."""
    if not path.exists():
        return []
    statements, problems = parse_near_true(read_source(path), str(path))
    if problems:
        raise problems[0]
    return statements


def parse_hoaxes(text: str, file: str) -> tuple[list[Hoax], list[FaqFormatError]]:
    """The hoaxes in ``text``, and a problem for each one that cannot be read."""
    return parse_list(text, file, "hoaxes", _hoax)


def parse_near_true(text: str, file: str) -> tuple[list[NearTrue], list[FaqFormatError]]:
    """The near-true statements in ``text``, and a problem for each one that cannot be read."""
    return parse_list(text, file, "statements", _near_true)


def _mapping(file: str, item: object) -> dict:
    if not isinstance(item, dict):
        raise FaqFormatError(file, 1, "every item must be a mapping")
    return item


def _near_true(file: str, item: object) -> NearTrue:
    item = _mapping(file, item)
    missing = [key for key in ("hoax_id", "text", "why_true") if not item.get(key)]
    if missing:
        raise FaqFormatError(file, item["__line__"], f"missing field {missing[0]!r}")
    return NearTrue(str(item["hoax_id"]), str(item["text"]), str(item["why_true"]), file, item["__line__"])


def _hoax(file: str, item: object) -> Hoax:
    item = _mapping(file, item)
    line = item["__line__"]
    lines: dict[str, int] = item["__lines__"]
    field = "id"
    try:
        for required in ("id", "claim", "correction", "verdict", "source_url", "source_name"):
            if not item.get(required):
                field = required
                raise KeyError(required)
        field = "phrasings"
        phrasings = phrasings_of(item)
        field = "claim"
        claim = parse_texts(item["claim"])
        field = "correction"
        correction = parse_texts(item["correction"])
        field = "checked_on"
        checked_on = optional_date(item, field)
        field = "published_on"
        published_on = optional_date(item, field)
        return Hoax(
            id=str(item["id"]), claim=claim, phrasings=phrasings,
            verdict=str(item["verdict"]), correction=correction, source_name=str(item["source_name"]),
            source_url=str(item["source_url"]), checked_on=checked_on, published_on=published_on,
            election=str(item.get("election") or ""), file=file, line=line,
            phrasing_lines=item["__item_lines__"].get("phrasings", ()),
            field_lines={key: n for key, n in lines.items() if not key.startswith("__")},
        )
    except KeyError as exc:
        raise FaqFormatError(file, line, f"missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise FaqFormatError(file, lines.get(field, line), f"{field}: {exc}") from None

"""Reading the FAQ entries in ``knowledge/faq/*.yml`` into :class:`FaqEntry` values."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import yaml

from .types import FaqEntry, Source

FAQ_DIR = Path(__file__).parent / "faq"
OUT_OF_SCOPE_FILE = Path(__file__).parent / "out_of_scope.yml"


class FaqFormatError(ValueError):
    """An FAQ file that cannot be read; the message names ``file:line``."""


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers the line each mapping starts on."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)


def load_faq(folder: Path = FAQ_DIR) -> list[FaqEntry]:
    """Load every entry from the YAML files in ``folder`` (sorted by file name)."""
    entries: list[FaqEntry] = []
    for path in sorted(folder.glob("*.yml")):
        entries.extend(load_faq_file(path))
    return entries


def load_out_of_scope(path: Path = OUT_OF_SCOPE_FILE) -> list[str]:
    """Examples of messages the knowledge base must not answer (a list of strings)."""
    if not path.exists():
        return []
    raw = _parse(path)
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise FaqFormatError(f"{path}:1: expected a list of example messages")
    return raw


def _parse(path: Path) -> object:
    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_LineLoader) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 0
        raise FaqFormatError(f"{path}:{line}: not valid YAML") from exc


def load_faq_file(path: Path) -> list[FaqEntry]:
    raw = _parse(path)
    if not isinstance(raw, list):
        raise FaqFormatError(f"{path}:1: expected a list of entries")
    return [_entry(path, item) for item in raw]


def _entry(path: Path, item: object) -> FaqEntry:
    if not isinstance(item, dict):
        raise FaqFormatError(f"{path}:1: every entry must be a mapping")
    line = item.get("__line__", 0)
    try:
        source = item.get("source") or {}
        return FaqEntry(
            id=str(item["id"]),
            question=_texts(item["question"]),
            phrasings=tuple(str(p) for p in item.get("phrasings") or ()),
            answer=_texts(item["answer"]),
            topics=tuple(str(t) for t in item.get("topics") or ()),
            source=Source(title=str(source.get("title", "")), url=str(source.get("url", ""))),
            reviewed_on=_date(item["reviewed_on"]),
            valid_until=_date(item["valid_until"]) if item.get("valid_until") else None,
            region=str(item["region"]) if item.get("region") else None,
            file=str(path),
            line=line,
        )
    except KeyError as exc:
        raise FaqFormatError(f"{path}:{line}: missing field {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise FaqFormatError(f"{path}:{line}: {exc}") from exc


def _texts(value: object) -> dict[str, str]:
    if isinstance(value, str):
        return {"id": value}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if k != "__line__" and v}
    raise TypeError("expected a text or a mapping of language to text")


def _date(value: object) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))

"""Reading the FAQ entries in ``knowledge/faq/*.yml`` into :class:`FaqEntry` values, and writing
entries in that format (:func:`faq_yaml`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import TypeVar

import yaml

from .types import FaqEntry, Source

T = TypeVar("T")

FAQ_DIR = Path(__file__).parent / "faq"
OUT_OF_SCOPE_FILE = Path(__file__).parent / "out_of_scope.yml"


class FaqFormatError(ValueError):
    """An FAQ file that cannot be read; the message is ``file:line: reason``."""

    def __init__(self, file: str, line: int, reason: str) -> None:
        super().__init__(f"{file}:{line}: {reason}")
        self.file, self.line, self.reason = file, line, reason


class _LineLoader(yaml.SafeLoader):
    """A YAML loader that remembers where each mapping, each of its keys and each item of its
    list values start (``__line__``, ``__lines__``, ``__item_lines__``)."""


def _mapping_with_line(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    mapping = loader.construct_mapping(node, deep=True)
    mapping["__line__"] = node.start_mark.line + 1
    mapping["__lines__"] = {key.value: key.start_mark.line + 1 for key, _ in node.value}
    mapping["__item_lines__"] = {
        key.value: tuple(item.start_mark.line + 1 for item in value.value)
        for key, value in node.value
        if isinstance(value, yaml.SequenceNode)
    }
    return mapping


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_with_line)
# Dates stay text until :func:`_date` reads them, so a bad one is reported at its own line
# instead of failing the whole file inside the YAML parser.
_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


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
    raw = parse_yaml(read_source(path), str(path))
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        raise FaqFormatError(str(path), 1, "expected a list of example messages")
    return raw


def load_faq_file(path: Path) -> list[FaqEntry]:
    """The entries of one file; raises the first problem."""
    entries, problems = parse_faq(read_source(path), str(path))
    if problems:
        raise problems[0]
    return entries


def parse_faq(text: str, file: str) -> tuple[list[FaqEntry], list[FaqFormatError]]:
    """The entries of one FAQ file's ``text``, and a problem for each entry that cannot be read
    (a file that is not a YAML list of entries is one problem)."""
    return parse_list(text, file, "entries", _entry)


def parse_list(
    text: str, file: str, what: str, read: Callable[[str, object], T]
) -> tuple[list[T], list[FaqFormatError]]:
    """Each item of a YAML list file read by ``read(file, item)`` (which raises
    :class:`FaqFormatError`), and a problem for each item that cannot be read; a file that is not
    a YAML list of ``what`` is one problem. Shared by the FAQ and hoax files."""
    try:
        raw = parse_yaml(text, file)
    except FaqFormatError as exc:
        return [], [exc]
    if not isinstance(raw, list):
        return [], [FaqFormatError(file, 1, f"expected a list of {what}")]
    items: list[T] = []
    problems: list[FaqFormatError] = []
    for item in raw:
        try:
            items.append(read(file, item))
        except FaqFormatError as exc:
            problems.append(exc)
    return items, problems


def read_source(path: Path) -> str:
    """The UTF-8 text of a content file (a ``FaqFormatError`` at line 1 when it is not UTF-8)."""
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise FaqFormatError(str(path), 1, "not UTF-8 text") from None


def parse_yaml(text: str, file: str) -> object:
    """YAML whose mappings carry their lines (``__line__``, ``__lines__``, ``__item_lines__``);
    shared with the hoax files so both report problems as ``file:line``."""
    try:
        return yaml.load(text, Loader=_LineLoader) or []
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise FaqFormatError(file, line, "not valid YAML") from exc


def _entry(file: str, item: object) -> FaqEntry:
    if not isinstance(item, dict):
        raise FaqFormatError(file, 1, "every entry must be a mapping")
    line = item["__line__"]
    lines: dict[str, int] = item["__lines__"]
    field = "id"
    try:
        if not item.get("id"):
            raise KeyError("id")
        source = item.get("source") or {}
        if not isinstance(source, dict):
            raise TypeError("expected a mapping with 'title' and 'url'")
        field = "phrasings"
        phrasings = phrasings_of(item)
        field = "question"
        question = parse_texts(item.get("question") or {})
        field = "answer"
        answer = parse_texts(item["answer"])
        field = "reviewed_on"
        reviewed_on = optional_date(item, field)
        field = "valid_until"
        valid_until = optional_date(item, field)
        return FaqEntry(
            id=str(item["id"]),
            question=question,
            phrasings=phrasings,
            answer=answer,
            topics=tuple(str(t) for t in item.get("topics") or ()),
            source=Source(title=str(source.get("title") or ""), url=str(source.get("url") or "")),
            reviewed_on=reviewed_on,
            valid_until=valid_until,
            region=str(item["region"]) if item.get("region") else None,
            file=file,
            line=line,
            phrasing_lines=item["__item_lines__"].get("phrasings", ()),
            field_lines={key: n for key, n in lines.items() if not key.startswith("__")},
        )
    except KeyError as exc:
        raise FaqFormatError(file, line, f"missing field {exc.args[0]!r}") from None
    except (TypeError, ValueError) as exc:
        raise FaqFormatError(file, lines.get(field, line), f"{field}: {exc}") from None


def phrasings_of(item: dict) -> tuple[str, ...]:
    """The item's ``phrasings`` list as texts (``TypeError`` when it is not a list of texts)."""
    phrasings = item.get("phrasings") or []
    if not isinstance(phrasings, list) or not all(isinstance(p, (str, int, float)) for p in phrasings):
        raise TypeError("expected a list of texts")
    return tuple(str(p) for p in phrasings)


def optional_date(item: dict, key: str) -> date | None:
    """The item's date at ``key``, or ``None`` when it has none."""
    return parse_date(item[key]) if item.get(key) else None


def parse_texts(value: object) -> dict[str, str]:
    """A text, or a mapping of language to text, as ``{language: text}``."""
    if isinstance(value, str):
        return {"id": value}
    if isinstance(value, dict):
        return {str(k): str(v) for k, v in value.items() if not str(k).startswith("__") and v}
    raise TypeError("expected a text or a mapping of language to text")


def parse_date(value: object) -> date:
    """A ``YYYY-MM-DD`` date (kept as text by the loader so a bad one is reported at its line)."""
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {value!r}") from None


def faq_yaml(entries: Sequence[FaqEntry], header: str = "") -> str:
    """``entries`` as an FAQ file that :func:`parse_faq` reads back (``header`` becomes the
    leading comment). Missing provenance is written out as empty fields for staff to fill in."""
    comment = "".join(f"# {line}\n".replace("# \n", "#\n") for line in header.splitlines())
    blocks = [yaml.safe_dump([_as_mapping(entry)], allow_unicode=True, sort_keys=False, width=100)
              for entry in entries]
    return comment + ("\n" if comment else "") + "\n".join(blocks)


def _as_mapping(entry: FaqEntry) -> dict[str, object]:
    mapping: dict[str, object] = {"id": entry.id}
    if entry.question:
        mapping["question"] = dict(entry.question)
    mapping["phrasings"] = list(entry.phrasings)
    mapping["answer"] = dict(entry.answer)
    if entry.topics:
        mapping["topics"] = list(entry.topics)
    mapping["source"] = {"title": entry.source.title, "url": entry.source.url}
    mapping["reviewed_on"] = entry.reviewed_on
    for key in ("valid_until", "region"):
        if getattr(entry, key) is not None:
            mapping[key] = getattr(entry, key)
    return mapping

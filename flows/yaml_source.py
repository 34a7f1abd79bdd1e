"""YAML that remembers where every value came from, so staff get ``file:line:column`` errors.

PyYAML's safe loader builds plain values; this one builds :class:`Node` mappings and lists
that carry the position of each key and value (1-based, as editors show them). Duplicate keys
and syntax errors become :class:`SourceError` with a position instead of a stack trace.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import yaml


@dataclass(frozen=True, slots=True)
class Pos:
    """A place in a source file (1-based line and column)."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class SourceError(ValueError):
    """A file cannot be read as YAML; ``pos`` says where."""

    def __init__(self, pos: Pos, message: str) -> None:
        super().__init__(f"{pos}: {message}")
        self.pos, self.message = pos, message


class Mapping(dict[str, Any]):
    """A YAML mapping with the position of itself, each key and each value."""

    pos: Pos
    key_pos: dict[str, Pos]
    value_pos: dict[str, Pos]

    def at(self, key: str) -> Pos:
        """Where the value of ``key`` starts (or the mapping itself when the key is absent)."""
        return self.value_pos.get(key, self.pos)

    def key_at(self, key: str) -> Pos:
        return self.key_pos.get(key, self.pos)


class Sequence(list[Any]):
    """A YAML list with the position of itself and each item."""

    pos: Pos
    item_pos: list[Pos]


def load(text: str, file: str) -> Any:
    """Parse ``text`` (the contents of ``file``) into plain values, :class:`Mapping` and :class:`Sequence`."""

    def mark(node: yaml.Node) -> Pos:
        return Pos(file, node.start_mark.line + 1, node.start_mark.column + 1)

    class Loader(yaml.SafeLoader):
        pass

    def construct_mapping(loader: Loader, node: yaml.MappingNode) -> Mapping:
        loader.flatten_mapping(node)
        result = Mapping()
        result.pos, result.key_pos, result.value_pos = mark(node), {}, {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            if key in result:
                raise SourceError(mark(key_node), f"duplicate key '{key}'")
            result[key] = loader.construct_object(value_node, deep=True)
            result.key_pos[key], result.value_pos[key] = mark(key_node), mark(value_node)
        return result

    def construct_sequence(loader: Loader, node: yaml.SequenceNode) -> Sequence:
        result = Sequence(loader.construct_object(child, deep=True) for child in node.value)
        result.pos, result.item_pos = mark(node), [mark(child) for child in node.value]
        return result

    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, construct_mapping)
    Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, construct_sequence)
    try:
        return yaml.load(text, Loader=Loader)  # noqa: S506 - a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        where = exc.problem_mark or exc.context_mark
        pos = Pos(file, where.line + 1, where.column + 1) if where else Pos(file, 1, 1)
        raise SourceError(pos, f"not valid YAML: {exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise SourceError(Pos(file, 1, 1), f"not valid YAML: {exc}") from None

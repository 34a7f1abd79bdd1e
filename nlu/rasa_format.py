"""Reader for Rasa training files, so teams can bring the data they already have.

Understands Rasa 3.x ``nlu.yml`` (``intent`` blocks with examples, entity annotations
``[text](entity)``, ``[text](entity:value)``, ``[text]{"entity": "x", "value": "y"}`` and
``[text][{…}, {…}]``, ``synonym``, ``lookup`` and ``regex`` blocks), Rasa 2 retrieval intents
(``faq/ask_x``), examples written as a list of ``{text: …, metadata: …}`` mappings, and the
``responses`` and ``intents`` of a ``responses.yml`` or ``domain.yml`` beside them. Other Rasa keys
(stories, rules, slots, forms, …) are ignored. Problems are reported as ``source:line: problem``.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .training_data import Example, TrainingData, TrainingDataError
from .types import Entity

EXTRACTOR = "training_data"
DEFAULT_TRAINING_FILE = Path(__file__).parent / "data" / "nlu.yml"

# The annotation grammar of Rasa's own reader (rasa/shared/nlu/training_data/entities_parser.py).
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\]]+?)\]"
    r"(?:\((?P<entity>[^:)]+?)(?::(?P<value>[^)]+))?\)"
    r"|\{(?P<dict>[^}]+?)\}"
    r"|\[(?P<dicts>.*?)\])"
)
_BLOCK_KEYS = ("intent", "synonym", "lookup", "regex")


@dataclass(frozen=True, slots=True)
class RasaData(TrainingData):
    """A Rasa file's training data plus the response texts and domain intents it declares."""

    responses: dict[str, tuple[str, ...]] = field(default_factory=dict)
    domain_intents: tuple[str, ...] = ()


def parse_rasa_yaml(text: str, source: str = "<nlu.yml>") -> RasaData:
    """Read one Rasa YAML file (``nlu.yml``, ``faq.yml``, ``responses.yml`` or ``domain.yml``)."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark else 1
        raise TrainingDataError(source, line, f"not valid YAML ({getattr(exc, 'problem', None) or exc})") from None
    if root is None:
        raise TrainingDataError(source, 1, "the file is empty")
    if not isinstance(root, yaml.MappingNode):
        raise TrainingDataError(source, _line(root), "expected a mapping with an 'nlu:' list at the top")
    reader = _Reader(source)
    for key, value in root.value:
        name = key.value if isinstance(key, yaml.ScalarNode) else None
        if name == "nlu":
            reader.read_nlu(value)
        elif name == "responses":
            reader.read_responses(value)
        elif name == "intents":
            reader.read_domain_intents(value)
    return reader.result()


def default_training_data() -> RasaData:
    """Suara's own intent training data, ``nlu/data/nlu.yml``."""
    return parse_rasa_yaml(DEFAULT_TRAINING_FILE.read_text(encoding="utf-8"), "nlu/data/nlu.yml")


def parse_example(annotated: str, intent: str, source: str = "<example>", line: int = 0) -> Example:
    """Turn one annotated example into plain text with entity spans that index that text."""
    plain: list[str] = []
    entities: list[Entity] = []
    position = 0  # in the plain text
    last = 0  # in the annotated text
    for match in _ANNOTATION.finditer(annotated):
        plain.append(annotated[last:match.start()])
        position += match.start() - last
        surface = match.group("text")
        for entity, value in _annotations(match, source, line):
            entities.append(Entity(entity=entity, value=value if value is not None else surface, start=position,
                                   end=position + len(surface), extractor=EXTRACTOR))
        plain.append(surface)
        position += len(surface)
        last = match.end()
    plain.append(annotated[last:])
    return Example(text="".join(plain), intent=intent, entities=tuple(entities), line=line)


def _annotations(match: re.Match[str], source: str, line: int) -> list[tuple[str, str | None]]:
    if match.group("entity") is not None:
        return [(match.group("entity").strip(), _strip_or_none(match.group("value")))]
    raw = "{" + match.group("dict") + "}" if match.group("dict") is not None else "[" + match.group("dicts") + "]"
    try:
        parsed = json.loads(raw)
    except json.JSONDecodeError:
        raise TrainingDataError(source, line, f"entity annotation {raw} is not valid JSON") from None
    items = parsed if isinstance(parsed, list) else [parsed]
    found = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("entity"), str):
            raise TrainingDataError(source, line, f"entity annotation {raw} needs an \"entity\" name")
        value = item.get("value")
        found.append((item["entity"], None if value is None else str(value)))
    return found


def _strip_or_none(value: str | None) -> str | None:
    return value.strip() if value is not None else None


def _line(node: yaml.Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Accumulates the blocks of one file."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.examples: list[Example] = []
        self.synonyms: dict[str, list[str]] = {}
        self.lookups: dict[str, list[str]] = {}
        self.regexes: dict[str, list[str]] = {}
        self.responses: dict[str, list[str]] = {}
        self.domain_intents: list[str] = []

    def fail(self, node: yaml.Node, problem: str) -> TrainingDataError:
        return TrainingDataError(self.source, _line(node), problem)

    def read_nlu(self, node: yaml.Node) -> None:
        if isinstance(node, yaml.ScalarNode) and node.value in ("", "~", "null"):
            return
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "'nlu:' must be a list of blocks (- intent: …)")
        for block in node.value:
            self.read_block(block)

    def read_block(self, block: yaml.Node) -> None:
        if not isinstance(block, yaml.MappingNode):
            raise self.fail(block, "each 'nlu:' item must be a mapping such as 'intent: greet' with 'examples:'")
        fields = {key.value: value for key, value in block.value if isinstance(key, yaml.ScalarNode)}
        kinds = [kind for kind in _BLOCK_KEYS if kind in fields]
        if len(kinds) != 1:
            raise self.fail(block, "each block needs exactly one of intent, synonym, lookup or regex")
        kind = kinds[0]
        name_node = fields[kind]
        if not isinstance(name_node, yaml.ScalarNode) or not str(name_node.value).strip():
            raise self.fail(name_node, f"'{kind}:' needs a name")
        name = str(name_node.value).strip()
        if "examples" not in fields:
            raise self.fail(block, f"{kind} '{name}' has no 'examples:'")
        lines = list(self.example_lines(fields["examples"], kind, name))
        if kind == "intent":
            self.examples.extend(parse_example(text, name, self.source, line) for text, line in lines)
            return
        values = [text for text, _ in lines]
        if kind == "regex":
            for text, line in lines:
                try:
                    re.compile(text)
                except re.error as exc:
                    raise TrainingDataError(self.source, line, f"regex '{name}': {exc}") from None
        target = {"synonym": self.synonyms, "lookup": self.lookups, "regex": self.regexes}[kind]
        target.setdefault(name, []).extend(values)

    def example_lines(self, node: yaml.Node, kind: str, name: str):
        """Yield (text, line) for a ``|`` block of ``- example`` lines or a list of examples."""
        if isinstance(node, yaml.ScalarNode):
            offset = 1 if node.style in ("|", ">") else 0
            for index, raw in enumerate(str(node.value).splitlines()):
                stripped = raw.strip()
                if not stripped:
                    continue
                line = _line(node) + offset + index
                if not stripped.startswith("- ") and stripped != "-":
                    raise TrainingDataError(self.source, line, f"{kind} '{name}': each example starts with '- '")
                text = stripped[1:].strip()
                if text:
                    yield text, line
            return
        if isinstance(node, yaml.SequenceNode):
            for item in node.value:
                text_node = item
                if isinstance(item, yaml.MappingNode):
                    fields = {key.value: value for key, value in item.value if isinstance(key, yaml.ScalarNode)}
                    text_node = fields.get("text")
                if not isinstance(text_node, yaml.ScalarNode) or not str(text_node.value).strip():
                    raise self.fail(item, f"{kind} '{name}': each example needs a text")
                yield str(text_node.value).strip(), _line(text_node)
            return
        raise self.fail(node, f"{kind} '{name}': 'examples:' must be a '|' block of '- ' lines or a list")

    def read_responses(self, node: yaml.Node) -> None:
        if not isinstance(node, yaml.MappingNode):
            raise self.fail(node, "'responses:' must be a mapping of response names")
        for key, variants in node.value:
            if not isinstance(variants, yaml.SequenceNode):
                raise self.fail(variants, f"response '{key.value}' must be a list of variants")
            texts = []
            for variant in variants.value:
                fields = {k.value: v for k, v in variant.value} if isinstance(variant, yaml.MappingNode) else {}
                text_node = fields.get("text")
                if isinstance(text_node, yaml.ScalarNode):
                    texts.append(str(text_node.value).strip())
            self.responses[str(key.value)] = texts

    def read_domain_intents(self, node: yaml.Node) -> None:
        if not isinstance(node, yaml.SequenceNode):
            raise self.fail(node, "'intents:' must be a list")
        for item in node.value:
            if isinstance(item, yaml.ScalarNode):
                self.domain_intents.append(str(item.value))
            elif isinstance(item, yaml.MappingNode) and item.value:
                self.domain_intents.append(str(item.value[0][0].value))  # "- greet: {use_entities: …}"
            else:
                raise self.fail(item, "each intent must be a name")

    def result(self) -> RasaData:
        synonyms = {name: list(values) for name, values in self.synonyms.items()}
        for example in self.examples:
            for entity in example.entities:
                surface = example.text[entity.start:entity.end]
                if entity.value != surface:
                    synonyms.setdefault(entity.value, []).append(surface)
        return RasaData(
            examples=tuple(self.examples),
            synonyms={name: tuple(dict.fromkeys(values)) for name, values in synonyms.items()},
            lookups={name: tuple(values) for name, values in self.lookups.items()},
            regexes={name: tuple(values) for name, values in self.regexes.items()},
            responses={name: tuple(texts) for name, texts in self.responses.items()},
            domain_intents=tuple(self.domain_intents),
        )

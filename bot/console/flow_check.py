"""Checking a flow draft typed in the console, with the validator ``suara flows validate`` runs.

The draft replaces its flow in the live library (every other flow and the election settings
as published) and :func:`flows.parse_library` checks the whole, so a ``goto`` to a flow that
does not exist is caught as on the command line. Problems in the draft come back at their
line; problems the draft causes in other flows come back with their file.

Before the YAML parser sees the text it is screened: PyYAML recurses on nested collections
(a few thousand ``[`` end in ``RecursionError``, not a YAML error) and expands aliases when a
value is walked (an "anchors bomb" of a few hundred bytes becomes 10⁹ values). A text that is
too long, binary, nested too deeply or expanding too far gets one clear problem instead.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

import yaml

import flows

MAX_SOURCE_CHARS = 20_000  # the largest shipped flow is under 3 000
MAX_DEPTH = 30  # mappings and lists inside each other; shipped flows reach 6
MAX_VALUES = 20_000  # values once every alias is expanded (a 64-character stretch of text counts as one)
# Control characters, and U+FFFD: what a byte that is not UTF-8 becomes when a form is read.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd\ufffe\uffff]")
_OPENERS = (yaml.BlockMappingStartToken, yaml.BlockSequenceStartToken, yaml.FlowMappingStartToken,
            yaml.FlowSequenceStartToken)
_CLOSERS = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem to show: where (``file`` is empty for the draft itself) and what.

    ``message`` is the validator's own words (as the command line prints them); the console's
    own checks give a text ``key`` (``texts.py``) and its ``values`` instead.
    """

    line: int
    column: int
    message: str = ""
    key: str = ""
    values: dict[str, str] = field(default_factory=dict)
    file: str = ""


def source_key(flow_id: str, file: str) -> str:
    """The name a published flow has in a library being validated (as the server loads it)."""
    return f"{flow_id}/{file}"


def screen(text: str) -> Finding | None:
    """The first reason ``text`` must not reach the YAML parser, or ``None`` when it may."""
    if len(text) > MAX_SOURCE_CHARS:
        return Finding(1, 1, key="flows.too_large", values={"size": f"{len(text):,}", "limit": f"{MAX_SOURCE_CHARS:,}"})
    if bad := _CONTROL.search(text):
        line = text.count("\n", 0, bad.start()) + 1
        column = bad.start() - (text.rfind("\n", 0, bad.start()) + 1) + 1
        return Finding(line, column, key="flows.binary", values={"char": f"U+{ord(bad.group()):04X}"})
    depth, aliases = 0, 0
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):  # the scanner does not recurse
            if isinstance(token, _OPENERS):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = token.start_mark
                    return Finding(mark.line + 1, mark.column + 1, key="flows.too_deep", values={"limit": str(MAX_DEPTH)})
            elif isinstance(token, _CLOSERS):
                depth -= 1
            elif isinstance(token, yaml.AliasToken):
                aliases += 1
    except yaml.YAMLError:
        return None  # not YAML at all: the validator says where, in its words
    return _expansion(text) if aliases else None


def _expansion(text: str) -> Finding | None:
    """A problem when the aliases of ``text`` would expand to more than :data:`MAX_VALUES` values."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)  # nodes only: an alias is a shared node
    except yaml.YAMLError:
        return None
    sizes: dict[int, int] = {}

    def size(node: yaml.Node) -> int:  # depth is bounded by the screen above
        if id(node) not in sizes:
            sizes[id(node)] = 0  # a node that contains itself counts once
            if isinstance(node, yaml.ScalarNode):  # a long text counts as many values
                sizes[id(node)] = 1 + len(node.value) // 64
            else:
                children = [c for pair in node.value for c in pair] if isinstance(node, yaml.MappingNode) else node.value
                sizes[id(node)] = min(1 + sum(size(child) for child in children), MAX_VALUES + 1)
        return sizes[id(node)]

    if root is not None and size(root) > MAX_VALUES:
        return Finding(1, 1, key="flows.too_many_values", values={"limit": f"{MAX_VALUES:,}"})
    return None


def check(live_sources: dict[str, str], draft_key: str, flow_id: str, draft: str) -> list[Finding]:
    """Every problem of the library with ``draft`` as the text of ``draft_key``; the draft's own
    problems first (by line), then those it causes elsewhere. Blocking: run it in a thread."""
    if early := screen(draft):
        return [early]
    sources = live_sources | {draft_key: draft}
    try:
        library, problems = flows.parse_library(sources)
    except RecursionError:  # the screen should make this impossible; never a 500 if it does not
        return [Finding(1, 1, key="flows.too_deep", values={"limit": str(MAX_DEPTH)})]
    found = as_findings(problems, draft_key)
    if flow_id != flows.ELECTION_ID:
        renamed = next((f.id for f in library.flows.values() if f.file == draft_key), flow_id)
        if renamed != flow_id:
            found.append(Finding(_id_line(draft), 1, key="flows.id_changed", values={"flow": flow_id}))
    return sorted(found, key=lambda f: (f.file != "", f.file, f.line, f.column))


def as_findings(problems: Iterable[flows.Problem], draft_key: str) -> list[Finding]:
    """The validator's problems to show: the draft's at their line, the others with their file."""
    return [Finding(p.pos.line, p.pos.column, p.message, file="" if p.pos.file == draft_key else p.pos.file)
            for p in problems]


def _id_line(text: str) -> int:
    match = re.search(r"^id\s*:", text, re.MULTILINE)
    return text.count("\n", 0, match.start()) + 1 if match else 1

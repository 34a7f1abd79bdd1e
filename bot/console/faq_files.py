"""The FAQ folder as the console edits it: find one entry's block of YAML in its file, replace
it (or append a new entry) and leave every other line — comments included — as it was.

Pure text in, text out, except :func:`read_folder` which reads the files.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from knowledge import FaqEntry
from knowledge.faq_loader import FaqFormatError, faq_yaml, parse_faq

from bot.storage.staff_files import read_text


@dataclass(frozen=True, slots=True)
class FaqFile:
    path: Path
    text: str
    entries: tuple[FaqEntry, ...]


@dataclass(frozen=True, slots=True)
class Located:
    """An entry, its file, and its block's lines (``start``..``end``, 0-based, end excluded)."""

    entry: FaqEntry
    file: FaqFile
    start: int
    end: int

    @property
    def block(self) -> str:
        return "".join(self.file.text.splitlines(keepends=True)[self.start:self.end])


def read_folder(folder: Path) -> list[FaqFile]:
    """Every FAQ file of ``folder`` (sorted like :func:`knowledge.load_faq`), parsed; raises the
    first :class:`FaqFormatError` (the server would not load such a folder either)."""
    files = []
    for path in sorted(folder.glob("*.yml")):
        text = read_text(path)
        entries, problems = parse_faq(text, str(path))
        if problems:
            raise problems[0]
        files.append(FaqFile(path, text, tuple(entries)))
    return files


def all_entries(files: list[FaqFile]) -> list[FaqEntry]:
    return [entry for file in files for entry in file.entries]


def locate(files: list[FaqFile], entry_id: str) -> Located | None:
    for file in files:
        for n, entry in enumerate(file.entries):
            if entry.id == entry_id:
                lines = file.text.splitlines(keepends=True)
                end = file.entries[n + 1].line - 1 if n + 1 < len(file.entries) else len(lines)
                while end > entry.line and _is_gap(lines[end - 1]):
                    end -= 1  # blank lines and the next entry's comments stay outside the block
                return Located(entry, file, entry.line - 1, end)
    return None


def _is_gap(line: str) -> bool:
    return not line.strip() or line.lstrip().startswith("#")


def entry_block(entry: FaqEntry) -> str:
    """``entry`` as a block of an FAQ file (one item of its YAML list)."""
    return faq_yaml([entry])


def version_of(block: str) -> str:
    return hashlib.sha256(block.encode()).hexdigest()


def with_block(file: FaqFile, located: Located | None, block: str) -> str:
    """The text of ``file`` with ``located``'s block replaced by ``block`` (appended when
    ``located`` is ``None``: a new entry)."""
    if located is None:
        text = file.text if file.text.endswith("\n") or not file.text else file.text + "\n"
        return text + ("\n" if text else "") + block
    lines = file.text.splitlines(keepends=True)
    return "".join(lines[:located.start]) + block + "".join(lines[located.end:])


def parse_block(block: str, file: str) -> FaqEntry:
    """The one entry of ``block``; raises :class:`FaqFormatError` for anything else."""
    entries, problems = parse_faq(block, file)
    if problems:
        raise problems[0]
    if len(entries) != 1:
        raise FaqFormatError(file, 1, "expected exactly one entry")
    return entries[0]

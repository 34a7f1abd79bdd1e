"""Reading and writing the files staff hand to the command line, with one-line errors.

Every failure is a :class:`StaffFileError` whose message names the file (and the line, for
JSONL), ready to print after ``suara:``; nothing here raises anything else for a bad file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

MAX_BYTES = 50 * 1024 * 1024  # staff content is text; anything bigger is a mistake


class StaffFileError(ValueError):
    """A file that cannot be used: ``file[:line]: reason``, one line."""

    def __init__(self, path: Path, reason: str, line: int | None = None) -> None:
        super().__init__(f"{path}:{line}: {reason}" if line else f"{path}: {reason}")
        self.path, self.reason, self.line = path, reason, line


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """The UTF-8 text of ``path`` (a leading byte-order mark is dropped)."""
    try:
        size = path.stat().st_size
        if path.is_dir():
            raise StaffFileError(path, "ini folder, bukan berkas / is a folder, not a file")
        if size > max_bytes:
            raise StaffFileError(path, f"terlalu besar / too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:.0f} MB)")
        return path.read_bytes().decode("utf-8-sig")
    except FileNotFoundError:
        raise StaffFileError(path, "berkas tidak ada / no such file") from None
    except PermissionError:
        raise StaffFileError(path, "tidak boleh dibaca / not allowed to read it") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[: exc.start].count(b"\n") + 1
        raise StaffFileError(path, "bukan teks UTF-8 / not UTF-8 text (save the file as UTF-8)", line) from None
    except OSError as exc:
        raise StaffFileError(path, f"tidak bisa dibaca / cannot read it ({exc.strerror or exc.__class__.__name__})") from None


def read_jsonl(path: Path, max_bytes: int = MAX_BYTES) -> list[tuple[int, dict]]:
    """The JSON objects of a JSONL file with their line numbers (blank lines are skipped)."""
    rows = []
    for number, line in enumerate(read_text(path, max_bytes).splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise StaffFileError(path, f"bukan JSON yang sah / not valid JSON ({exc.msg}, column {exc.colno})", number) from None
        if not isinstance(row, dict):
            raise StaffFileError(path, f"harus objek JSON / expected a JSON object {{...}}, got {type(row).__name__}", number)
        rows.append((number, row))
    return rows


def write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` in one step: readers see the old file or the new one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise StaffFileError(path, f"tidak bisa ditulis / cannot write it ({exc.strerror or exc.__class__.__name__})") from None

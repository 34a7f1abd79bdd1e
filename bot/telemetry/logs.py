"""Structured logs: one JSON object per line.

The standard library's logging with a small formatter is enough here; fields come from
``extra=``. Message text is never passed to a log call at INFO (only ids and counts). A failure
is logged as its exception's type and :func:`failure_site`, not its message, which can quote
what the voter sent; SQLAlchemy's statement log stays off (its engines hide parameters too).
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import datetime, timezone

_STANDARD = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        entry.update({key: value for key, value in record.__dict__.items() if key not in _STANDARD})
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str = "INFO") -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    quiet_libraries()


#: Libraries whose INFO/DEBUG lines are not for operators, or carry values: SQLAlchemy's statement
#: log, and aiosqlite's DEBUG line per statement, which prints its parameters (a voter's text).
QUIET = ("aiohttp.access", "alembic", "sqlalchemy", "aiosqlite")


def quiet_libraries() -> None:
    """Hold the :data:`QUIET` loggers at WARNING, whatever level the service logs at."""
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)


def failure_site(exc: BaseException) -> str:
    """Where ``exc`` was raised, as ``file:line`` frames innermost first: a traceback without the
    message, which can quote a body (``KeyError('3374…')``, a driver error with its values)."""
    frames = traceback.extract_tb(exc.__traceback__)[-4:]
    return " < ".join(f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno}" for frame in reversed(frames))

"""The ``suara`` command: clear one-line errors, migrations, and the terminal chat."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from bot.storage.models import Message
from bot.settings import Settings
from dbread import rows

SUARA = [sys.executable, "-m", "bot.cli"]


def _run(args: list[str], env: dict[str, str], stdin: str = "", cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(SUARA + args, input=stdin, capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env}, cwd=cwd)


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("SUARA_PORT", "abc", "invalid setting SUARA_PORT"),
        ("SUARA_PORT", "70000", "invalid setting SUARA_PORT"),
        ("SUARA_TIMEZONE", "Mars/Olympus", "invalid setting SUARA_TIMEZONE"),
        ("SUARA_DATABASE_URL", "mysql://x", "invalid setting SUARA_DATABASE_URL"),
        ("SUARA_DEFAULT_LANGUAGE", "fr", "invalid setting SUARA_DEFAULT_LANGUAGE"),
        ("SUARA_DATABASE_URL", "postgresql://nobody@127.0.0.1:1/none", "cannot migrate the database"),
    ],
)
def test_a_wrong_setting_fails_at_start_with_one_clear_line(
    variable: str, value: str, expected: str, tmp_path: Path
) -> None:
    result = _run(["serve"], {variable: value}, cwd=tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_serve_prints_its_url_only_once_it_accepts_connections(tmp_path: Path) -> None:
    """The URL line is the operator's signal to open the page: a connection refused after it is a bug."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SUARA_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'suara.db'}",
           "SUARA_PORT": str(port), "SUARA_LOG_LEVEL": "WARNING"}
    server = subprocess.Popen(SUARA + ["serve", "--no-dispatch"], cwd=tmp_path, env=env, text=True,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        assert server.stderr is not None
        lines = []
        while not any("web chat at" in line for line in lines):
            line = server.stderr.readline()
            assert line, f"serve ended before announcing its URL: {lines}"
            lines.append(line)
        assert f"http://127.0.0.1:{port}/" in lines[-1]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as response:  # at once
            assert response.status == 200
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=60)


def test_db_upgrade_creates_the_default_sqlite_database_under_var(tmp_path: Path) -> None:
    result = _run(["db", "upgrade"], {"SUARA_DATABASE_URL": Settings.model_fields["database_url"].default}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "var" / "suara.db").exists()


async def test_terminal_chat_runs_the_same_loop_on_the_same_database(settings: Settings) -> None:
    result = _run(["chat", "--as", "tester"], {"SUARA_DATABASE_URL": settings.database_url},
                  stdin="halo\n1\njam berapa tps buka\n")
    assert result.returncode == 0, result.stderr
    assert "Suara:" in result.stdout and "[1] Jam buka TPS" in result.stdout
    assert result.stdout.count("07.00") >= 2  # the button and the typed question
    stored = await rows(settings, Message, channel="console")
    assert [m.direction for m in stored][:3] == ["in", "out", "out"]

"""``suara flows validate``: silent on the shipped library, precise on broken flows."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import flows

BROKEN = Path(__file__).parent / "broken_flows"
SUARA = [sys.executable, "-m", "bot.cli"]


def _validate(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*SUARA, "flows", "validate", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})


def test_the_default_library_validates_silently() -> None:
    result = _validate()
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_broken_flows_print_every_expected_error_with_its_position() -> None:
    result = _validate(".", cwd=BROKEN)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    expected = (BROKEN / "expected.txt").read_text(encoding="utf-8")
    assert result.stdout == expected
    for kind in ("unknown step type", "which does not exist", "unreachable", "never set", "missing translation",
                 "loop with no question", "longer than 20 characters", "not valid YAML"):
        assert kind in result.stdout


def test_one_file_is_checked_against_its_folder_and_only_its_problems_shown() -> None:
    result = _validate(str(BROKEN / "loop.yml"))
    assert result.returncode == 1
    assert result.stdout == f"{BROKEN / 'loop.yml'}:4:5: loop with no question: first → second → first\n"


def test_a_missing_path_is_one_clear_line() -> None:
    result = _validate("no/such/folder")
    assert (result.returncode, result.stdout) == (1, "no/such/folder:1:1: no such file or folder\n")


def test_every_shipped_flow_has_both_languages_and_short_labels() -> None:
    library, problems = flows.parse_library(flows.default_sources())
    assert not problems
    for flow in library.flows.values():
        assert set(flow.title.values) == {"id", "en"}
    assert {"welcome", "consent", "menu", "find_tps", "am_i_registered", "moved", "how_to_vote", "reminders",
            "report", "human", "what_matters"} <= set(library.flows)


def test_no_shipped_flow_asks_for_a_nik() -> None:
    for name, text in flows.default_sources().items():
        for line in text.splitlines():
            if "NIK" in line:
                assert any(word in line for word in ("tidak pernah", "never", "Jangan", "don't", "di situs itu",
                                                     "on that site")), f"{name}: {line.strip()}"


def test_a_file_that_is_not_text_is_one_problem_line(tmp_path: Path) -> None:
    (tmp_path / "binary.yml").write_bytes(b"\xff\xfe\x00garbage")
    result = _validate(str(tmp_path))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stdout == f"{tmp_path / 'binary.yml'}:1:1: bukan teks UTF-8 / not UTF-8 text (save the file as UTF-8)\n"

"""``suara kb``: what a staff member sees when validating, converting, asking and evaluating."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.cli.main import main
from knowledge import load_faq
from knowledge.evaluate import REQUIRED_KEYS

BROKEN = Path(__file__).parent / "broken_faq"

KB_ROWS = [
    {"answer_id": "jam-buka", "answer": "TPS buka pukul 07.00.", "answer_en": "Polling stations open at 07:00."},
    {"answer_id": "001", "answer": "Bawa e-KTP dan surat pemberitahuan: \"C\" — ya."},
    {"answer_id": "lapor", "answer": "Laporkan politik uang ke Bawaslu dalam 7 hari."},
]
QUESTION_ROWS = [
    {"query": "tps buka jam brp", "answer_id": "jam-buka"},
    {"query": "what time do polls open", "answer_id": "jam-buka"},
    {"query": "bawa apa ke tps", "answer_id": "001"},
    {"query": "yes", "answer_id": "001"},
    {"query": "lapor serangan fajar kmn", "answer_id": "lapor"},
]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def _rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_validate_prints_every_problem_of_a_broken_folder_at_its_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "validate", "--faq", str(BROKEN)]) == 1
    printed = capsys.readouterr().out.replace(f"{BROKEN}/", "").splitlines()
    expected = (BROKEN / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert len(printed) == len(expected), printed
    for line, start in zip(printed, expected, strict=True):
        assert line.startswith(start), (line, start)


def test_validate_is_silent_on_our_own_faq(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "validate"]) == 0
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "no problems" in captured.err


def test_import_then_export_keeps_ids_answers_and_phrasings(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb, questions = _jsonl(tmp_path / "kb.jsonl", KB_ROWS), _jsonl(tmp_path / "kb_questions.jsonl", QUESTION_ROWS)
    (tmp_path / "faq").mkdir()
    imported = tmp_path / "faq" / "imported.yml"
    assert main(["kb", "import", "--kb", str(kb), "--questions", str(questions), "--out", str(imported)]) == 0
    assert "NOT REVIEWED" in imported.read_text(encoding="utf-8")
    assert [e.id for e in load_faq(tmp_path / "faq")] == ["jam-buka", "001", "lapor"]

    assert main(["kb", "export", "--faq", str(tmp_path / "faq"), "--out-dir", str(tmp_path / "out")]) == 0
    assert _rows(tmp_path / "out" / "kb.jsonl") == KB_ROWS
    assert _rows(tmp_path / "out" / "kb_questions.jsonl") == QUESTION_ROWS

    capsys.readouterr()
    assert main(["kb", "validate", "--faq", str(tmp_path / "faq")]) == 1
    flagged = capsys.readouterr().out
    assert f"{imported}:" in flagged and "001: no reviewed_on date" in flagged and "001: no source url" in flagged


def test_import_refuses_to_overwrite_without_force(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    kb, out = _jsonl(tmp_path / "kb.jsonl", KB_ROWS), tmp_path / "faq.yml"
    out.write_text("# staff's own file\n", encoding="utf-8")
    assert main(["kb", "import", "--kb", str(kb), "--out", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert out.read_text(encoding="utf-8") == "# staff's own file\n"
    assert main(["kb", "import", "--kb", str(kb), "--out", str(out), "--force"]) == 0
    assert "jam-buka" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("kb_text", "questions_text", "expected"),
    [
        ('{"answer_id": "a", "answer": "x"}\n{"answer_id": "b", "answer": "y"\n', "", "kb.jsonl:2: bukan JSON yang sah / not valid JSON"),
        ('{"answer_id": "a", "answer": "x"}\n\n{"answer_id": "b"}\n', "", "kb.jsonl:3: an entry needs"),
        ('{"answer_id": "a", "answer": "x"}\n', '{"query": "q", "answer_id": "a"}\n{"query": "r", "answer_id": "zz"}\n',
         "kb_questions.jsonl:2: answer_id 'zz' is not in the knowledge base"),
        ('["a", "x"]\n', "", "kb.jsonl:1: harus objek JSON / expected a JSON object"),
    ],
)
def test_bad_jsonl_is_one_clear_line_and_nothing_is_written(
    kb_text: str, questions_text: str, expected: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "kb.jsonl").write_text(kb_text, encoding="utf-8")
    (tmp_path / "kb_questions.jsonl").write_text(questions_text, encoding="utf-8")
    out = tmp_path / "out.yml"
    code = main(["kb", "import", "--kb", str(tmp_path / "kb.jsonl"), "--questions",
                 str(tmp_path / "kb_questions.jsonl"), "--out", str(out)])
    error = capsys.readouterr().err
    assert code == 2
    assert expected in error and error.startswith("suara: ") and len(error.strip().splitlines()) == 1
    assert not out.exists()


def test_a_file_that_is_not_utf8_or_missing_is_named_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "kb.jsonl").write_bytes('{"answer_id": "a", "answer": "caf\u00e9"}\n'.encode("latin-1"))
    assert main(["kb", "import", "--kb", str(tmp_path / "kb.jsonl"), "--out", str(tmp_path / "o.yml")]) == 2
    assert "kb.jsonl:1: bukan teks UTF-8 / not UTF-8 text" in capsys.readouterr().err
    assert main(["kb", "eval", "--kb", str(tmp_path / "nothing.jsonl")]) == 2
    assert "nothing.jsonl: berkas tidak ada / no such file" in capsys.readouterr().err


def test_ask_shows_three_candidates_the_decision_and_the_answer(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "ask", "jam brp tps buka?"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out[:3]] == ["1.", "2.", "3."]
    assert out[0].split()[1] == "jam-buka-tps"
    assert "decision: answer" in out
    assert any("07.00" in line for line in out)

    assert main(["kb", "ask", "what time do polling stations close", "--json"]) == 0
    english = json.loads(capsys.readouterr().out)
    assert english["decision"] == "answer" and "13:00" in english["answer"]

    assert main(["kb", "ask", "harga cabai hari ini", "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["decision"] == "abstain" and shown["answer"] is None and len(shown["candidates"]) == 3


def test_eval_json_on_a_small_public_shaped_kb_has_the_documented_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    topics = {
        "jam": ["tps buka jam berapa", "jam buka tps", "kapan tps dibuka", "what time do polls open", "jam tutup tps"],
        "ktp": ["ktp hilang bisa nyoblos", "lupa bawa ktp", "e-ktp rusak gimana", "lost my id card", "ktp ketinggalan"],
        "dpt": ["cek dpt online", "nama sy ada di dpt?", "cara cek terdaftar", "am I registered", "cek daftar pemilih"],
        "lapor": ["lapor politik uang", "ada serangan fajar", "lapor ke bawaslu", "report vote buying", "dikasih amplop"],
        "pindah": ["pindah tps", "mau nyoblos di kota lain", "urus pindah memilih", "vote in another city", "form a5"],
        "hoaks": ["cek hoaks pemilu", "berita palsu pemilu", "info bohong kpu", "fake election news", "hoax surat suara"],
    }
    kb = _jsonl(tmp_path / "kb.jsonl", [{"answer_id": t, "answer": f"Jawaban tentang {t}."} for t in topics])
    _jsonl(tmp_path / "kb_questions.jsonl", [{"query": q, "answer_id": t} for t, qs in topics.items() for q in qs])
    test = _jsonl(tmp_path / "test.jsonl", [{"query": "jam berapa tps tutup", "answer_id": "jam"},
                                            {"query": "lapor amplop serangan fajar", "answer_id": "lapor"}])
    assert main(["kb", "eval", "--kb", str(kb), "--test", str(test), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(REQUIRED_KEYS) <= set(report)
    assert report["abstain_precision"] is report["abstain_recall"] is report["abstain_f1"] is None
    assert 0 <= report["recall_at_1"] <= report["recall_at_3"] <= 1 and report["p50_ms"] <= report["p99_ms"]


def test_eval_on_our_own_questions_meets_the_acceptance_bar(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kb", "eval", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["n_out_of_scope"] >= 20 and report["n"] >= 150
    assert report["recall_at_1"] >= 0.90
    assert report["abstain_f1"] >= 0.85
